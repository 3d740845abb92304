import type { Socket } from "socket.io";
import { toAppError } from "../errors.js";
import type { RateLimits } from "../limits/rate-limits.js";
import type { AckedEvents } from "./ack.js";

/** A client-to-server event without an ack: its handler gets the payload unparsed, and answers nothing. */
export type SignalHandler<Sock> = (socket: Sock, payload: unknown) => void;

/**
 * The one listener of a namespace's sockets: each socket holds a single listener of every event it
 * sends, and the handlers are the namespace's, shared by all its sockets. It limits the events one
 * socket may send (RATE_LIMIT_SOCKET_EVENTS_PER_SECOND, joins included), so that no client can flood
 * a node with cheap requests: an event past the limit is not handled; its ack answers `rate_limited`
 * with `retryAfterMs`, and one sent without an ack is dropped. As Socket.IO does, an event that comes
 * after its socket closed is not handled; neither is one the namespace does not know.
 */
export class SocketEvents<Sock extends Socket> {
  constructor(
    private readonly limits: RateLimits,
    private readonly acked: AckedEvents<Sock>,
    private readonly signals: Readonly<Record<string, SignalHandler<Sock>>> = {},
  ) {}

  /** Listens to a socket that connected. */
  listen(socket: Sock): void {
    socket.onAny((...args: unknown[]) => this.receive(socket, args));
  }

  private receive(socket: Sock, [event, ...args]: unknown[]): void {
    const last = args.at(-1);
    const ack = typeof last === "function" ? (last as (answer: unknown) => void) : undefined;
    const payload = ack && args.length === 1 ? undefined : args[0];
    this.limits.consume("socketEvent", socket.id).then(
      () => {
        if (!socket.connected || typeof event !== "string") return;
        if (this.acked.has(event)) this.acked.answer(event, socket, payload, ack);
        else if (Object.hasOwn(this.signals, event)) this.signals[event]?.(socket, payload);
      },
      (err: unknown) => ack?.({ ok: false, error: toAppError(err).toBody() }),
    );
  }
}
