/**
 * The part of the client example shared by the browser widget and the terminal client: typed acks
 * over Socket.IO, dev tokens and REST calls, and `ConversationStream`, which keeps one conversation's
 * messages exactly in step with the server (PROTOCOL.md section 5, guarantee 2). It touches neither
 * the DOM nor the terminal: both clients render from its `changed`/`removed` callbacks.
 */
import type { Socket } from "socket.io-client";
import type {
  Ack,
  AckCallback,
  AssistantDeltaEvent,
  AssistantStartEvent,
  ClientToServerEvents,
  JoinResult,
  MessageResource,
  ServerToClientEvents,
} from "../src/protocol/index.js";

export type ChatSocket = Socket<ServerToClientEvents, ClientToServerEvents>;

// ---------------------------------------------------------------------------------------------
// Acks

type EventName = keyof ClientToServerEvents;
type PayloadOf<E extends EventName> = Parameters<ClientToServerEvents[E]>[0];
type AckDataOf<E extends EventName> =
  NonNullable<Parameters<ClientToServerEvents[E]>[1]> extends AckCallback<infer T> ? T : never;

/** The emit of a `socket.timeout(ms)`, seen without the event maps (whose optional acks it cannot type). */
interface TimedEmitter {
  emit(event: string, payload: unknown, callback: (err: Error | null, answer?: unknown) => void): unknown;
}

/**
 * Emits a client-to-server event and resolves with its ack. Never rejects: no answer within
 * `timeoutMs` becomes an `{ok: false}` answer with code `unavailable`, so callers handle every
 * failure in one place.
 */
export function request<E extends EventName>(
  socket: ChatSocket,
  event: E,
  payload: PayloadOf<E>,
  timeoutMs = 15_000,
): Promise<Ack<AckDataOf<E>>> {
  return new Promise((resolve) => {
    const emitter = socket.timeout(timeoutMs) as unknown as TimedEmitter;
    emitter.emit(event, payload, (err, answer) => {
      if (err) {
        resolve({ ok: false, error: { code: "unavailable", message: `no answer to ${event} (timed out)` } });
      } else {
        resolve(answer as Ack<AckDataOf<E>>);
      }
    });
  });
}

// ---------------------------------------------------------------------------------------------
// REST

export class ApiError extends Error {
  constructor(
    readonly code: string,
    message: string,
    readonly status: number,
  ) {
    super(message);
    this.name = "ApiError";
  }
}

interface ErrorEnvelope {
  error?: { code?: string; message?: string };
}

async function readJson(res: Response): Promise<unknown> {
  const text = await res.text();
  if (!text) return undefined;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}

async function failure(res: Response): Promise<ApiError> {
  const body = (await readJson(res)) as ErrorEnvelope | undefined;
  return new ApiError(
    body?.error?.code ?? "http_" + res.status,
    body?.error?.message ?? `${res.status} ${res.statusText}`,
    res.status,
  );
}

/** `POST /api/v1/dev/token {sub, name}`: a development token, so no host application is needed. */
export async function fetchDevToken(baseUrl: string, sub: string, name?: string): Promise<string> {
  const res = await fetch(new URL("/api/v1/dev/token", baseUrl), {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify(name ? { sub, name } : { sub }),
  });
  if (!res.ok) throw await failure(res);
  const body = (await res.json()) as { token?: unknown };
  if (typeof body.token !== "string") throw new ApiError("internal", "no token in the answer", res.status);
  return body.token;
}

/**
 * A small REST client for `/api/v1`. On a 401 it asks `renewToken` for a new token once and retries.
 */
export class Api {
  constructor(
    private readonly baseUrl: string,
    private token: string,
    private readonly renewToken: () => Promise<string>,
  ) {}

  setToken(token: string): void {
    this.token = token;
  }

  async call<T>(method: string, path: string, body?: unknown): Promise<T> {
    let res = await this.send(method, path, body);
    if (res.status === 401) {
      this.token = await this.renewToken();
      res = await this.send(method, path, body);
    }
    if (!res.ok) throw await failure(res);
    return (await readJson(res)) as T;
  }

  private send(method: string, path: string, body: unknown): Promise<Response> {
    const headers: Record<string, string> = { authorization: `Bearer ${this.token}` };
    if (body !== undefined) headers["content-type"] = "application/json";
    return fetch(new URL("/api/v1" + path, this.baseUrl), {
      method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
    });
  }
}

// ---------------------------------------------------------------------------------------------
// One conversation's messages

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
  status: MessageStatus;
  error: { code: string; message: string } | null;
  clientMessageId: string | null;
  createdAt: string | null;
}

