import { pino, type DestinationStream, type Logger } from "pino";
import prettyStream from "pino-pretty";

export type { Logger };

interface LoggedError {
  type: string;
  message: string;
  stack?: string | undefined;
  code?: unknown;
  cause?: LoggedError;
}

/**
 * Errors are logged by name, message, stack and code only. Their other fields are left out on
 * purpose: Sequelize puts the SQL and its parameters (message text, metadata) on its errors, and
 * vendor SDKs put request bodies on theirs.
 */
function serializeError(err: unknown, depth = 0): unknown {
  if (!(err instanceof Error)) return err;
  const logged: LoggedError = { type: err.name, message: err.message, stack: err.stack };
  const code = (err as { code?: unknown }).code;
  if (typeof code === "string" || typeof code === "number") logged.code = code;
  if (err.cause instanceof Error && depth < 3)
    logged.cause = serializeError(err.cause, depth + 1) as LoggedError;
  return logged;
}

/**
 * Structured JSON logs. Tokens, keys and message content are redacted wherever they appear. With
 * `pretty` (development, in a terminal), lines a person can read instead, through pino-pretty.
 */
export function createLogger(level: string, destination?: DestinationStream, pretty = false): Logger {
  const options = {
    level,
    base: { service: "confab" },
    serializers: { err: (err: unknown) => serializeError(err) },
    redact: {
      paths: [
        "token",
        "*.token",
        "authorization",
        "*.authorization",
        "req.headers.authorization",
        "apiKey",
        "*.apiKey",
        "content",
        "*.content",
      ],
      censor: "[redacted]",
    },
  };
  if (destination) return pino(options, destination);
  return pretty
    ? pino(options, prettyStream({ colorize: true, ignore: "pid,hostname,service" }))
    : pino(options);
}
