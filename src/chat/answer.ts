import type {
  AssistantDeltaEvent,
  AssistantPartEvent,
  GenerationSnapshot,
  MessagePart,
} from "../protocol/index.js";
import { textOfParts } from "../protocol/index.js";

export interface AnswerOptions {
  conversationId: string;
  messageId: string;
  /** Deltas are merged into at most one event per this many ms; 0 sends one event per chunk. */
  flushMs: number;
  emit: (event: AssistantDeltaEvent) => void;
  /** Reasoning deltas, coalesced like the text; none: reasoning is kept but not sent. */
  emitReasoning?: (event: AssistantDeltaEvent) => void;
  /** A non-text part added or changed. */
  emitPart?: (event: AssistantPartEvent) => void;
  /** Where an answer that waited for approval goes on from: its stored parts and their `seq`. */
  resumeFrom?: { seq: number; parts: MessagePart[] };
  now?: () => number;
}

type Streamed = "text" | "reasoning";

/**
 * One answer being written. It coalesces the model's text and reasoning into numbered deltas (at
 * most one event per `flushMs`, the first one at once) and numbers each change of a non-text part on
 * the same `seq`; it knows, at every moment, the parts those events cover: a tab that joins gets that
 * snapshot and then every event with a larger `seq`.
 */
export class Answer {
  readonly conversationId: string;
  readonly messageId: string;
  private readonly abortController = new AbortController();
  private readonly flushMs: number;
  private readonly options: AnswerOptions;
  private readonly now: () => number;
  /** The parts the events sent so far cover. */
  private readonly parts: MessagePart[];
  private seq: number;
  private readonly held: AssistantPartEvent[] = [];
  private pending = "";
  private pendingKind: Streamed = "text";
  private lastEmitAt = Number.NEGATIVE_INFINITY;
  private timer: NodeJS.Timeout | undefined;
  private streamEnded = false;
  /** A high surrogate that ended the last chunk, waiting for its other half. */
  private carry = "";

  constructor(options: AnswerOptions) {
    this.conversationId = options.conversationId;
    this.messageId = options.messageId;
    this.flushMs = options.flushMs;
    this.options = options;
    this.now = options.now ?? (() => performance.now());
    this.parts = structuredClone(options.resumeFrom?.parts ?? []);
    this.seq = options.resumeFrom?.seq ?? 0;
  }

  get signal(): AbortSignal {
    return this.abortController.signal;
  }

  get stopped(): boolean {
    return this.abortController.signal.aborted;
  }

  /** The text the model has produced so far, emitted or not. */
  get text(): string {
    return textOfParts(this.parts) + (this.pendingKind === "text" ? this.pending : "");
  }

  append(chunk: string): void {
    this.add("text", chunk);
  }

  appendReasoning(chunk: string): void {
    this.add("reasoning", chunk);
  }

  private add(kind: Streamed, chunk: string): void {
    if (chunk.length === 0 || this.stopped || this.streamEnded) return;
    if (kind !== this.pendingKind) {
      this.settleCarry();
      this.flush();
      this.pendingKind = kind;
    }
    const text = this.carry + chunk;
    const last = text.charCodeAt(text.length - 1);
    const split = last >= 0xd800 && last <= 0xdbff; // a pair cut between two chunks
    this.carry = split ? text.slice(-1) : "";
    const clean = storable(split ? text.slice(0, -1) : text);
    if (clean.length === 0) return;
    this.pending += clean;
    // Per chunk (no coalescing): no clock read, no timer.
    if (this.flushMs <= 0) {
      this.flush();
      return;
    }
    if (this.timer) return;
    const wait = this.lastEmitAt + this.flushMs - this.now();
    if (wait <= 0) this.flush();
    else this.timer = setTimeout(() => this.flush(), wait);
  }

  private settleCarry(): void {
    if (this.carry) this.pending += storable(this.carry);
    this.carry = "";
  }

  /** Sends what is pending as one delta, now. */
  flush(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    if (this.pending.length === 0) return;
    const delta = this.pending;
    const kind = this.pendingKind;
    this.pending = "";
    this.seq += 1;
    const last = this.parts.at(-1);
    if (last && last.type === kind) last.text += delta;
    else this.parts.push({ type: kind, text: delta });
    if (this.flushMs > 0) this.lastEmitAt = this.now();
    const event = { conversationId: this.conversationId, messageId: this.messageId, seq: this.seq, delta };
    if (kind === "text") this.options.emit(event);
    else this.options.emitReasoning?.(event);
  }

  /**
   * Adds a part (no `index`) or replaces the one at `index`, as one numbered event after what is
   * pending; returns its index. With `hold`, the event waits for `releaseHeld` (an approval request
   * is announced only once the answer is stored as waiting, so that a decision always finds it).
   */
  setPart(part: MessagePart, index?: number, hold = false): number {
    this.settleCarry();
    this.flush();
    const at = index ?? this.parts.length;
    this.parts[at] = structuredClone(part);
    this.seq += 1;
    const event = {
      conversationId: this.conversationId,
      messageId: this.messageId,
      seq: this.seq,
      index: at,
      part,
    };
    if (hold) this.held.push(event);
    else this.options.emitPart?.(event);
    return at;
  }

  /** Sends the part events held back, in order. */
  releaseHeld(): void {
    for (const event of this.held.splice(0)) this.options.emitPart?.(event);
  }

  /** The parts the events sent so far cover (a copy). */
  currentParts(): MessagePart[] {
    return structuredClone(this.parts);
  }

  /**
   * The parts the events sent so far cover, to read at once and not keep: no copy (a part is
   * replaced, never changed, except the last text's growing string).
   */
  get partsNow(): readonly MessagePart[] {
    return this.parts;
  }

  /** The `seq` of the last event sent. */
  get lastSeq(): number {
    return this.seq;
  }

  /** The parts covered by the events sent so far, and the `seq` of the last of them. */
  snapshot(): GenerationSnapshot {
    return {
      messageId: this.messageId,
      seq: this.seq,
      content: textOfParts(this.parts),
      parts: structuredClone(this.parts),
    };
  }

  /** Whether the model's stream is over: the answer is being stored, and there is nothing left to stop. */
  get ended(): boolean {
    return this.streamEnded;
  }

  /** The stream is over: what is pending is sent, and nothing more is accepted. */
  end(): void {
    this.settleCarry();
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