export interface StreamListener {
  /** A message was added or changed (its text, status or seq). */
  changed(view: MessageView): void;
  /** A message left the list (a local placeholder replaced by the stored message). */
  removed(key: string): void;
}

/** A conversation's events, as they arrive from the room. */
export type StreamEvent =
  | { type: "created"; message: MessageResource }
  | { type: "start"; event: AssistantStartEvent }
  | { type: "delta"; event: AssistantDeltaEvent }
  | { type: "saving"; messageId: string }
  | { type: "done"; message: MessageResource }
  | { type: "error"; message: MessageResource; error: { code: string; message: string } };

const settled = (status: MessageStatus) =>
  status !== "streaming" && status !== "sending" && status !== "saving";

/**
 * Keeps one conversation exactly in step with the server.
 *
 * Between `beginJoin()` and `applyJoin()` every event is buffered; on the ack the snapshot is
 * applied (messages merged by id, the running answer's text set to `generation.content` covering
 * deltas up to `generation.seq`), then the buffer is replayed. A delta is applied only if its seq is
 * greater than the last one applied to that answer, so nothing is shown twice or skipped.
 */
export class ConversationStream {
  private readonly views = new Map<string, MessageView>();
  /** The seq of the last delta applied, per answer being written. */
  private readonly lastDelta = new Map<string, number>();
  private buffer: StreamEvent[] | null = null;
  /** Whether older messages exist before the first one shown. */
  hasMoreBefore = false;

  constructor(
    readonly conversationId: string,
    private readonly listener: StreamListener,
  ) {}

  /** Call right before emitting `conversation:join`: events are buffered until `applyJoin`. */
  beginJoin(): void {
    this.buffer ??= [];
  }

