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
 * (closing its HTTP connection) and throws a provider_error. SDK calls cannot be trusted to notice
 * an abort promptly (OpenAI's retry sleep ignores the signal), so every wait is raced instead.
 */
export async function* guardStream<T>(options: StreamGuardOptions<T>): AsyncGenerator<T, void, undefined> {
  const { vendor, abortSignal } = options;
  if (abortSignal.aborted) return;
  const controller = new AbortController();
  const forwardAbort = () => controller.abort(abortSignal.reason);
  abortSignal.addEventListener("abort", forwardAbort, { once: true });
  const startedAt = performance.now();
  let sawFirstToken = false;
  let phase: FailurePhase = "request";
  let finished = false;
  let iterator: AsyncIterator<T> | undefined;

  // The first-token limit counts from the start (retries included); the stall limit restarts per chunk.
  const currentLimit = (): {
    configuredMs: number;
    remainingMs: number;
    message: string;
    kind: "stall" | "first_token_timeout";
  } =>
    sawFirstToken
      ? {
          configuredMs: options.stallTimeoutMs,
          remainingMs: options.stallTimeoutMs,
          message: `${vendor} stalled for ${options.stallTimeoutMs} ms between chunks`,
          kind: "stall",
        }
      : {
          configuredMs: options.firstTokenTimeoutMs,
          remainingMs: options.firstTokenTimeoutMs - (performance.now() - startedAt),
          message: `${vendor} sent no first token within ${options.firstTokenTimeoutMs} ms`,
          kind: "first_token_timeout",
        };

  const race = <V>(work: Promise<V>): Promise<V | typeof ABORTED> =>
    new Promise<V | typeof ABORTED>((resolve, reject) => {
      // Aborted while the consumer held the chunk: a listener added now would never fire.
      if (abortSignal.aborted) {
        resolve(ABORTED);
        return;
      }
      const limit = currentLimit();
      let timer: NodeJS.Timeout | undefined;
      const cleanup = () => {
        clearTimeout(timer);
        abortSignal.removeEventListener("abort", onAbort);
      };
      const onAbort = () => {
        cleanup();
        resolve(ABORTED);
      };
      if (isEnabled(limit.configuredMs)) {
        timer = setTimeout(
          () => {
            cleanup();
            const error = providerError(limit.message, { kind: limit.kind });
            controller.abort(error);
            reject(error);
          },
          Math.max(0, limit.remainingMs),
        );
      }
      abortSignal.addEventListener("abort", onAbort, { once: true });
      work.then(
        (value) => {
          cleanup();
          resolve(value);
        },
        (err: unknown) => {
          cleanup();
          reject(err instanceof Error ? err : new Error(String(err)));
        },
      );
    });

  try {
    const iterable = await race(options.open(controller.signal));
    if (iterable === ABORTED) return;
    phase = "stream";
    iterator = iterable[Symbol.asyncIterator]();
    for (;;) {
      const result = await race(iterator.next());
      if (result === ABORTED) return;
      if (result.done) {
        finished = true;
        return;
      }
      if (!sawFirstToken && options.isFirstToken(result.value)) sawFirstToken = true;
      yield result.value;
    }
  } catch (err) {
    if (abortSignal.aborted) return;
    throw err instanceof AppError ? err : options.toError(err, phase);
  } finally {
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
