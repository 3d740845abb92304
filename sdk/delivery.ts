import { ConfabError, closedError } from "./errors.js";

/** What repeating a call across reconnects needs to know. */
export interface Delivery {
  host: {
    readonly connected: boolean;
    connectedOnce(): Promise<void>;
    onSocket(event: "disconnect", listener: () => void): () => void;
  };
  /** The conversation's current join (a repeated call waits for the re-join after a reconnect). */
  joined: () => Promise<void>;
  closed: () => boolean;
}

/** A minute of unanswered attempts (the server or its database away all along) ends in the error. */
const GIVE_UP_AFTER_MS = 60_000;

/**
 * Runs a call; if the connection drops before its ack, waits for the reconnect (and the re-join) and
 * runs it again. Safe because what is repeated is idempotent: a send repeats its `clientMessageId`,
 * and the server keeps one message per id. Refusals (a `ConfabError` other than `unavailable`) are
 * not repeated.
 */
export async function untilAcknowledged<T>(delivery: Delivery, attempt: () => Promise<T>): Promise<T> {
  const deadline = Date.now() + GIVE_UP_AFTER_MS;
  for (;;) {
    await delivery.host.connectedOnce();
    await delivery.joined().catch(() => undefined);
    const outcome = await attemptUnlessDropped(delivery, attempt);
    if (outcome.done) return outcome.value;
    if (delivery.closed()) throw closedError("conversation");
    if (Date.now() > deadline)
      throw outcome.failure ?? new ConfabError({ code: "unavailable", message: "the server did not answer" });
    if (delivery.host.connected) await new Promise((r) => setTimeout(r, 500));
  }
}

/** One attempt, given up when the connection drops before its ack (then it is safe to repeat). */
async function attemptUnlessDropped<T>(
  delivery: Delivery,
  attempt: () => Promise<T>,
): Promise<{ done: true; value: T } | { done: false; failure?: ConfabError }> {
  let offDisconnect = () => {};
  const dropped = new Promise<{ done: false }>((resolve) => {
    offDisconnect = delivery.host.onSocket("disconnect", () => resolve({ done: false }));
  });
  try {
    return await Promise.race([
      attempt().then(
        (value) => ({ done: true as const, value }),
        (err: unknown) => {
          // No answer in time: the same call again is safe.
          if (err instanceof ConfabError && err.code === "unavailable")
            return { done: false as const, failure: err };
          throw err;
        },
      ),
      dropped,
    ]);
  } finally {
    offDisconnect();
  }
}
