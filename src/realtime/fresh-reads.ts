/**
 * Reads that many tabs ask at once with the same key (the tabs of a user joining a conversation
 * together, after a node restarted, say), shared: simultaneous identical reads cost one read per
 * round trip. A `fresh` answer comes from a read that began after the question: callers that ask
 * while a read of their key is on its way share the one read that follows it. A `recent` answer may
 * be the last one that succeeded if its read began less than `RECENT_MS` ago, or come from the read
 * on its way. Callers share the answer (or the error): none may change it.
 */
export class FreshReads<V> {
  /** Per key: the read on its way, and the one that follows it (shared by who asked meanwhile). */
  private readonly flights = new Map<string, { running: Promise<V>; next: Promise<V> | undefined }>();
  /** Per key: the last answer that succeeded, and when its read began. */
  private readonly answers = new Map<string, { answer: Promise<V>; began: number }>();
  private static readonly RECENT_MS = 1000;
  private static readonly MAX_ANSWERS = 10_000;

  /** The answer of a read that begins after this question. */
  fresh(key: string, read: () => Promise<V>): Promise<V> {
    const flight = this.flights.get(key);
    if (!flight) return this.launch(key, read);
    // The read on its way began before this question: this caller shares the next one.
    flight.next ??= flight.running.then(noop, noop).then(() => this.launch(key, read));
    return flight.next;
  }

  /**
   * The last answer that succeeded if its read began less than `RECENT_MS` ago, else that of the
   * read on its way, else that of a new one.
   */
  recent(key: string, read: () => Promise<V>): Promise<V> {
    const last = this.answers.get(key);
    if (last && Date.now() - last.began < FreshReads.RECENT_MS) return last.answer;
    this.answers.delete(key);
    return this.flights.get(key)?.running ?? this.launch(key, read);
  }

  private launch(key: string, read: () => Promise<V>): Promise<V> {
    const began = Date.now();
    const running = Promise.resolve().then(read);
    const flight = { running, next: undefined };
    this.flights.set(key, flight);
    const landed = (succeeded: boolean) => {
      if (this.flights.get(key) === flight) this.flights.delete(key);
      if (!succeeded) return;
      if (this.answers.size >= FreshReads.MAX_ANSWERS) this.answers.clear();
      if ((this.answers.get(key)?.began ?? 0) <= began) this.answers.set(key, { answer: running, began });
    };
    running.then(
      () => landed(true),
      () => landed(false),
    );
    return running;
  }
}

const noop = () => undefined;
