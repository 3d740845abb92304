import type { Socket } from "socket.io";
import type { RateLimits } from "../limits/rate-limits.js";
import { toAppError } from "../errors.js";

/**
 * Limits the events one socket may send (RATE_LIMIT_SOCKET_EVENTS_PER_SECOND, joins included), so
 * that no client can flood a node with cheap requests. An event past the limit is not handled: its
 * ack answers `rate_limited` with `retryAfterMs`; an event sent without an ack is dropped.
 */
export function limitEvents(socket: Socket, limits: RateLimits): void {
  socket.use((packet, next) => {
    limits.consume("socketEvent", socket.id).then(
      () => next(),
      (err: unknown) => {
        const ack: unknown = packet.at(-1);
        if (typeof ack !== "function") return;
        const error = toAppError(err);
        (ack as (answer: unknown) => void)({ ok: false, error: error.toBody() });
      },
    );
  });
}
