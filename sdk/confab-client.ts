/**
 * `ConfabClient`: Confab for a host application in one object (PROTOCOL.md section D). Typed calls
 * for every `/chat` event and REST route, and a handle per conversation that joins, keeps the path and
 * the answer being written exactly in step with the server, resumes after every reconnect (`afterSeq`,
 * no delta lost or doubled), and sends with a `clientMessageId` it repeats after a reconnect (a send is
 * never lost or doubled). No DOM needed: it runs in browsers and in Node 20+.
 */
import { io } from "socket.io-client";
import type {
  Ack,
  AckError,
  ClientToServerEvents,
  ConversationResource,
  JoinResult,
  MessageResource,
  PresentUser,
  SendResult,
  ServerToClientEvents,
} from "../src/protocol/index.js";
import {
  Api,
  ConversationStream,
  newId,
  request,
  subscribe,
  type ChatSocket,
  type MessageView,
} from "./chat-client.js";

export interface ConfabClientOptions {
  /** The Confab server, e.g. `https://chat.example.com`. */
  url: string;
  /** A token, or a function that gives a fresh one (called again when the server refuses or warns of expiry). */
  token?: string;
  getToken?: () => string | Promise<string>;
}

/** A refused call: the contract's error code, message and, when rate limited, when to retry. */
export class ConfabError extends Error {
  readonly code: string;
  readonly retryAfterMs: number | undefined;

  constructor(error: Pick<AckError, "code" | "message" | "retryAfterMs">) {
    super(error.message);
    this.name = "ConfabError";
    this.code = error.code;
    this.retryAfterMs = error.retryAfterMs;
  }
}

type AckEvent = Exclude<keyof ClientToServerEvents, "typing">;
type PayloadOf<E extends AckEvent> = Parameters<ClientToServerEvents[E]>[0];
type DataOf<E extends AckEvent> = Parameters<ClientToServerEvents[E]>[1] extends (
  answer: Ack<infer T>,
) => void
  ? T
  : never;

/** One connection to Confab: a socket on `/chat` and REST under `/api/v1`, with the same token. */
export class ConfabClient {
  readonly socket: ChatSocket;
  readonly api: Api;
  private readonly handles = new Map<string, ConversationHandle>();
  private token: string | undefined;
  private closed = false;
  /** Consecutive handshakes refused: each waits longer before the next (up to 30 s). */
  private refusals = 0;

  constructor(private readonly options: ConfabClientOptions) {
    if (!options.token && !options.getToken) throw new Error("ConfabClient needs a token or getToken");
    this.token = options.token;
    this.api = new Api(options.url, options.token ?? "", () => this.freshToken());
    this.socket = io(new URL("/chat", options.url).href, {
      // A token that cannot be had yet is sent empty: the refusal below asks again, later.
      auth: (cb) => {
        this.currentToken().then(
          (token) => cb({ token }),
          () => cb({ token: "" }),
        );
      },
      transports: ["websocket"],
    });
    this.socket.on("connect", () => (this.refusals = 0));
    this.socket.on("auth:expiring", () => {
      void this.freshToken()
        .then((token) => this.call("auth:refresh", { token }))
        .catch(() => undefined);
    });
    // A refused handshake (an expired token, or too many at once): connect again after a while,
    // with a fresh token when the refusal was about it.
    this.socket.on("connect_error", (err) => {
      if (this.socket.active) return; // A network failure: socket.io retries by itself.
      const data = (err as Error & { data?: { retryAfterMs?: unknown } }).data;
      const retryAfter = typeof data?.retryAfterMs === "number" ? data.retryAfterMs : 0;
      this.reconnectLater(err.message === "unauthorized", retryAfter);
    });
    // The server closed the connection (the token expired, or the user was erased): socket.io does not
    // come back by itself after that; this client does, with a fresh token.
    this.socket.on("disconnect", (reason) => {
      if (reason === "io server disconnect") this.reconnectLater(true, 0);
    });
  }

