/**
 * A refused call, on the socket or over REST: the contract's error code (PROTOCOL.md section 4), its
 * message, when rate limited how long to wait, and for REST the HTTP status.
 */
export class ConfabError extends Error {
  readonly code: string;
  readonly retryAfterMs: number | undefined;
  /** The HTTP status of a refused REST call; undefined on the socket. */
  readonly status: number | undefined;

  constructor(error: { code: string; message: string; retryAfterMs?: number | undefined; status?: number }) {
    super(error.message);
    this.name = "ConfabError";
    this.code = error.code;
    this.retryAfterMs = error.retryAfterMs;
    this.status = error.status;
  }
}

/** The refusal a closed client or handle gives every call still waiting. */
export const closedError = (what: string) =>
  new ConfabError({ code: "unavailable", message: `the ${what} is closed` });

/** Any failure as a `ConfabError` (an unexpected one is `unavailable`, with its message). */
export function asConfabError(err: unknown): ConfabError {
  if (err instanceof ConfabError) return err;
  return new ConfabError({ code: "unavailable", message: err instanceof Error ? err.message : String(err) });
}

/** Any failure as one line a person can read: the message, and the code when there is one. */
export function describeError(err: unknown): string {
  if (err instanceof ConfabError) {
    const retry = err.retryAfterMs ? `, retry in ${Math.ceil(err.retryAfterMs / 1000)} s` : "";
    return `${err.message} (${err.code}${retry})`;
  }
  if (err instanceof Error) return err.message;
  return String(err);
}
