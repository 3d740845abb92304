import { randomUUID } from "node:crypto";
import type { z } from "zod";
import { toAppError } from "../errors.js";
import type { Logger } from "../observability/logger.js";
import { parse } from "../validation.js";
import type { Ack } from "../protocol/index.js";

type Listener = (...args: unknown[]) => void;

/**
 * Wraps a client-to-server handler: validates the payload, runs it, and answers the ack with
 * `{ok: true, data}` or `{ok: false, error}`. An event sent without a callback is still handled, and
 * nothing a client sends can throw out of here.
 */
export function acknowledged<S extends z.ZodType, R>(
  event: string,
  schema: S,
  logger: Logger,
  handler: (payload: z.output<S>) => Promise<R>,
): Listener {
  return (...args: unknown[]) => {
    const last = args.at(-1);
    const ack = typeof last === "function" ? (last as (answer: Ack<R>) => void) : undefined;
    const payload = ack ? args.slice(0, -1)[0] : args[0];
    void (async () => {
      let answer: Ack<R>;
      try {
        const data = await handler(parse(schema, payload, `${event} payload`));
        answer = { ok: true, data };
      } catch (err) {
        const error = toAppError(err);
        // The id ties what the client was told to the log line an operator will look for.
        const requestId = randomUUID();
        if (error.code === "internal" || error.code === "unavailable") {
          logger.error({ err, event, requestId }, "socket event failed");
        } else {
          logger.debug({ event, requestId, code: error.code }, "socket event refused");
        }
        answer = { ok: false, error: { ...error.toBody(), requestId } };
      }
      try {
        ack?.(answer);
      } catch (err) {
        logger.warn({ err, event }, "ack callback failed");
      }
    })();
  };
}
