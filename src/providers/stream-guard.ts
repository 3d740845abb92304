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
const DONE: IteratorReturnResult<undefined> = { done: true, value: undefined };

/**
 * Wraps one vendor stream with the time limits every vendor shares: no first token within
 * `firstTokenTimeoutMs`, or nothing for `stallTimeoutMs` between chunks, aborts the vendor request
 * (closing its HTTP connection) and throws a provider_error.
 *
 * Nothing is allocated per chunk: one timer serves the whole stream (the first-token limit from the
 * start, then the stall limit, re-armed before each read), and one listener forwards the caller's
 * stop. Aborting the request makes the SDK's read fail at once. Only the request itself (with the
 * SDK's retries, whose sleep ignores the signal) is raced against the abort, once. The stream is
 * an iterator of its own, not a generator: a chunk costs one promise callback, not a generator's
 * resumption and its awaits.
 */
export function guardStream<T>(options: StreamGuardOptions<T>): AsyncIterableIterator<T, undefined> {
  return new GuardedStream(options);
}

/**
 * One guarded stream, read as a generator would be: the request starts at the first `next`; the
 * stream ends (its request closed unless the vendor ended it) when it is over, fails, times out,
 * the caller aborts, or the reader stops early (`return`).
 */
class GuardedStream<T> implements AsyncIterableIterator<T, undefined> {
  private controller: AbortController | undefined;
  private limits: StreamLimits | undefined;
  private iterator: AsyncIterator<T> | undefined;
  private phase: FailurePhase = "request";
  private started = false;
  private over = false;
  /** The vendor's stream ended by itself: there is no request to close. */
  private finished = false;

  constructor(private readonly options: StreamGuardOptions<T>) {}

  [Symbol.asyncIterator](): this {
    return this;
  }

  next(): Promise<IteratorResult<T, undefined>> {
    if (this.over) return Promise.resolve(DONE);
    if (!this.started) return this.start();
    return this.read();
  }

  return(): Promise<IteratorResult<T, undefined>> {
    this.close();
    return Promise.resolve(DONE);
  }

  private async start(): Promise<IteratorResult<T, undefined>> {
    this.started = true;
    const { abortSignal } = this.options;
    if (abortSignal.aborted) {
      this.over = true;
      return DONE;
    }
    const controller = new AbortController();
    this.controller = controller;
    abortSignal.addEventListener("abort", this.forwardAbort, { once: true });
    const limits = new StreamLimits(this.options, controller);
    this.limits = limits;
    try {
      const iterable = await untilAborted(this.options.open(controller.signal), controller.signal);
      limits.throwIfExpired();
      if (iterable === ABORTED || this.over) {
        this.close();
        return DONE;
      }
      this.phase = "stream";
      this.iterator = iterable[Symbol.asyncIterator]();
    } catch (err) {
      return this.fail(err);
    }
    return this.read();
  }

  private read(): Promise<IteratorResult<T, undefined>> {
    try {
      this.limits?.beforeRead();
      const pending = (this.iterator as AsyncIterator<T>).next();
      return pending.then(this.onResult, this.onError);
    } catch (err) {
      return Promise.resolve().then(() => this.fail(err));
    }
  }

  private readonly onResult = (result: IteratorResult<T>): IteratorResult<T, undefined> => {
    try {
      const limits = this.limits as StreamLimits;
      limits.throwIfExpired();
      if (this.options.abortSignal.aborted) {
        this.close();
        return DONE;
      }
      if (result.done) {
        this.finished = true;
        this.close();
        return DONE;
      }
      if (limits.awaitingFirstToken && this.options.isFirstToken(result.value)) limits.firstTokenCame();
      return result;
    } catch (err) {
      return this.fail(err);
    }
  };

  private readonly onError = (err: unknown): IteratorResult<T, undefined> => this.fail(err);

  private readonly forwardAbort = (): void => {
    this.controller?.abort(this.options.abortSignal.reason);
  };

  /** The stream failed: it ends, quietly if the caller aborted, else with a provider error. */
  private fail(err: unknown): IteratorResult<T, undefined> {
    this.close();
    this.limits?.throwIfExpired();
    if (this.options.abortSignal.aborted) return DONE;
    throw err instanceof AppError ? err : this.options.toError(err, this.phase);
  }

  /**
   * The stream is over. Unless the vendor ended it, the HTTP request is closed (we timed out, the
   * caller aborted, or the reader stopped on a malformed chunk); the iterator's end is not awaited,
   * since a hung iterator may never settle.
   */
  private close(): void {
    if (this.over) return;
    this.over = true;
    if (!this.controller) return;
    this.limits?.clear();
    this.options.abortSignal.removeEventListener("abort", this.forwardAbort);
    if (!this.finished) {
      this.controller.abort();
      this.iterator?.return?.().catch(() => undefined);
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
