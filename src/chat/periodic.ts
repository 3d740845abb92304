import { withTimeLimit } from "../time-limit.js";

/**
 * Runs a task every `ms`, never two at once: a tick while the last run is still going is skipped,
 * so a call that hangs delays nothing else. Tasks handle their own errors.
 */
export class Periodic {
  private running: Promise<void> | undefined;
  private readonly timer: NodeJS.Timeout;

  constructor(ms: number, task: () => Promise<void>) {
    this.timer = setInterval(() => {
      if (this.running) return;
      this.running = task()
        .catch(() => undefined)
        .finally(() => (this.running = undefined));
    }, ms);
    // A clock never keeps the process alive by itself.
    this.timer.unref();
  }

  /** No more runs. */
  cancel(): void {
    clearInterval(this.timer);
  }

  /** No more runs, and waits up to `waitMs` for one under way. */
  async stop(waitMs: number): Promise<void> {
    this.cancel();
    if (this.running) await withTimeLimit(this.running, waitMs).catch(() => undefined);
  }
}
