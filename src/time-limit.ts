/** Thrown by `withTimeLimit` when the work did not settle in time. */
export class TimeLimitExceeded extends Error {
  constructor(ms: number) {
    super(`no answer within ${ms} ms`);
    this.name = "TimeLimitExceeded";
  }
}

/**
 * The work's result, or `TimeLimitExceeded` after `ms`: for calls that may wait on something that is
 * away (Redis, the database, another node), so that a client's request always gets an answer.
 */
export async function withTimeLimit<T>(work: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const limit = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new TimeLimitExceeded(ms)), ms);
  });
  try {
    return await Promise.race([work, limit]);
  } finally {
    clearTimeout(timer);
  }
}
