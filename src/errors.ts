/**
 * The one error hierarchy. Every failure a client can see is an AppError with a code from
 * PROTOCOL.md section 4; REST turns it into `{error: {code, message, details}}` with the status,
 * sockets into `{ok: false, error: {code, message, retryAfterMs?}}`.
 */
import { ERROR_STATUS, type ErrorBody, type ErrorCode } from "./protocol/errors.js";

export { ERROR_STATUS, type ErrorBody, type ErrorCode };

export class AppError extends Error {
  readonly code: ErrorCode;
  readonly details: unknown;
  readonly retryAfterMs: number | undefined;
  /** A finer classification for metrics and logs (e.g. a vendor failure's "rate_limit"); never sent. */
  readonly kind: string | undefined;
  /** An HTTP status other than the code's own: an HTTP layer's 4xx kept as it said it (415…). */
  private readonly statusOverride: number | undefined;

  constructor(
    code: ErrorCode,
    message: string,
    options: {
      details?: unknown;
      retryAfterMs?: number;
      cause?: unknown;
      kind?: string;
      status?: number;
    } = {},
  ) {
    super(message, { cause: options.cause });
    this.name = "AppError";
    this.code = code;
    this.details = options.details;
    this.retryAfterMs = options.retryAfterMs;
    this.kind = options.kind;
    this.statusOverride = options.status;
  }

  get status(): number {
    return this.statusOverride ?? ERROR_STATUS[this.code];
  }

  toBody(): ErrorBody {
    const body: ErrorBody = { code: this.code, message: this.message };
    if (this.details !== undefined) body.details = this.details;
    if (this.retryAfterMs !== undefined) body.retryAfterMs = this.retryAfterMs;
    return body;
  }
}

export const validationFailed = (message: string, details?: unknown) =>
  new AppError("validation_failed", message, { details });
export const notFound = (what: string) => new AppError("not_found", `${what} not found`);
export const forbidden = (message = "forbidden") => new AppError("forbidden", message);
export const unauthorized = (message = "unauthorized", details?: unknown) =>
  new AppError("unauthorized", message, { details });

/** Anything that is not an AppError is reported as a bare `internal`, never with its own message. */
export function toAppError(err: unknown): AppError {
  if (err instanceof AppError) return err;
  if (isDatabaseUnavailable(err))
    return new AppError("unavailable", "the database is unavailable", { cause: err });
  return new AppError("internal", "internal error", { cause: err });
}

/**
 * Whether the database could not be reached or dropped the connection: unreachable, refused, timed
 * out, or a connection terminated under a query (a restart, a failover, a proxy or PostgreSQL itself
 * closing it), which the driver reports as a query error.
 */
export function isDatabaseUnavailable(err: unknown): boolean {
  if (!(err instanceof Error)) return false;
  const name = err.name;
  if (
    name === "SequelizeConnectionError" ||
    name === "SequelizeConnectionRefusedError" ||
    name === "SequelizeConnectionAcquireTimeoutError" ||
    name === "SequelizeHostNotReachableError" ||
    name === "SequelizeConnectionTimedOutError"
  ) {
    return true;
  }
  if (!name.startsWith("Sequelize")) return false;
  const driver = (err as { parent?: unknown }).parent;
  if (!(driver instanceof Error)) return false;
  // SQLSTATE class 08 (connection exception), 57P01–57P03 (shutdown, crash, cannot connect now).
  const code = (driver as { code?: unknown }).code;
  if (typeof code === "string" && (/^08/.test(code) || /^57P0[123]$/.test(code))) return true;
  if (typeof code === "string" && /^(ECONNRESET|ECONNREFUSED|EPIPE|ETIMEDOUT)$/.test(code)) return true;
  return /Connection terminated|connection error and is not queryable|terminating connection/i.test(
    driver.message,
  );
}
