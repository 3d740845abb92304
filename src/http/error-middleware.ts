import type { ErrorRequestHandler, RequestHandler } from "express";
import { AppError, toAppError, type ErrorCode } from "../errors.js";
import type { Logger } from "../observability/logger.js";
import "./request-log.js";
import { routePattern } from "./route-pattern.js";

/** Unknown routes under the API answer in the same error body as everything else. */
export const notFoundRoute: RequestHandler = (req) => {
  throw new AppError("not_found", `no route ${req.method} ${req.path}`);
};

/** The one error middleware: every error becomes `{error: {code, message, details?}}` with its status. */
export function errorMiddleware(logger: Logger): ErrorRequestHandler {
  return (err: unknown, req, res, _next) => {
    const error = fromBodyParser(err) ?? toAppError(err);
    // The route's pattern, never the path: `POST /invites/<token>/accept` refused must not log a token.
    const context = { requestId: req.id, method: req.method, route: routePattern(req), code: error.code };
    if (error.status >= 500) logger.error({ ...context, err }, "request failed");
    else logger.debug(context, "request refused");
    if (error.retryAfterMs !== undefined)
      res.setHeader("Retry-After", String(Math.ceil(error.retryAfterMs / 1000)));
    if (res.headersSent) return;
    const body: { code: string; message: string; details?: unknown } = {
      code: error.code,
      message: error.message,
    };
    if (error.details !== undefined) body.details = error.details;
    res.status(error.status).json({ error: body });
  };
}

/**
 * Errors of the HTTP layer itself (the body parser, the router): their 4xx status is kept, with the
 * protocol's code for it, so that a bad request is never a 500.
 */
function fromBodyParser(err: unknown): AppError | undefined {
  if (err instanceof AppError || typeof err !== "object" || err === null) return undefined;
  const { type, status } = err as { type?: unknown; status?: unknown };
  if (type === "entity.too.large") return new AppError("payload_too_large", "the request body is too large");
  if (type === "entity.parse.failed")
    return new AppError("validation_failed", "the request body is not valid JSON");
  if (type === "encoding.unsupported" || type === "charset.unsupported") {
    return new AppError("validation_failed", "the request body's encoding is not supported", { status: 415 });
  }
  if (typeof status !== "number" || status < 400 || status > 499) return undefined;
  if (err instanceof URIError) {
    return new AppError("validation_failed", "the request path is not valid percent-encoded UTF-8", {
      status,
    });
  }
  const code = HTTP_CODES[status] ?? "validation_failed";
  return new AppError(code, HTTP_MESSAGES[code] ?? "the request is not valid", { status });
}

const HTTP_CODES: Partial<Record<number, ErrorCode>> = {
  400: "validation_failed",
  401: "unauthorized",
  403: "forbidden",
  404: "not_found",
  413: "payload_too_large",
  429: "rate_limited",
};

const HTTP_MESSAGES: Partial<Record<ErrorCode, string>> = {
  validation_failed: "the request is not valid (its body could not be read)",
  payload_too_large: "the request body is too large",
};
