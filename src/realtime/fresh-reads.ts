/**
 * Reads that many tabs ask at once with the same key (the tabs of a user joining a conversation
 * together, after a node restarted, say), shared: simultaneous identical reads cost one read per
 * round trip. A `fresh` answer comes from a read that began after the question: callers that ask
 * while a read of their key is on its way share the one read that follows it. A `recent` answer may
 * come from the read on its way. Callers share the answer (or the error): none may change it.
 */
export class FreshReads<V> {
  /** Per key: the read on its way, and the one that follows it (shared by who asked meanwhile). */
  private readonly flights = new Map<string, { running: Promise<V>; next: Promise<V> | undefined }>();

  /** The answer of a read that begins after this question. */
  fresh(key: string, read: () => Promise<V>): Promise<V> {
    const flight = this.flights.get(key);
    if (!flight) return this.launch(key, read);
    // The read on its way began before this question: this caller shares the next one.
    flight.next ??= flight.running.then(noop, noop).then(() => this.launch(key, read));
    return flight.next;
  }

  /** The answer of the read on its way, if one is (it began at most a round trip ago), else of a new one. */
  recent(key: string, read: () => Promise<V>): Promise<V> {
    return this.flights.get(key)?.running ?? this.launch(key, read);
  }

  private launch(key: string, read: () => Promise<V>): Promise<V> {
    const running = Promise.resolve().then(read);
    const flight = { running, next: undefined };
    this.flights.set(key, flight);
    const landed = () => {
      if (this.flights.get(key) === flight) this.flights.delete(key);
    };
    running.then(landed, landed);
    return running;
  }
}

const noop = () => undefined;
