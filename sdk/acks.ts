import type { Socket } from "socket.io-client";
import type { Ack, AckCallback, ClientToServerEvents, ServerToClientEvents } from "../src/protocol/index.js";

export type ChatSocket = Socket<ServerToClientEvents, ClientToServerEvents>;

/** The `/chat` events that are answered with an ack (all but `typing`). */
export type AckEvent = Exclude<keyof ClientToServerEvents, "typing">;
export type PayloadOf<E extends AckEvent> = Parameters<ClientToServerEvents[E]>[0];
export type AckDataOf<E extends AckEvent> =
  NonNullable<Parameters<ClientToServerEvents[E]>[1]> extends AckCallback<infer T> ? T : never;

/** The emit of a `socket.timeout(ms)`, seen without the event maps (whose optional acks it cannot type). */
interface TimedEmitter {
  emit(event: string, payload: unknown, callback: (err: Error | null, answer?: unknown) => void): unknown;
}

/**
 * Emits a client-to-server event and resolves with its ack. Never rejects: no answer within
 * `timeoutMs` becomes an `{ok: false}` answer with code `unavailable`, so callers handle every
 * failure in one place.
 */
export function request<E extends AckEvent>(
  socket: ChatSocket,
  event: E,
  payload: PayloadOf<E>,
  timeoutMs = 15_000,
): Promise<Ack<AckDataOf<E>>> {
  return new Promise((resolve) => {
    const emitter = socket.timeout(timeoutMs) as unknown as TimedEmitter;
    emitter.emit(event, payload, (err, answer) => {
      if (err) {
        resolve({ ok: false, error: { code: "unavailable", message: `no answer to ${event} (timed out)` } });
      } else {
        resolve(answer as Ack<AckDataOf<E>>);
      }
    });
  });
}
