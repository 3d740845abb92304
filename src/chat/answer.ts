import type { AssistantDeltaEvent, GenerationSnapshot } from "../protocol/index.js";

export interface AnswerOptions {
  conversationId: string;
  messageId: string;
  /** Deltas are merged into at most one event per this many ms; 0 sends one event per chunk. */
  flushMs: number;
  emit: (event: AssistantDeltaEvent) => void;
  now?: () => number;
}

/**
 * One answer being written. It coalesces the model's chunks into numbered deltas (at most one event
 * per `flushMs`, the first one at once) and knows, at every moment, the text those deltas cover:
 * a tab that joins gets that snapshot and then every delta with a larger `seq`.
 */
export class Answer {
  readonly conversationId: string;
  readonly messageId: string;
  private readonly abortController = new AbortController();
  private readonly flushMs: number;
  private readonly emitDelta: (event: AssistantDeltaEvent) => void;
  private readonly now: () => number;
  private emitted = "";
  private seq = 0;
  private pending = "";
  private lastEmitAt = Number.NEGATIVE_INFINITY;
  private timer: NodeJS.Timeout | undefined;
  private streamEnded = false;
  /** A high surrogate that ended the last chunk, waiting for its other half. */
  private carry = "";

  constructor(options: AnswerOptions) {
    this.conversationId = options.conversationId;
    this.messageId = options.messageId;
    this.flushMs = options.flushMs;
    this.emitDelta = options.emit;
    this.now = options.now ?? (() => performance.now());
  }

  get signal(): AbortSignal {
    return this.abortController.signal;
  }

  get stopped(): boolean {
    return this.abortController.signal.aborted;
  }

  /** Everything the model has produced so far, emitted or not. */
  get text(): string {
    return this.emitted + this.pending;
  }

  append(chunk: string): void {
    if (chunk.length === 0 || this.stopped || this.streamEnded) return;
    const text = this.carry + chunk;
    const last = text.charCodeAt(text.length - 1);
    const split = last >= 0xd800 && last <= 0xdbff; // a pair cut between two chunks
    this.carry = split ? text.slice(-1) : "";
    const clean = storable(split ? text.slice(0, -1) : text);
    if (clean.length === 0) return;
    this.pending += clean;
    if (this.timer) return;
    const wait = this.lastEmitAt + this.flushMs - this.now();
    if (wait <= 0) this.flush();
    else this.timer = setTimeout(() => this.flush(), wait);
  }

  /** Sends what is pending as one delta, now. */
  flush(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    if (this.pending.length === 0) return;
    const delta = this.pending;
    this.pending = "";
    this.seq += 1;
    this.emitted += delta;
    this.lastEmitAt = this.now();
    this.emitDelta({ conversationId: this.conversationId, messageId: this.messageId, seq: this.seq, delta });
  }

  /** The text covered by the deltas sent so far, and the `seq` of the last of them. */
  snapshot(): GenerationSnapshot {
    return { messageId: this.messageId, seq: this.seq, content: this.emitted };
  }

  /** Whether the model's stream is over: the answer is being stored, and there is nothing left to stop. */
  get ended(): boolean {
    return this.streamEnded;
  }

  /** The stream is over: what is pending is sent, and nothing more is accepted. */
  end(): void {
    if (this.carry) this.pending += storable(this.carry);
    this.carry = "";
    this.flush();
    this.streamEnded = true;
  }

  /** Why it was stopped: a person pressed stop, or the server is shutting down. */
  get stopReason(): "stop" | "shutdown" | undefined {
    return this.stopped ? (this.abortController.signal.reason as "stop" | "shutdown") : undefined;
  }

  /** Stop: what was produced so far is flushed and kept; nothing after it is accepted. */
  stop(reason: "stop" | "shutdown" = "stop"): void {
    if (this.stopped) return;
    this.flush();
    this.abortController.abort(reason);
  }
}

/**
 * Model output as PostgreSQL stores it, so that the deltas a tab shows equal the stored text: a lone
 * surrogate becomes U+FFFD (as PostgreSQL would make it) and NUL, which it cannot store, too.
 */
function storable(text: string): string {
  const wellFormed = text.isWellFormed() ? text : text.toWellFormed();
  return wellFormed.includes("\u0000") ? wellFormed.replaceAll("\u0000", "\ufffd") : wellFormed;
}
