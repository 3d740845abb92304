/**
 * `ConversationStream`: one conversation's messages kept exactly in step with the server (PROTOCOL.md
 * section 5, guarantee 2): the snapshot of a join merged with the events that arrive meanwhile, deltas
 * applied once each in order, the path that ends at the head. It touches neither the DOM nor the
 * terminal: the conversation handle owns one and tells the faces what changed.
 */
import type {
  AssistantDeltaEvent,
  AssistantPartEvent,
  AssistantStartEvent,
  ConversationResource,
  FilePart,
  JoinResult,
  MessagePart,
  MessageResource,
  ToolPart,
} from "../src/protocol/index.js";
import {
  applyDecision,
  applyPartsEvent,
  partEvent,
  partsOrText,
  pendingTools,
  type PartsEvent,
} from "./parts.js";

/**
 * `sending`: a local message waiting for its ack. `saving`: an answer that has ended and that the
 * server keeps until its database can store it (`assistant:saving`); done or error follows.
 */
export type MessageStatus = MessageResource["status"] | "sending" | "saving";

/** A message as a client shows it. */
export interface MessageView {
  /** The message id, or `local:<clientMessageId>` while a send waits for its ack. */
  key: string;
  id: string | null;
  /** Null while sending. For an answer announced by `assistant:start` alone, a guess until it is stored. */
  seq: number | null;
  role: MessageResource["role"];
  content: string;
  /** Its parts in the order they were produced: text, reasoning, tool calls, sources. */
  parts: MessagePart[];
  status: MessageStatus;
  error: { code: string; message: string } | null;
  clientMessageId: string | null;
  createdAt: string | null;
  /** The message it follows (null at the start; unknown for a local send). */
  parentId: string | null;
  /** Its place among the messages sharing its parent; null until stored. */
  branch: { index: number; count: number } | null;
  /** Who wrote a user message (null for answers, a template's messages, an erased user). */
  author: { id: string; name: string } | null;
}

export interface StreamListener {
  /** A message was added or changed (its text, status or seq). */
  changed(view: MessageView): void;
  /** A message left the list (a local placeholder replaced by the stored message). */
  removed(key: string): void;
  /** The head moved, or messages above the path arrived: the path shown is another one. */
  pathChanged(): void;
}

/** A conversation's events, as they arrive from the room. */
export type StreamEvent =
  | { type: "created"; message: MessageResource }
  | { type: "start"; event: AssistantStartEvent }
  | { type: "delta"; event: AssistantDeltaEvent }
  | { type: "reasoning"; event: AssistantDeltaEvent }
  | { type: "part"; event: AssistantPartEvent }
  | { type: "saving"; messageId: string }
  | { type: "done"; message: MessageResource }
  | { type: "error"; message: MessageResource; error: { code: string; message: string } };

/**
 * Whether a message has ended: neither being sent, written, waiting for a decision on its tool calls
 * (the same answer goes on once decided) nor waiting to be stored.
 */
export const settled = (status: MessageStatus) =>
  status !== "streaming" && status !== "sending" && status !== "saving" && status !== "awaiting_approval";

/** An answer still open: being written, or waiting for a decision on its tool calls. */
const writing = (status: MessageStatus) => status === "streaming" || status === "awaiting_approval";

/**
 * Keeps one conversation exactly in step with the server.
 *
 * Between `beginJoin()` and `applyJoin()` every event is buffered; on the ack the snapshot is
 * applied (messages merged by id, the running answer's text set to `generation.content` covering
 * deltas up to `generation.seq`), then the buffer is replayed. A delta is applied only if its seq is
 * greater than the last one applied to that answer, so nothing is shown twice or skipped.
 *
 * A conversation is a tree (PROTOCOL.md section 7): the stream keeps every message it has seen, on
 * any branch, and shows the path that ends at the conversation's head, walking up `parentId`. The
 * head comes with the conversation (join, `conversation:updated`, a checkout's ack) and moves to each
 * new message (`message:created`, `assistant:start`).
 */
export class ConversationStream {
  private readonly views = new Map<string, MessageView>();
  /** The seq of the last delta applied, per answer being written. */
  private readonly lastDelta = new Map<string, number>();
  private buffer: StreamEvent[] | null = null;
  /** The newest message of the path shown. */
  private headId: string | null = null;
  /** Whether the server said the path goes on above the oldest message it gave. */
  private moreAbove = false;