  private reconnectLater(renewToken: boolean, atLeastMs: number): void {
    if (this.closed) return;
    if (renewToken && !this.options.getToken) return; // A fixed token that is refused: nothing to do.
    this.refusals++;
    const delay = Math.max(atLeastMs, Math.min(30_000, 500 * 2 ** Math.min(this.refusals - 1, 6)));
    setTimeout(() => {
      if (this.closed) return;
      const ready = renewToken ? this.freshToken() : Promise.resolve("");
      ready.then(
        () => this.socket.connect(),
        () => this.reconnectLater(true, 0),
      );
    }, delay);
  }

  private async currentToken(): Promise<string> {
    this.token ??= await this.freshToken();
    return this.token;
  }

  private async freshToken(): Promise<string> {
    const token = this.options.getToken ? await this.options.getToken() : this.options.token!;
    this.token = token;
    this.api.setToken(token);
    return token;
  }

  /** Sends a `/chat` event and resolves with its ack's data; a refusal rejects with a `ConfabError`. */
  async call<E extends AckEvent>(event: E, payload: PayloadOf<E>, timeoutMs?: number): Promise<DataOf<E>> {
    const answer = (await request(this.socket, event, payload as never, timeoutMs)) as Ack<DataOf<E>>;
    if (!answer.ok) throw new ConfabError(answer.error);
    return answer.data;
  }

  /** Listens to a server event; returns the function that stops listening. */
  on<E extends keyof ServerToClientEvents>(event: E, listener: ServerToClientEvents[E]): () => void {
    (this.socket.on as (e: string, l: unknown) => void)(event, listener);
    return () => (this.socket.off as (e: string, l: unknown) => void)(event, listener);
  }

  /** A REST call under `/api/v1` (`client.rest("GET", "/conversations")`). */
  rest<T>(method: "GET" | "POST" | "PATCH" | "DELETE", path: string, body?: unknown): Promise<T> {
    return this.api.call<T>(method, path, body);
  }

  /** A new conversation with an agent (or from a template), its caller the owner. */
  createConversation(body: {
    agentId?: string;
    templateId?: string;
    title?: string;
  }): Promise<ConversationResource> {
    return this.rest<ConversationResource>("POST", "/conversations", body);
  }

  /** The handle of one conversation (one per id and client): joined on first use. */
  conversation(id: string): ConversationHandle {
    let handle = this.handles.get(id);
    if (!handle) {
      handle = new ConversationHandle(this, id);
      this.handles.set(id, handle);
    }
    return handle;
  }

  /** Whether the socket is connected now. */
  get connected(): boolean {
    return this.socket.connected;
  }

  /** Resolves once the socket is connected; rejects once the client is closed. */
  connectedOnce(): Promise<void> {
    if (this.closed)
      return Promise.reject(new ConfabError({ code: "unavailable", message: "the client is closed" }));
    if (this.socket.connected) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const onConnect = () => {
        this.closers.delete(onClose);
        resolve();
      };
      const onClose = () => {
        this.socket.off("connect", onConnect);
        reject(new ConfabError({ code: "unavailable", message: "the client is closed" }));
      };
      this.closers.add(onClose);
      this.socket.once("connect", onConnect);
    });
  }

  private readonly closers = new Set<() => void>();

  close(): void {
    this.closed = true;
    for (const close of [...this.closers]) close();
    this.closers.clear();
    for (const handle of this.handles.values()) handle.dispose();
    this.handles.clear();
    this.socket.close();
  }
}

type HandleEvents = {
  /** The path shown, or the text of an answer, changed. */
  change: (messages: MessageView[]) => void;
  presence: (online: PresentUser[]) => void;
};

/**
 * One conversation as a tab holds it: the path ending at the head, the answer being written, who is
 * online. Joins when created and again after every reconnect, asking only for what it lacks.
 */
export class ConversationHandle {
  readonly stream: ConversationStream;
  private conversationResource: ConversationResource | null = null;
  private online: PresentUser[] = [];
  private readonly listeners: { [K in keyof HandleEvents]: Set<HandleEvents[K]> } = {
    change: new Set(),
    presence: new Set(),
  };
  private joined: Promise<void>;
  private readonly unsubscribe: () => void;
  private readonly onConnect: () => void;
  private readonly offEvents: (() => void)[] = [];
  private hasJoined = false;
  private disposed = false;

