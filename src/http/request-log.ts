import { randomUUID } from "node:crypto";
import type { RequestHandler } from "express";
import type { Logger } from "../observability/logger.js";
import type { Metrics } from "../observability/metrics.js";
import "./request-context.js";
import { servedRoute } from "./route-pattern.js";

declare module "express-serve-static-core" {
  interface Request {
    id?: string;
  }
}

const GIVEN_ID = /^[\w.-]{1,128}$/;

/**
 * Every REST request gets an id (the caller's `X-Request-Id` when it is sane), echoed in the response
 * header and in every log line about it; one line per request at `info`, with no token, key or body.
 */
export function requestLog(logger: Logger, metrics: Metrics): RequestHandler {
  return (req, res, next) => {
    const given = req.headers["x-request-id"];
    req.id = typeof given === "string" && GIVEN_ID.test(given) ? given : randomUUID();
    res.setHeader("X-Request-Id", req.id);
    const started = performance.now();
    res.on("finish", () => {
      // The route's pattern, never the raw path: metrics labels stay few.
      const route = servedRoute(req);
      const seconds = (performance.now() - started) / 1000;
      metrics.httpRequests.inc({ method: req.method, route, status: String(res.statusCode) });
      metrics.httpDuration.observe({ method: req.method, route }, seconds);
      logger.info(
        {
          requestId: req.id,
          method: req.method,
          route,
          status: res.statusCode,
          ms: Math.round(seconds * 1000),
          userId: req.principal?.userId,
        },
        "request",
      );
    });
    next();
  };
}
