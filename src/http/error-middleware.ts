import type { ErrorRequestHandler, RequestHandler } from "express";
import { AppError, toAppError } from "../errors.js";
import type { Logger } from "../observability/logger.js";
import "./request-log.js";

/** Unknown routes under the API answer in the same error body as everything else. */
export const notFoundRoute: RequestHandler = (req) => {
  throw new AppError("not_found", `no route ${req.method} ${req.path}`);
};

/** The one error middleware: every error becomes `{error: {code, message, details?}}` with its status. */
export function errorMiddleware(logger: Logger): ErrorRequestHandler {
  return (err: unknown, req, res, _next) => {
    const error = fromBodyParser(err) ?? toAppError(err);
    const context = { requestId: req.id, method: req.method, path: req.path, code: error.code };
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

function fromBodyParser(err: unknown): AppError | undefined {
  const type = (err as { type?: unknown } | null)?.type;
  if (type === "entity.too.large") return new AppError("payload_too_large", "the request body is too large");
  if (type === "entity.parse.failed")
    return new AppError("validation_failed", "the request body is not valid JSON");
  if (type === "encoding.unsupported" || type === "charset.unsupported") {
    return new AppError("validation_failed", "the request body's encoding is not supported");
  }
  return undefined;
}