  constructor(
    private readonly client: ConfabClient,
    readonly id: string,
  ) {
    const notify = () => {
      const list = this.stream.list();
      for (const l of this.listeners.change) l(list);
    };
    this.stream = new ConversationStream(id, { changed: notify, removed: notify, pathChanged: notify });
    this.unsubscribe = subscribe(client.socket, () => this.stream);
    this.onConnect = () => {
      // Every reconnect: join again, asking only for the messages after what is held.
      this.joined = this.joinUntilDone(this.hasJoined);
      this.joined.catch(() => undefined);
    };
    client.socket.on("connect", this.onConnect);
    this.offEvents.push(
      client.on("conversation:updated", ({ conversation }) => {
        if (conversation.id !== id) return;
        this.conversationResource = conversation;
        this.stream.setConversation(conversation);
      }),
      client.on("presence:update", ({ conversationId, online }) => {
        if (conversationId !== id) return;
        this.online = online;
        for (const l of this.listeners.presence) l(online);
      }),
    );
    this.joined = client.connectedOnce().then(() => this.joinUntilDone(false));
    // A handle nobody awaits must not report an unhandled rejection (Node ends the process on one).
    this.joined.catch(() => undefined);
  }

  /**
   * Joins, and joins again while the refusal is passing (`unavailable`, `rate_limited`: the contract's
   * "join again"), backing off; a refusal that lasts (`not_found`, `forbidden`) is the answer. A
   * disconnect meanwhile leaves it to the next connect.
   */
  private async joinUntilDone(rejoin: boolean): Promise<void> {
    for (let attempt = 0; ; attempt++) {
      try {
        await this.join(rejoin || this.hasJoined);
        return;
      } catch (err) {
        const passing =
          err instanceof ConfabError && (err.code === "unavailable" || err.code === "rate_limited");
        if (!passing || !this.client.connected || this.disposed) throw err;
        const wait = err.retryAfterMs ?? Math.min(10_000, 250 * 2 ** Math.min(attempt, 5));
        await new Promise((r) => setTimeout(r, wait));
        if (!this.client.connected || this.disposed) throw err;
      }
    }
  }

  private async join(rejoin: boolean): Promise<void> {
    const afterSeq = rejoin ? this.stream.afterSeq() : undefined;
    this.stream.beginJoin();
    let result: JoinResult;
    try {
      result = await this.client.call(
        "conversation:join",
        afterSeq === undefined ? { conversationId: this.id } : { conversationId: this.id, afterSeq },
      );
    } catch (err) {
      this.stream.abandonJoin();
      throw err;
    }
    this.hasJoined = true;
    this.conversationResource = result.conversation;
    this.stream.applyJoin(result, afterSeq === undefined);
    this.online = result.presence;
    for (const l of this.listeners.presence) l(this.online);
  }

  /** Resolves once joined (again, after a reconnect); rejects with a `ConfabError` if refused. */
  ready(): Promise<void> {
    return this.joined;
  }

  get conversation(): ConversationResource | null {
    return this.conversationResource;
  }

  /** The path ending at the head, then the messages being sent. */
  messages(): MessageView[] {
    return this.stream.list();
  }

  /** The answer being written, if any. */
  streaming(): MessageView | undefined {
    return this.stream.streaming();
  }

  presence(): PresentUser[] {
    return this.online;
  }

  on<E extends keyof HandleEvents>(event: E, listener: HandleEvents[E]): () => void {
    (this.listeners[event] as Set<HandleEvents[E]>).add(listener);
    return () => (this.listeners[event] as Set<HandleEvents[E]>).delete(listener);
  }

