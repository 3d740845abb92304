import { setTimeout as sleep } from "node:timers/promises";

/**
 * How long a wait may take before it fails: well inside mocha's timeout, so that a failing wait says
 * what it was waiting for instead of mocha saying only that the test took too long.
 */
export const WAIT_LIMIT_MS = 10_000;

export interface WaitOptions {
  /** Fail after this long (WAIT_LIMIT_MS by default). */
  timeoutMs?: number;
  /** Read again this often. */
  everyMs?: number;
}

/**
 * Reads `read` again and again until `accept` holds of what it returned, and returns that value: for
 * a state that nothing announces (a row reaching a status, a server answering). Fails after the time
 * limit with "timed out waiting for <what>" and the last value read.
 */
export async function waitFor<T>(
  what: string,
  read: () => T | Promise<T>,
  accept: (value: T) => boolean,
  { timeoutMs = WAIT_LIMIT_MS, everyMs = 20 }: WaitOptions = {},
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await read();
    if (accept(value)) return value;
    if (Date.now() >= deadline) {
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what} (last read: ${shown(value)})`);
    }
    await sleep(everyMs);
  }
}

/** Like `waitFor`, for a condition that is simply true or false. */
export async function waitUntil(
  what: string,
  check: () => boolean | Promise<boolean>,
  options: WaitOptions = {},
): Promise<void> {
  await waitFor(what, check, (holds) => holds, options);
}

/**
 * Resolves as `promise` does (an event awaited, a process exiting), or fails after the time limit with
 * "timed out waiting for <what>".
 */
export async function within<T>(what: string, promise: Promise<T>, timeoutMs = WAIT_LIMIT_MS): Promise<T> {
  const gaveUp = new AbortController();
  const timeout = sleep(timeoutMs, undefined, { signal: gaveUp.signal }).then(() => {
    throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    gaveUp.abort();
    timeout.catch(() => undefined);
  }
}

/**
 * Lets `ms` pass during which something must NOT happen (no second delta, no recovery, no expiry):
 * an absence cannot be awaited, so this is the one fixed sleep a test may have. The caller says, in
 * a comment beside it, what the quiet proves.
 */
export function quietPeriod(ms: number): Promise<void> {
  return sleep(ms);
}

/**
 * Lets `ms` pass on purpose, as part of what the test varies (a tab that stays a random moment before
 * it drops): neither a wait for something nor the proof of an absence.
 */
export function letTimePass(ms: number): Promise<void> {
  return sleep(ms);
}

function shown(value: unknown): string {
  let text: string;
  try {
    text = JSON.stringify(value) ?? String(value);
  } catch {
    text = String(value);
  }
  return text.length > 300 ? `${text.slice(0, 300)}…` : text;
}
