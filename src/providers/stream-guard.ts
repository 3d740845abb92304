import { AppError } from "../errors.js";
import { type FailurePhase, providerError, retryAfterMs } from "./provider-error.js";

export const DEFAULT_FIRST_TOKEN_TIMEOUT_MS = 30_000;
export const DEFAULT_STALL_TIMEOUT_MS = 30_000;

/** The time limits a vendor model takes in its options; both default to 30 s. */
export interface StreamTimeouts {
  /** From the start of the request (retries included) to the first token. */
  firstTokenTimeoutMs?: number;
  /** Between two chunks once the first token came. */
  stallTimeoutMs?: number;
}

export interface StreamGuardOptions<T> {
  /** Vendor name for messages ("openai"). */
  vendor: string;
  /** The caller's signal: aborting it closes the vendor request and ends the stream quietly. */
  abortSignal: AbortSignal;
  /** 0 or Infinity disables it, as does anything a Node timer cannot hold (over ~24 days). */
  firstTokenTimeoutMs: number;
  /** 0 or Infinity disables it, as does anything a Node timer cannot hold (over ~24 days). */
  stallTimeoutMs: number;
  /**
   * Whether a chunk is the first sign of an answer: a token, or the end of the answer. Preambles
   * (OpenAI's role chunk, Anthropic's `message_start`) are not, so a vendor that opens the stream
   * and then hangs still counts as "no first token".
   */
  isFirstToken(chunk: T): boolean;
  /** Starts the vendor request (with SDK retries) with a signal that closes it. */
  open(signal: AbortSignal): Promise<AsyncIterable<T>>;
  /** Turns what the SDK threw into the provider_error to throw. */
  toError(err: unknown, phase: FailurePhase): AppError;
}

const ABORTED = Symbol("aborted");

/**
 * Wraps one vendor stream with the time limits every vendor shares: no first token within
 * `firstTokenTimeoutMs`, or nothing for `stallTimeoutMs` between chunks, aborts the vendor request
 * (closing its HTTP connection) and throws a provider_error.
 *
 * Nothing is allocated per chunk: one timer serves the whole stream (the first-token limit from the
 * start, then the stall limit, re-armed before each read), and one listener forwards the caller's
 * stop. Aborting the request makes the SDK's read fail at once. Only the request itself (with the
 * SDK's retries, whose sleep ignores the signal) is raced against the abort, once.
 */
export async function* guardStream<T>(options: StreamGuardOptions<T>): AsyncGenerator<T, void, undefined> {
  const { abortSignal } = options;
  if (abortSignal.aborted) return;
  const controller = new AbortController();
  const forwardAbort = () => controller.abort(abortSignal.reason);
  abortSignal.addEventListener("abort", forwardAbort, { once: true });
  const limits = new StreamLimits(options, controller);
  let phase: FailurePhase = "request";
  let finished = false;
  let iterator: AsyncIterator<T> | undefined;

  try {
    const iterable = await untilAborted(options.open(controller.signal), controller.signal);
    limits.throwIfExpired();
    if (iterable === ABORTED) return;
    phase = "stream";
    iterator = iterable[Symbol.asyncIterator]();
    for (;;) {
      limits.beforeRead();
      const result = await iterator.next();
      limits.throwIfExpired();
      if (abortSignal.aborted) return;
      if (result.done) {
        finished = true;
        return;
      }
      if (limits.awaitingFirstToken && options.isFirstToken(result.value)) limits.firstTokenCame();
      yield result.value;
    }
  } catch (err) {
    limits.throwIfExpired();
    if (abortSignal.aborted) return;
    throw err instanceof AppError ? err : options.toError(err, phase);
  } finally {
    limits.clear();
    abortSignal.removeEventListener("abort", forwardAbort);
    if (!finished) {
      // Closes the HTTP request whether we timed out, the caller aborted, or the consumer stopped
      // reading (a malformed chunk); not awaited, since a hung iterator may never settle.
      controller.abort();
      iterator?.return?.().catch(() => undefined);
    }
  }
}

/**
 * The time limits of one guarded stream, on one timer: the first-token limit from the start, then
 * the stall limit, re-armed before each read. A limit that fires aborts the vendor request and
 * keeps the error the stream ends with.
 */