  constructor(
    readonly conversationId: string,
    private readonly listener: StreamListener,
  ) {}

  /** Call right before emitting `conversation:join`: events are buffered until `applyJoin`. */
  beginJoin(): void {
    this.buffer ??= [];
  }

  /** The `afterSeq` for a re-join: every message up to it is shown and settled. */
  afterSeq(): number | undefined {
    let highestSettled: number | undefined;
    let lowestOpen = Infinity;
    for (const view of this.views.values()) {
      if (view.seq === null || view.id === null) continue;
      if (settled(view.status)) highestSettled = Math.max(highestSettled ?? 0, view.seq);
      else lowestOpen = Math.min(lowestOpen, view.seq);
    }
    if (highestSettled === undefined) return undefined;
    // An answer shown as streaming may have ended while we were away: ask again from before it.
    return Math.min(highestSettled, lowestOpen - 1);
  }

  /** The conversation as the server gives it: its head is the end of the path shown. */
  setConversation(conversation: ConversationResource): void {
    this.moveHead(conversation.headId);
  }

  get head(): string | null {
    return this.headId;
  }

  /** The join ack: merges its messages and the running answer, then replays what was buffered. */
  applyJoin(result: JoinResult, fullHistory: boolean): void {
    if (fullHistory) this.moreAbove = result.hasMore;
    for (const message of result.messages) this.upsert(message);
    this.setConversation(result.conversation);
    const generation = result.generation;
    if (generation) {
      const known = this.views.get(generation.messageId);
      const last = known ? this.lastDelta.get(generation.messageId) : undefined;
      // A settled answer is final; an older snapshot never replaces text covering more deltas.
      if (!(known && settled(known.status)) && (last === undefined || generation.seq > last)) {
        const view = known ?? this.placeholder(generation.messageId);
        this.lastDelta.set(generation.messageId, generation.seq);
        const parts = partsOrText(generation.parts, generation.content);
        this.put({ ...view, content: generation.content, parts, status: openStatus(parts) });
      }
    }
    const buffered = this.buffer ?? [];
    this.buffer = null;
    for (const event of buffered) this.apply(event);
  }

  /** The join failed: stop buffering and apply what arrived anyway. */
  abandonJoin(): void {
    const buffered = this.buffer ?? [];
    this.buffer = null;
    for (const event of buffered) this.apply(event);
  }

  handle(event: StreamEvent): void {
    if (this.buffer) this.buffer.push(event);
    else this.apply(event);
  }

  /** Older messages of the path, from `GET /conversations/:id/messages?leaf=&before=`. */
  addOlder(messages: MessageResource[], hasMore: boolean): void {
    for (const message of messages) this.upsert(message);
    this.moreAbove = hasMore;
    this.listener.pathChanged();
  }

  /** Whether the path goes on above the oldest message held: "load earlier messages". */
  get hasMoreBefore(): boolean {
    const top = this.path()[0];
    if (!top) return false;
    return top.parentId !== null && (this.moreAbove || !this.views.has(top.parentId));
  }

  /**
   * Whether the path shown lacks messages the stream does not hold yet (after a checkout): the head
   * itself, or the parent of the oldest message held.
   */
  pathIncomplete(): boolean {
    if (this.headId !== null && !this.views.has(this.headId)) return true;
    const top = this.path()[0];
    // Above the oldest page the server gave, the path goes on by design ("load earlier messages").
    return top !== undefined && top.parentId !== null && !this.views.has(top.parentId) && !this.moreAbove;
  }

  /** A send from this client, shown until its ack or the `message:created` echo brings the stored one. */
  addLocal(
    clientMessageId: string,
    content: string,
    author: MessageView["author"] = null,
    files: readonly FilePart[] = [],
  ): void {
    this.put({
      key: "local:" + clientMessageId,
      id: null,
      seq: null,
      role: "user",
      content,
      // As the server will store it: the files first, then the text.
      parts: [...files, ...partsOrText([], content)],
      status: "sending",
      error: null,
      clientMessageId,
      createdAt: new Date().toISOString(),
      parentId: null,
      branch: null,
      author,
    });
  }

