/**
 * Reads that many tabs ask at once with the same key (the tabs of a user joining a conversation
 * together, after a node restarted, say): each caller gets the answer of a read that began after it
 * asked. Callers that ask before a read of their key begins share it, and those that ask while it is
 * on its way share the one read that follows it: simultaneous identical reads cost one read per round
 * trip, and no answer is older than its question. Callers share the answer (or the error): none may
 * change it.
 */
export class FreshReads<V> {
  /** Per key: the read asked for, whether it began, and the one that follows it. */
  private readonly flights = new Map<string, Flight<V>>();

  get(key: string, read: () => Promise<V>): Promise<V> {
    const flight = this.flights.get(key);
    if (!flight) return this.launch(key, read);
    if (!flight.began) return flight.answer;
    // The read on its way began before this question: this caller shares the next one.
    flight.next ??= flight.answer.then(noop, noop).then(() => this.launch(key, read));
    return flight.next;
  }

  private launch(key: string, read: () => Promise<V>): Promise<V> {
    // It begins once the callers of this turn of the event loop have asked.
    const answer = new Promise<void>((resolve) => setImmediate(resolve)).then(() => {
      flight.began = true;
      return read();
    });
    const flight: Flight<V> = { answer, began: false, next: undefined };
    this.flights.set(key, flight);
    const landed = () => {
      if (this.flights.get(key) === flight) this.flights.delete(key);
    };
    answer.then(landed, landed);
    return answer;
  }
}

interface Flight<V> {
  answer: Promise<V>;
  began: boolean;
  next: Promise<V> | undefined;
}

const noop = () => undefined;