class StreamLimits {
  private timer: NodeJS.Timeout | undefined;
  /** Set when a time limit fired: what the stream ends with. */
  private expired: AppError | undefined;
  awaitingFirstToken = true;

  constructor(
    private readonly options: Pick<
      StreamGuardOptions<unknown>,
      "vendor" | "firstTokenTimeoutMs" | "stallTimeoutMs"
    >,
    private readonly controller: AbortController,
  ) {
    const { vendor, firstTokenTimeoutMs } = options;
    this.timer = this.arm(
      firstTokenTimeoutMs,
      `${vendor} sent no first token within ${firstTokenTimeoutMs} ms`,
      "first_token_timeout",
    );
  }

  /** The stall limit counts from each read. */
  beforeRead(): void {
    if (!this.awaitingFirstToken) this.timer?.refresh();
  }

  /** The first sign of an answer: from now on, the stall limit. */
  firstTokenCame(): void {
    const { vendor, stallTimeoutMs } = this.options;
    this.awaitingFirstToken = false;
    clearTimeout(this.timer);
    this.timer = this.arm(
      stallTimeoutMs,
      `${vendor} stalled for ${stallTimeoutMs} ms between chunks`,
      "stall",
    );
  }

  throwIfExpired(): void {
    if (this.expired) throw this.expired;
  }

  clear(): void {
    clearTimeout(this.timer);
  }

  private arm(
    ms: number,
    message: string,
    kind: "stall" | "first_token_timeout",
  ): NodeJS.Timeout | undefined {
    if (!isEnabled(ms)) return undefined;
    return setTimeout(() => {
      this.expired = providerError(message, { kind });
      this.controller.abort(this.expired);
    }, ms);
  }
}

/** The work's result, or ABORTED as soon as the signal is (the work's own outcome then ignored). */
function untilAborted<V>(work: Promise<V>, signal: AbortSignal): Promise<V | typeof ABORTED> {
  if (signal.aborted) {
    work.catch(() => undefined);
    return Promise.resolve(ABORTED);
  }
  return new Promise<V | typeof ABORTED>((resolve, reject) => {
    const onAbort = () => resolve(ABORTED);
    signal.addEventListener("abort", onAbort, { once: true });
    work.then(
      (value) => {
        signal.removeEventListener("abort", onAbort);
        resolve(value);
      },
      (err: unknown) => {
        signal.removeEventListener("abort", onAbort);
        reject(err instanceof Error ? err : new Error(String(err)));
      },
    );
  });
}

/**
 * A `fetch` for the SDKs that keeps their retries within our policy, through the `x-should-retry`
 * header all three obey: only 429 and 5xx are retried (the SDKs also retry 408 and 409, and any
 * status a server marks retryable), and not when the vendor asks to wait longer than `maxWaitMs`.
 * The SDKs would honour any `retry-after`, and the openai and groq ones sleep through an abort, so
 * a `retry-after: 3600` would hold a request (and the process's shutdown) for an hour, only for the
 * first-token limit to report it as a silent vendor instead of a rate limit.
 */
export function retryPolicyFetch(maxWaitMs: number, baseFetch: typeof fetch = fetch): typeof fetch {
  return async (input, init) => {
    const response = await baseFetch(input, init);
    if (response.ok || mayRetry(response, maxWaitMs)) return response;
    const headers = new Headers(response.headers);
    headers.set("x-should-retry", "false");
    return new Response(response.body, { status: response.status, statusText: response.statusText, headers });
  };
}

function mayRetry(response: Response, maxWaitMs: number): boolean {
  if (response.status !== 429 && response.status < 500) return false;
  const wait = retryAfterMs(response.headers);
  return wait === undefined || wait <= maxWaitMs;
}

/** The longest a vendor may make us wait before a retry: the whole first-token budget, or a minute. */
export function maxRetryWaitMs(firstTokenTimeoutMs: number): number {
  return isEnabled(firstTokenTimeoutMs) ? firstTokenTimeoutMs : 60_000;
}

/** Larger delays overflow Node's timer and would fire at once. */
const MAX_TIMER_MS = 2 ** 31 - 1;

function isEnabled(ms: number): boolean {
  return Number.isFinite(ms) && ms > 0 && ms <= MAX_TIMER_MS;
}
