/** How one item of a group went: its result, or why it was refused. */
export type GroupOutcome<R> = { ok: true; value: R } | { ok: false; error: unknown };

export interface GroupCommitOptions<I, R> {
  /** Groups run at once at most; an item that arrives while all run waits for the next group. */
  inFlight: number;
  /** Items in one group at most. */
  maxSize: number;
  /** Two items of one key never share a group: the second waits for a later one. */
  keyOf: (item: I) => string;
  /** Runs a group (one transaction); one outcome per item, in order. A throw fails every item. */
  run: (items: I[]) => Promise<GroupOutcome<R>[]>;
}

/**
 * Group commit: items that arrive together run together. While fewer than `inFlight` groups run, an
 * item starts at once (alone when nothing else waits: no delay when the server is quiet); once that
 * many run, the items that arrive wait, and the next group to start takes them all (up to
 * `maxSize`, one per key). Under a burst the work per item shrinks as the groups grow.
 */
export class GroupCommit<I, R> {
  private readonly waiting: { item: I; resolve: (value: R) => void; reject: (err: unknown) => void }[] = [];
  private running = 0;

  constructor(private readonly options: GroupCommitOptions<I, R>) {}

  submit(item: I): Promise<R> {
    return new Promise<R>((resolve, reject) => {
      this.waiting.push({ item, resolve, reject });
      this.pump();
    });
  }

  private pump(): void {
    while (this.running < this.options.inFlight && this.waiting.length > 0) {
      const group = this.take();
      this.running++;
      void this.options
        .run(group.map((g) => g.item))
        .then(
          (outcomes) =>
            group.forEach((g, i) => {
              const outcome = outcomes[i]!;
              if (outcome.ok) g.resolve(outcome.value);
              else g.reject(outcome.error);
            }),
          (err: unknown) => group.forEach((g) => g.reject(err)),
        )
        .finally(() => {
          this.running--;
          this.pump();
        });
    }
  }

  /** The next group: the waiting items in order, one per key, up to `maxSize`. */
  private take() {
    const keys = new Set<string>();
    const group: typeof this.waiting = [];
    const rest: typeof this.waiting = [];
    for (const entry of this.waiting) {
      const key = this.options.keyOf(entry.item);
      if (group.length < this.options.maxSize && !keys.has(key)) {
        keys.add(key);
        group.push(entry);
      } else rest.push(entry);
    }
    this.waiting.splice(0, this.waiting.length, ...rest);
    return group;
  }
}
