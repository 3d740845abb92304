import { pino, type Logger } from "pino";

export type { Logger };

/** Structured JSON logs. Tokens, keys and message content are redacted wherever they appear. */
export function createLogger(level: string): Logger {
  return pino({
    level,
    base: { service: "confab" },
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
  });
}