  get joining(): boolean {
    return this.buffer !== null;
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

  /** The join ack: merges its messages and the running answer, then replays what was buffered. */
  applyJoin(result: JoinResult, fullHistory: boolean): void {
    if (fullHistory) this.hasMoreBefore = result.hasMore;
    for (const message of result.messages) this.upsert(message);
    const generation = result.generation;
    if (generation) {
      const known = this.views.get(generation.messageId);
      const last = known ? this.lastDelta.get(generation.messageId) : undefined;
      // A settled answer is final; an older snapshot never replaces text covering more deltas.
      if (!(known && settled(known.status)) && (last === undefined || generation.seq > last)) {
        const view = known ?? this.placeholder(generation.messageId);
        this.lastDelta.set(generation.messageId, generation.seq);
        this.put({ ...view, content: generation.content, status: "streaming" });
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

  /** Older messages, from `GET /conversations/:id/messages?before=`. */
  addOlder(messages: MessageResource[], hasMore: boolean): void {
    for (const message of messages) this.upsert(message);
    this.hasMoreBefore = hasMore;
  }

  /** A send from this client, shown until its ack or the `message:created` echo brings the stored one. */
  addLocal(clientMessageId: string, content: string): void {
    this.put({
      key: "local:" + clientMessageId,
      id: null,
      seq: null,
      role: "user",
      content,
      status: "sending",
      error: null,
      clientMessageId,
      createdAt: new Date().toISOString(),
    });
  }

  dropLocal(clientMessageId: string): void {
    this.remove("local:" + clientMessageId);
  }

  /** The send ack: the stored user message, and the answer it started. */
  applySent(message: MessageResource, assistantMessageId: string | null): void {
    this.upsert(message);
    if (!assistantMessageId) return;
    const view = this.views.get(assistantMessageId);
    if (!view) this.put({ ...this.placeholder(assistantMessageId), seq: message.seq + 1 });
    else if (!settled(view.status)) this.put({ ...view, seq: message.seq + 1 });
  }

  list(): MessageView[] {
    return [...this.views.values()].sort(compareViews);
  }

  /** The answer being written, if any. */
  streaming(): MessageView | undefined {
    for (const view of this.views.values()) if (view.status === "streaming") return view;
    return undefined;
  }

  lowestSeq(): number | undefined {
    let lowest: number | undefined;
    for (const view of this.views.values()) {
      if (view.seq !== null && view.id !== null) lowest = Math.min(lowest ?? Infinity, view.seq);
    }
    return lowest;
  }

  private apply(event: StreamEvent): void {
    switch (event.type) {
      case "created":
      case "done":
      case "error":
        this.upsert(event.message);
        return;
      case "start":
        if (!this.views.has(event.event.messageId)) this.put(this.placeholder(event.event.messageId));
        return;
      case "saving": {
        // No delta comes after this; the stored message will.
        const view = this.views.get(event.messageId);
        if (view && !settled(view.status)) this.put({ ...view, status: "saving" });
        return;
      }
      case "delta": {
        const { messageId, seq, delta } = event.event;
        const view = this.views.get(messageId) ?? this.placeholder(messageId);
        if (settled(view.status)) return;
        // Undefined: a checkpoint read from the database, whose deltas are unknown. Its
        // `assistant:done` or `assistant:error` will bring the text; adding to it could repeat some.
        const last = this.lastDelta.get(messageId);
        if (last === undefined || seq <= last) return;
        this.lastDelta.set(messageId, seq);
        this.put({ ...view, content: view.content + delta });
        return;
      }
    }
  }

  /** Merges a stored message: a settled one is final; a streaming one never overwrites newer text. */
  private upsert(message: MessageResource): void {
    if (message.clientMessageId) this.remove("local:" + message.clientMessageId);
    const existing = this.views.get(message.id);
    const incoming = fromResource(message);
    if (existing) {
      if (settled(existing.status) && !settled(incoming.status)) return;
      if (!settled(incoming.status) && this.lastDelta.has(message.id)) {
        // A checkpoint read from the database may lag behind the deltas already applied.
        this.put({ ...incoming, content: existing.content });
        return;
      }
    }
    if (settled(incoming.status)) this.lastDelta.delete(message.id);
    this.put(incoming);
  }

  /** An answer known from its start: no text yet, so it covers deltas up to 0. */
  private placeholder(messageId: string): MessageView {
    this.lastDelta.set(messageId, 0);
    let highest = 0;
    for (const view of this.views.values()) if (view.seq !== null) highest = Math.max(highest, view.seq);
    return {
      key: messageId,
      id: messageId,
      seq: highest + 1,
      role: "assistant",
      content: "",
      status: "streaming",
      error: null,
      clientMessageId: null,
      createdAt: new Date().toISOString(),
    };
  }

  private put(view: MessageView): void {
    const existing = this.views.get(view.key);
    if (
      existing &&
      existing.content === view.content &&
      existing.status === view.status &&
      existing.seq === view.seq &&
      existing.error?.message === view.error?.message
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
    status: message.status,
    error: message.error,
    clientMessageId: message.clientMessageId,
    createdAt: message.createdAt,
  };
}

/** By seq; local sends (no seq yet) last, in the order they were made. */
export function compareViews(a: MessageView, b: MessageView): number {
  if (a.seq === null && b.seq === null) return (a.createdAt ?? "").localeCompare(b.createdAt ?? "");
  if (a.seq === null) return 1;
  if (b.seq === null) return -1;
  return a.seq - b.seq;
}

/** Subscribes a stream to its conversation's room events on a socket; returns the unsubscribe. */
export function subscribe(socket: ChatSocket, stream: () => ConversationStream | null): () => void {
  const forMe = (conversationId: string) => {
    const current = stream();
    return current && current.conversationId === conversationId ? current : null;
  };
  const created: ServerToClientEvents["message:created"] = (e) =>
    forMe(e.conversationId)?.handle({ type: "created", message: e.message });
  const start: ServerToClientEvents["assistant:start"] = (e) =>
    forMe(e.conversationId)?.handle({ type: "start", event: e });
  const delta: ServerToClientEvents["assistant:delta"] = (e) =>
    forMe(e.conversationId)?.handle({ type: "delta", event: e });
  const saving: ServerToClientEvents["assistant:saving"] = (e) =>
    forMe(e.conversationId)?.handle({ type: "saving", messageId: e.messageId });
  const done: ServerToClientEvents["assistant:done"] = (e) =>
    forMe(e.conversationId)?.handle({ type: "done", message: e.message });
  const failed: ServerToClientEvents["assistant:error"] = (e) =>
    forMe(e.conversationId)?.handle({ type: "error", message: e.message, error: e.error });
  socket.on("message:created", created);
  socket.on("assistant:start", start);
  socket.on("assistant:delta", delta);
  socket.on("assistant:saving", saving);
  socket.on("assistant:done", done);
  socket.on("assistant:error", failed);
  return () => {
    socket.off("assistant:saving", saving);
    socket.off("message:created", created);
    socket.off("assistant:start", start);
    socket.off("assistant:delta", delta);
    socket.off("assistant:done", done);
    socket.off("assistant:error", failed);
  };
}