  dropLocal(clientMessageId: string): void {
    this.remove("local:" + clientMessageId);
  }

  /** The send (or edit) ack: the stored user message, and the answer it started, now the head. */
  applySent(message: MessageResource, assistantMessageId: string | null): void {
    this.upsert(message);
    if (!assistantMessageId) {
      this.moveHead(message.id);
      return;
    }
    const view = this.views.get(assistantMessageId);
    if (!view) this.put({ ...this.placeholder(assistantMessageId, message.id), seq: message.seq + 1 });
    else if (!settled(view.status)) this.put({ ...view, seq: message.seq + 1 });
    this.moveHead(assistantMessageId);
  }

  /** What a tab shows: the path ending at the head, then the local sends waiting for their ack. */
  list(): MessageView[] {
    const locals = [...this.views.values()].filter((v) => v.id === null).sort(compareViews);
    return [...this.path(), ...locals];
  }

  /** A message the stream holds, by id. */
  find(id: string): MessageView | undefined {
    return this.views.get(id);
  }

  /** The path ending at the head, as far up as the stream holds it, oldest first. */
  private path(): MessageView[] {
    const path: MessageView[] = [];
    const seen = new Set<string>();
    for (let id = this.headId; id !== null && !seen.has(id);) {
      const view = this.views.get(id);
      if (!view) break;
      seen.add(id);
      path.push(view);
      id = view.parentId;
    }
    return path.reverse();
  }

  private moveHead(headId: string | null): void {
    if (headId === this.headId) return;
    this.headId = headId;
    this.listener.pathChanged();
  }

  /** The answer being written (or waiting for a decision on its tool calls), if any. */
  streaming(): MessageView | undefined {
    for (const view of this.views.values()) if (writing(view.status)) return view;
    return undefined;
  }

  /**
   * A decision's ack: the decided tool call is shown at once (its `assistant:part` follows, with the
   * answer's seq, and changes nothing more).
   */
  applyDecided(messageId: string, part: ToolPart): void {
    const view = this.views.get(messageId);
    if (!view || !writing(view.status)) return;
    const parts = applyDecision(view.parts, part);
    this.put({ ...view, parts, status: openStatus(parts) });
  }

  /** The seq of the oldest message of the path held: where "load earlier messages" pages from. */
  lowestSeq(): number | undefined {
    return this.path()[0]?.seq ?? undefined;
  }

  private apply(event: StreamEvent): void {
    switch (event.type) {
      case "created":
        // A new user message is the head (an edit's too).
        this.upsert(event.message);
        this.moveHead(event.message.id);
        return;
      case "done":
      case "error":
        this.upsert(event.message);
        return;
      case "start": {
        const { messageId, parentId } = event.event;
        const known = this.views.get(messageId);
        if (!known) this.put(this.placeholder(messageId, parentId));
        else if (known.parentId === null && parentId !== null) this.put({ ...known, parentId });
        this.moveHead(messageId);
        return;
      }
      case "saving": {
        // No delta comes after this; the stored message will.
        const view = this.views.get(event.messageId);
        if (view && !settled(view.status)) this.put({ ...view, status: "saving" });
        return;
      }
      case "delta":
        return this.applySeq(event.event, { type: "text", delta: event.event.delta });
      case "reasoning":
        return this.applySeq(event.event, { type: "reasoning", delta: event.event.delta });
      case "part":
        return this.applySeq(event.event, partEvent(event.event));
    }
  }

  /** One event of an answer (text, reasoning or a part), applied once, in seq order. */
  private applySeq(event: { messageId: string; seq: number }, change: PartsEvent): void {
    const { messageId, seq } = event;
    const view = this.views.get(messageId) ?? this.placeholder(messageId);
    if (settled(view.status)) return;
    // Undefined: a checkpoint read from the database, whose deltas are unknown. Its
    // `assistant:done` or `assistant:error` will bring the text; adding to it could repeat some.
    const last = this.lastDelta.get(messageId);
    if (last === undefined || seq <= last) return;
    this.lastDelta.set(messageId, seq);
    const parts = applyPartsEvent(view.parts, change);
    const content = change.type === "text" ? view.content + change.delta : view.content;
    // `saving` stays until the stored message comes; otherwise a pending tool call means waiting.
    const status = view.status === "saving" ? view.status : openStatus(parts);
    this.put({ ...view, content, parts, status });
  }

