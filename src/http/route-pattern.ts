import type { Request } from "express";
import { OPERATIONS } from "./openapi.js";

/** Where the REST API is mounted. */
export const API_PREFIX = "/api/v1";

/**
 * Each documented route of the API, with what matches the paths it serves the way Express does: a
 * `:name` is one segment, a trailing slash is allowed, and case does not matter.
 */
const DOCUMENTED = OPERATIONS.map((op) => {
  const pattern = `${API_PREFIX}${op.path}`;
  const source = pattern.replace(/[.*+?^${}()|[\]\\]/g, "\\$&").replace(/:\w+/g, "[^/]+");
  return { method: op.method.toUpperCase(), pattern, regexp: new RegExp(`^${source}/?$`, "i") };
});

/**
 * The pattern of the route a request is for (`/api/v1/invites/:token/accept`), for the log: the
 * documented route its method and path lead to, even when it was refused before reaching it (no
 * token, rate limited); else the route that served it (`/healthz`); else `unmatched`. Never the raw
 * path or query: they may hold a secret, such as an invite's token.
 */
export function routePattern(req: Request): string {
  const method = req.method === "HEAD" ? "GET" : req.method;
  const path = req.originalUrl.split("?")[0] ?? "";
  const documented = DOCUMENTED.find((r) => r.method === method && r.regexp.test(path));
  return documented ? documented.pattern : servedRoute(req);
}

/**
 * The pattern of the route that served a request (`/api/v1/conversations/:id`), or `unmatched`: what
 * the request log and the metrics' labels use, found at no cost once Express has routed it.
 */
export function servedRoute(req: Request): string {
  const served = (req.route as { path?: unknown } | undefined)?.path;
  return typeof served === "string" ? `${req.baseUrl}${served}` : "unmatched";
}
