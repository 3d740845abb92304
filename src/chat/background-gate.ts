import { setTimeout as sleep } from "node:timers/promises";

/**
 * Database work nobody waits for (a generated title, a summary refresh) goes through here: one task
 * at a time, and only while no request is waiting for a connection of the pool. It never competes
 * with answers for connections; it waits for a quiet moment instead (at most `maxWaitMs`).
 */
export class BackgroundGate {
  private queue: Promise<void> = Promise.resolve();

  constructor(
    /** Whether requests are waiting for a connection (the pool is exhausted). */
    private readonly busy: () => boolean,
    private readonly maxWaitMs = 30_000,
    private readonly pollMs = 50,
  ) {}

  run<T>(task: () => Promise<T>): Promise<T> {
    const result = this.queue.then(async () => {
      for (let waited = 0; this.busy() && waited < this.maxWaitMs; waited += this.pollMs)
        await sleep(this.pollMs);
      return task();
    });
    this.queue = result.then(
      () => undefined,
      () => undefined,
    );
    return result;
  }
}