  /**
   * Sends a message. Its `clientMessageId` is made here and sent again, after a reconnect, until the
   * server acknowledges it: the server keeps one message per id, so it is stored exactly once.
   */
  async send(
    content: string,
    options: { askAssistant?: boolean; metadata?: Record<string, unknown> } = {},
  ): Promise<SendResult> {
    const clientMessageId = newId();
    this.stream.addLocal(clientMessageId, content);
    try {
      const sent = await this.untilAcknowledged(() =>
        this.client.call("message:send", { conversationId: this.id, content, clientMessageId, ...options }),
      );
      this.stream.applySent(sent.message, sent.assistantMessageId);
      return sent;
    } catch (err) {
      this.stream.dropLocal(clientMessageId);
      throw err;
    }
  }

  /** A new version of one of the caller's messages, answered on its own path. */
  async edit(messageId: string, content: string): Promise<SendResult> {
    const clientMessageId = newId();
    const sent = await this.untilAcknowledged(() =>
      this.client.call("message:edit", { conversationId: this.id, messageId, content, clientMessageId }),
    );
    this.stream.applySent(sent.message, sent.assistantMessageId);
    return sent;
  }

  /** A new answer beside an ended one; resolves with its id. */
  async regenerate(messageId: string): Promise<string> {
    const { assistantMessageId } = await this.client.call("message:regenerate", {
      conversationId: this.id,
      messageId,
    });
    return assistantMessageId;
  }

  /** Stops the answer being written, for every tab on every node; whether one was. */
  async stop(): Promise<boolean> {
    return (await this.client.call("generation:stop", { conversationId: this.id })).stopped;
  }

  /** Shows another version: the head moves to the newest message under `messageId`, in every tab. */
  async checkout(messageId: string): Promise<ConversationResource> {
    const { conversation } = await this.client.call("conversation:checkout", {
      conversationId: this.id,
      messageId,
    });
    this.conversationResource = conversation;
    this.stream.setConversation(conversation);
    return conversation;
  }

  /** Tells the others whether this tab is typing (no answer; ends by itself after 6 s on the server). */
  typing(typing: boolean): void {
    if (this.client.connected) this.client.socket.emit("typing", { conversationId: this.id, typing });
  }

  /** The stored answer, once the answer with this id has ended. */
  settled(messageId: string): Promise<MessageView> {
    return new Promise((resolve) => {
      const check = () => {
        const view = this.stream.list().find((v) => v.id === messageId);
        if (view && view.status !== "streaming" && view.status !== "saving") {
          off();
          resolve(view);
          return true;
        }
        return false;
      };
      const off = this.on("change", () => void check());
      check();
    });
  }

  /**
   * Runs a call; if the connection drops before its ack, waits for the reconnect (and the re-join)
   * and runs it again. Refusals (a `ConfabError` other than `unavailable`) are not repeated.
   */
  private async untilAcknowledged<T>(attempt: () => Promise<T>): Promise<T> {
    // A minute of unanswered attempts (the server or its database away all along) ends in the error.
    const deadline = Date.now() + 60_000;
    for (;;) {
      await this.client.connectedOnce();
      await this.joined.catch(() => undefined);
      let onDisconnect = () => {};
      const dropped = new Promise<"dropped">((resolve) => {
        onDisconnect = () => resolve("dropped");
        this.client.socket.once("disconnect", onDisconnect);
      });
      let failure: ConfabError | undefined;
      const outcome = await Promise.race([
        attempt().then(
          (value) => ({ value }),
          (err: unknown) => {
            // No answer in time: the same call again is safe (a send repeats its clientMessageId).
            if (err instanceof ConfabError && err.code === "unavailable") {
              failure = err;
              return "dropped" as const;
            }
            throw err;
          },
        ),
        dropped,
      ]).finally(() => this.client.socket.off("disconnect", onDisconnect));
      if (outcome !== "dropped") return outcome.value;
      if (this.disposed)
        throw new ConfabError({ code: "unavailable", message: "the conversation was closed" });
      if (Date.now() > deadline) {
        throw failure ?? new ConfabError({ code: "unavailable", message: "the server did not answer" });
      }
      if (this.client.connected) await new Promise((r) => setTimeout(r, 500));
    }
  }

  dispose(): void {
    this.disposed = true;
    this.unsubscribe();
    this.client.socket.off("connect", this.onConnect);
    for (const off of this.offEvents) off();
  }
}

export type { MessageResource, MessageView };
