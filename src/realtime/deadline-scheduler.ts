interface Deadline<T> {
  at: number;
  item: T;
}

/** setTimeout's largest delay. */
const MAX_DELAY_MS = 2 ** 31 - 1;

/**
 * Hands items to one runner at their deadlines, with one timer for all of them, armed for the
 * earliest: ten thousand sockets' token expiries cost one timer, not twenty thousand. A deadline is
 * an item and a time (no callback of its own): the runner decides, when it comes up, whether it still
 * stands. Deadlines are kept in a binary min-heap.
 */
export class DeadlineScheduler<T> {
  private readonly heap: Deadline<T>[] = [];
  private timer: NodeJS.Timeout | undefined;
  private armedFor = Number.POSITIVE_INFINITY;

  constructor(
    private readonly run: (item: T, at: number) => void,
    private readonly now: () => number = Date.now,
  ) {}

  /** Runs `item` at `at` (epoch ms). */
  schedule(at: number, item: T): void {
    this.push({ at, item });
    if (at < this.armedFor) this.arm();
  }

  /** Deadlines still waiting. */
  get size(): number {
    return this.heap.length;
  }

  close(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    this.heap.length = 0;
  }

  private arm(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    this.armedFor = Number.POSITIVE_INFINITY;
    const next = this.heap[0];
    if (!next) return;
    this.armedFor = next.at;
    this.timer = setTimeout(() => this.fire(), Math.min(Math.max(0, next.at - this.now()), MAX_DELAY_MS));
    this.timer.unref();
  }

  private fire(): void {
    const now = this.now();
    for (let next = this.heap[0]; next && next.at <= now; next = this.heap[0]) {
      this.pop();
      this.run(next.item, next.at);
    }
    this.arm();
  }

  private push(deadline: Deadline<T>): void {
    const heap = this.heap;
    heap.push(deadline);
    for (let i = heap.length - 1; i > 0;) {
      const parent = (i - 1) >> 1;
      if (heap[parent]!.at <= heap[i]!.at) break;
      [heap[parent], heap[i]] = [heap[i]!, heap[parent]!];
      i = parent;
    }
  }

  private pop(): void {
    const heap = this.heap;
    const last = heap.pop();
    if (heap.length === 0 || !last) return;
    heap[0] = last;
    for (let i = 0; ;) {
      const left = 2 * i + 1;
      const right = left + 1;
      let smallest = i;
      if (left < heap.length && heap[left]!.at < heap[smallest]!.at) smallest = left;
      if (right < heap.length && heap[right]!.at < heap[smallest]!.at) smallest = right;
      if (smallest === i) break;
      [heap[smallest], heap[i]] = [heap[i]!, heap[smallest]!];
      i = smallest;
    }
  }
}