  /** Merges a stored message: a settled one is final; a streaming one never overwrites newer text. */
  private upsert(message: MessageResource): void {
    if (message.clientMessageId) this.remove("local:" + message.clientMessageId);
    const existing = this.views.get(message.id);
    const incoming = fromResource(message);
    // The same parts again (a repeated or echoed message) keep their identity: nothing to draw.
    if (existing && JSON.stringify(existing.parts) === JSON.stringify(incoming.parts))
      incoming.parts = existing.parts;
    if (existing) {
      if (settled(existing.status) && !settled(incoming.status)) return;
      if (!settled(incoming.status) && this.lastDelta.has(message.id)) {
        // A checkpoint read from the database may lag behind the deltas already applied.
        this.put({ ...incoming, content: existing.content, parts: existing.parts });
        return;
      }
    }
    if (settled(incoming.status)) this.lastDelta.delete(message.id);
    // Versions are only ever added: a count never goes down, whichever copy arrived last.
    const count = Math.max(incoming.branch?.count ?? 0, existing?.branch?.count ?? 0);
    this.put(incoming.branch ? { ...incoming, branch: { ...incoming.branch, count } } : incoming);
    this.countSiblings(message.parentId, count);
  }

  /** A new version was stored: every held sibling now counts it (their places do not change). */
  private countSiblings(parentId: string | null, count: number): void {
    for (const view of [...this.views.values()]) {
      if (view.id === null || view.parentId !== parentId || !view.branch || view.branch.count >= count)
        continue;
      this.put({ ...view, branch: { ...view.branch, count } });
    }
  }

  /** An answer known from its start: no text yet, so it covers deltas up to 0. */
  private placeholder(messageId: string, parentId: string | null = null): MessageView {
    this.lastDelta.set(messageId, 0);
    const siblings = [...this.views.values()].filter((v) => v.id !== null && v.parentId === parentId);
    let highest = 0;
    for (const view of this.views.values()) if (view.seq !== null) highest = Math.max(highest, view.seq);
    return {
      key: messageId,
      id: messageId,
      seq: highest + 1,
      role: "assistant",
      content: "",
      parts: [],
      status: "streaming",
      error: null,
      clientMessageId: null,
      createdAt: new Date().toISOString(),
      parentId,
      branch: parentId === null ? null : { index: siblings.length + 1, count: siblings.length + 1 },
      author: null,
    };
  }

  private put(view: MessageView): void {
    const existing = this.views.get(view.key);
    if (
      existing &&
      existing.content === view.content &&
      existing.parts === view.parts &&
      existing.status === view.status &&
      existing.seq === view.seq &&
      existing.error?.message === view.error?.message &&
      existing.branch?.count === view.branch?.count
    ) {
      this.views.set(view.key, view);
      return;
    }
    this.views.set(view.key, view);
    this.listener.changed(view);
  }

  private remove(key: string): void {
    if (this.views.delete(key)) this.listener.removed(key);
  }
}

function fromResource(message: MessageResource): MessageView {
  return {
    key: message.id,
    id: message.id,
    seq: message.seq,
    role: message.role,
    content: message.content,
    parts: partsOrText(message.parts, message.content),
    status: message.status,
    error: message.error,
    clientMessageId: message.clientMessageId,
    createdAt: message.createdAt,
    parentId: message.parentId,
    branch: message.branch,
    author: message.author,
  };
}

/** An open answer's status from its parts: waiting while a tool call waits for a decision. */
function openStatus(parts: readonly MessagePart[]): MessageStatus {
  return pendingTools(parts).length > 0 ? "awaiting_approval" : "streaming";
}

/** By seq; local sends (no seq yet) last, in the order they were made. */
export function compareViews(a: MessageView, b: MessageView): number {
  if (a.seq === null && b.seq === null) return (a.createdAt ?? "").localeCompare(b.createdAt ?? "");
  if (a.seq === null) return 1;
  if (b.seq === null) return -1;
  return a.seq - b.seq;
}
