import { randomUUID } from "node:crypto";
import type { z } from "zod";
import { toAppError } from "../errors.js";
import type { Logger } from "../observability/logger.js";
import { adminEvents, chatEvents, type Ack, type AdminAcks, type ChatAcks } from "../protocol/index.js";
import { parse } from "../validation.js";
import type { AdminSocket } from "./admin-namespace.js";
import type { ChatSocket } from "./chat-namespace.js";

/**
 * The handler of one client-to-server event: it gets the socket that sent it and the payload as the
 * event's schema parsed it, and must answer exactly what the event's ack carries (the compiler
 * checks it). One handler serves every socket of the namespace: a socket carries no closure of it.
 */
export type AckHandler<
  S extends Record<string, z.ZodType>,
  A extends { [K in keyof S]: unknown },
  E extends keyof S,
  Sock,
> = (socket: Sock, payload: z.output<S[E]>) => Promise<A[E]>;

/** The handlers of a namespace's events, one for each event of its schemas. */
export type AckHandlers<S extends Record<string, z.ZodType>, A extends { [K in keyof S]: unknown }, Sock> = {
  [E in keyof S]: AckHandler<S, A, E, Sock>;
};

/** A namespace's events: the schema of each one's payload, and the handler that answers it. */
export interface AckedEvents<Sock> {
  /** Whether `event` is one of the namespace's events with an ack. */
  has(event: string): boolean;
  /**
   * Validates the payload with the event's schema, runs the handler, and answers the ack with
   * `{ok: true, data}` or `{ok: false, error}`. An event sent without a callback is still handled,
   * and nothing a client sends can throw out of here.
   */
  answer(event: string, socket: Sock, payload: unknown, ack: ((answer: unknown) => void) | undefined): void;
}

/** Makes the `AckedEvents` of a namespace from its schemas and its handlers. */
function ackedEvents<S extends Record<string, z.ZodType>, A extends { [K in keyof S]: unknown }, Sock>(
  schemas: S,
  handlers: AckHandlers<S, A, Sock>,
  logger: Logger,
): AckedEvents<Sock> {
  const has = (event: string): event is keyof S & string => Object.hasOwn(schemas, event);
  return {
    has,
    answer(name, socket, payload, ack) {
      if (!has(name)) return;
      const event: keyof S & string = name;
      void (async () => {
        let answer: Ack<A[typeof event]>;
        try {
          const parsed = parse<S[typeof event]>(schemas[event], payload, `${event} payload`);
          answer = { ok: true, data: await handlers[event](socket, parsed) };
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
    },
  };
}

/** The handler of one `/chat` event: what it answers is checked against `ChatAcks`. */
export type ChatHandler<E extends keyof typeof chatEvents> = AckHandler<
  typeof chatEvents,
  ChatAcks,
  E,
  ChatSocket
>;

/** The payload of a `/chat` event, as its schema parsed it. */
export type ChatPayload<E extends keyof typeof chatEvents> = z.output<(typeof chatEvents)[E]>;

/** The handlers of every `/chat` event with an ack (ClientToServerEvents), checked against `ChatAcks`. */
export type ChatHandlers = AckHandlers<typeof chatEvents, ChatAcks, ChatSocket>;

export const chatAcks = (handlers: ChatHandlers, logger: Logger): AckedEvents<ChatSocket> =>
  ackedEvents<typeof chatEvents, ChatAcks, ChatSocket>(chatEvents, handlers, logger);

/** The handlers of every `/admin` event (AdminClientToServerEvents), checked against `AdminAcks`. */
export type AdminHandlers = AckHandlers<typeof adminEvents, AdminAcks, AdminSocket>;

export const adminAcks = (handlers: AdminHandlers, logger: Logger): AckedEvents<AdminSocket> =>
  ackedEvents<typeof adminEvents, AdminAcks, AdminSocket>(adminEvents, handlers, logger);
