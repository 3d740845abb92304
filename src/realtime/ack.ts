import { randomUUID } from "node:crypto";
import type { z } from "zod";
import { toAppError } from "../errors.js";
import type { Logger } from "../observability/logger.js";
import {
  adminEvents,
  chatEvents,
  type Ack,
  type AdminAcks,
  type AdminClientToServerEvents,
  type ChatAcks,
  type EventMap,
} from "../protocol/index.js";
import { parse } from "../validation.js";

/**
 * The handler of one client-to-server event: it gets the payload as its schema parsed it, and must
 * answer exactly what the event's ack carries (the compiler checks it).
 */
export type AckHandler<
  S extends Record<string, z.ZodType>,
  A extends { [K in keyof S]: unknown },
  E extends keyof S,
> = (payload: z.output<S[E]>) => Promise<A[E]>;

/**
 * Makes the wrapper of a namespace's handlers: it validates the payload with the event's schema,
 * runs the handler, and answers the ack with `{ok: true, data}` or `{ok: false, error}`. An event
 * sent without a callback is still handled, and nothing a client sends can throw out of here.
 */
function acknowledger<S extends Record<string, z.ZodType>, A extends { [K in keyof S]: unknown }>(
  schemas: S,
) {
  return <E extends keyof S & string>(
    event: E,
    logger: Logger,
    handler: AckHandler<S, A, E>,
  ): EventMap<S, A>[E] => {
    const listener = (...args: unknown[]): void => {
      const last = args.at(-1);
      const ack = typeof last === "function" ? (last as (answer: Ack<A[E]>) => void) : undefined;
      const payload = ack ? args.slice(0, -1)[0] : args[0];
      void (async () => {
        let answer: Ack<A[E]>;
        try {
          const data = await handler(parse<S[E]>(schemas[event] as S[E], payload, `${event} payload`));
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
    // A listener of unknown arguments fits every event's signature: what it answers is what the
    // handler's type above checks.
    const typed: EventMap<S, A>[E] = listener;
    return typed;
  };
}

/** The handler of one `/chat` event: what it answers is checked against `ChatAcks`. */
export type ChatHandler<E extends keyof typeof chatEvents> = AckHandler<typeof chatEvents, ChatAcks, E>;

/** Handlers of `/chat` events (ClientToServerEvents), acks checked against `ChatAcks`. */
export const chatAck: <E extends keyof typeof chatEvents>(
  event: E,
  logger: Logger,
  handler: AckHandler<typeof chatEvents, ChatAcks, E>,
) => EventMap<typeof chatEvents, ChatAcks>[E] = acknowledger<typeof chatEvents, ChatAcks>(chatEvents);

/** Handlers of `/admin` events (AdminClientToServerEvents), acks checked against `AdminAcks`. */
export const adminAck: <E extends keyof AdminClientToServerEvents>(
  event: E,
  logger: Logger,
  handler: AckHandler<typeof adminEvents, AdminAcks, E>,
) => AdminClientToServerEvents[E] = acknowledger<typeof adminEvents, AdminAcks>(adminEvents);
