/**
 * `ConfabClient`: Confab for a host application in one object (PROTOCOL.md section 9). Typed calls for
 * every `/chat` event and REST route, one token shared by both, the connection kept (reconnecting with
 * a fresh token when the server refuses or closes it), the caller's conversations kept live, and a
 * handle per conversation (`conversation(id)`), the headless core every face draws from. No DOM
 * needed: it runs in browsers and in Node 20+.
 */
import { io } from "socket.io-client";
import type {
  AgentResource,
  ConversationResource,
  ServerToClientEvents,
  TemplateResource,
  UserResource,
} from "../src/protocol/index.js";
import { request, type AckDataOf, type AckEvent, type ChatSocket, type PayloadOf } from "./acks.js";
import { ConversationHandle, ROOM_EVENTS, type HandleHost } from "./conversation-handle.js";
import { ConversationList } from "./conversation-list.js";
import { Emitter } from "./emitter.js";
import { ConfabError, asConfabError, closedError } from "./errors.js";
import { FileLinks, type FileResource, type SignedLink } from "./file-links.js";
import { RestClient, type HttpMethod, type UploadOptions } from "./rest-client.js";
import { TokenSource } from "./token-source.js";

export interface ConfabClientOptions {
  /** The Confab server, e.g. `https://chat.example.com`. */
  url: string;
  /** A fixed token (it cannot be renewed: a refused one ends the connection). */
  token?: string;
  /**
   * Gives a fresh token. Called once and its token reused, by the socket and every REST call alike,
   * until it nears its `exp` or the server refuses it; calls that need one meanwhile wait for it.
   */
  getToken?: () => string | Promise<string>;
  /** The `fetch` REST calls use (default: the global one). */
  fetch?: typeof fetch;
}

/** The connection as a face shows it. */
export type ConnectionStatus = "connecting" | "online" | "offline";

type ClientEvents = {
  status: (status: ConnectionStatus) => void;
  /** A failure nobody asked for: the connection refused for good, a token that cannot be had. */
  error: (error: ConfabError) => void;
};

type RoomPayload = { conversationId?: string; conversation?: { id: string } };

/** One connection to Confab: a socket on `/chat` and REST under `/api/v1`, with the same token. */
export class ConfabClient implements HandleHost {
  readonly socket: ChatSocket;
  private readonly tokens: TokenSource;
  private readonly api: RestClient;
  private readonly links: FileLinks;
  private readonly handles = new Map<string, ConversationHandle>();
  private readonly events = new Emitter<ClientEvents>();
  private readonly closers = new Set<() => void>();
  private list: ConversationList | undefined;
  private state: ConnectionStatus = "connecting";
  private closed = false;
  /** The token the last handshake carried: the one a refusal is about. */
  private handshakeToken: string | undefined;
  /** Consecutive handshakes refused: each waits longer before the next (up to 30 s). */
  private refusals = 0;

  constructor(private readonly options: ConfabClientOptions) {
    if (!options.token && !options.getToken) throw new Error("ConfabClient needs a token or getToken");
    this.tokens = new TokenSource(options);
    this.api = new RestClient({
      baseUrl: options.url,
      tokens: this.tokens,
      ...(options.fetch ? { fetch: options.fetch } : {}),
    });
    this.links = new FileLinks({
      baseUrl: options.url,
      ask: (fileId) => this.rest<SignedLink>("GET", `/files/${encodeURIComponent(fileId)}/url`),
    });
    this.socket = io(new URL("/chat", options.url).href, {
      // The held token while it is fresh; should a fresh one fail to come, the last one (refused, it
      // brings a renewal below).
      auth: (cb) => {
        const send = (token: string) => {
          this.handshakeToken = token;
          cb({ token });
        };
        this.tokens.current().then(send, () => send(this.tokens.last ?? ""));
      },
      transports: ["websocket"],
      autoConnect: false,
    });
    this.watchConnection();
    this.routeRoomEvents();
    // The first handshake waits for a token: nothing goes out without one.
    this.tokens.current().then(
      () => this.open(),
      (err: unknown) => this.tokenFailed(err),
    );
  }

  // --- the connection ---------------------------------------------------------------------------

  /** Whether the socket is connected now. */
  get connected(): boolean {
    return this.socket.connected;
  }

  get status(): ConnectionStatus {
    return this.state;
  }

  /** Listens to the connection's status, or to failures nobody asked for; returns the unsubscribe. */
  onStatus(listener: ClientEvents["status"]): () => void {
    return this.events.on("status", listener);
  }

  onError(listener: ClientEvents["error"]): () => void {
    return this.events.on("error", listener);
  }

  /** Resolves once the socket is connected; rejects once the client is closed. */
  connectedOnce(): Promise<void> {
    if (this.closed) return Promise.reject(closedError("client"));
    if (this.socket.connected) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const onConnect = () => {
        this.closers.delete(onClose);
        resolve();
      };
      const onClose = () => {
        this.socket.off("connect", onConnect);
        reject(closedError("client"));
      };
      this.closers.add(onClose);
      this.socket.once("connect", onConnect);
    });
  }

  onSocket(event: "connect" | "disconnect", listener: () => void): () => void {
    this.socket.on(event, listener);
    return () => void this.socket.off(event, listener);
  }

  private setStatus(status: ConnectionStatus): void {
    if (this.state === status) return;
    this.state = status;
    this.events.emit("status", status);
  }

  private open(): void {
    if (!this.closed) this.socket.connect();
  }

  private watchConnection(): void {
    this.socket.on("connect", () => {
      this.refusals = 0;
      this.setStatus("online");
    });
    this.socket.io.on("reconnect_attempt", () => this.setStatus("connecting"));
    this.socket.on("auth:expiring", () => {
      void this.tokens
        .renew()
        .then((token) => this.call("auth:refresh", { token }))
        .catch((err: unknown) => this.report(err));
    });
    // A refused handshake (an expired token, or too many at once): connect again after a while,
    // with a fresh token when the refusal was about it.
    this.socket.on("connect_error", (err) => {
      this.setStatus("offline");
      if (this.socket.active) return; // A network failure: socket.io retries by itself.
      const data = (err as Error & { data?: { retryAfterMs?: unknown } }).data;
      const retryAfter = typeof data?.retryAfterMs === "number" ? data.retryAfterMs : 0;
      this.reconnectLater(err.message === "unauthorized", retryAfter);
    });
    // The server closed the connection (the token expired, or the user was erased): socket.io does not
    // come back by itself after that; this client does, with a fresh token.
    this.socket.on("disconnect", (reason) => {
      this.setStatus("offline");
      if (reason === "io server disconnect") this.reconnectLater(true, 0);
    });
  }

  private reconnectLater(renewToken: boolean, atLeastMs: number): void {
    if (this.closed) return;
    if (renewToken && !this.tokens.renewable) {
      this.report(new ConfabError({ code: "unauthorized", message: "the server refuses this token" }));
      return;
    }
    this.refusals++;
    const delay = Math.max(atLeastMs, Math.min(30_000, 500 * 2 ** Math.min(this.refusals - 1, 6)));
    setTimeout(() => {
      if (this.closed) return;
      (renewToken ? this.tokens.renew(this.handshakeToken) : Promise.resolve("")).then(
        () => this.open(),
        (err: unknown) => this.tokenFailed(err),
      );
    }, delay);
  }

  private tokenFailed(err: unknown): void {
    this.report(err);
    this.setStatus("offline");
    this.reconnectLater(true, 0);
  }

  private report(err: unknown): void {
    if (!this.closed) this.events.emit("error", asConfabError(err));
  }

  private routeRoomEvents(): void {
    const on = this.socket.on.bind(this.socket) as (event: string, l: (p: RoomPayload) => void) => void;
    for (const event of ROOM_EVENTS) {
      on(event, (payload) => {
        const id = payload.conversationId ?? payload.conversation?.id;
        const receive = id === undefined ? undefined : this.handles.get(id)?.receive[event];
        (receive as ((p: RoomPayload) => void) | undefined)?.(payload);
      });
    }
  }

  // --- calls ------------------------------------------------------------------------------------

  /** Sends a `/chat` event and resolves with its ack's data; a refusal rejects with a `ConfabError`. */
  async call<E extends AckEvent>(event: E, payload: PayloadOf<E>, timeoutMs?: number): Promise<AckDataOf<E>> {
    if (this.closed) throw closedError("client");
    const answer = await request(this.socket, event, payload, timeoutMs);
    if (!answer.ok) throw new ConfabError(answer.error);
    return answer.data;
  }

  /** Listens to a server event; returns the function that stops listening. */
  on<E extends keyof ServerToClientEvents>(event: E, listener: ServerToClientEvents[E]): () => void {
    (this.socket.on as (e: string, l: unknown) => void)(event, listener);
    return () => (this.socket.off as (e: string, l: unknown) => void)(event, listener);
  }

  /** A REST call under `/api/v1` (`client.rest("GET", "/conversations")`); refusals are `ConfabError`s. */
  rest<T>(method: HttpMethod, path: string, body?: unknown): Promise<T> {
    if (this.closed) return Promise.reject(closedError("client"));
    return this.api.call<T>(method, path, body);
  }

  emitTyping(conversationId: string, typing: boolean): void {
    if (this.socket.connected) this.socket.emit("typing", { conversationId, typing });
  }

  /** The caller (`GET /me`), asked once. */
  readonly me = sharedOnce(() => this.rest<UserResource>("GET", "/me"));

  /** The active agents (`GET /agents`), asked once. */
  readonly agents = sharedOnce(() => this.rest<AgentResource[]>("GET", "/agents"));

  templates(): Promise<TemplateResource[]> {
    return this.rest<TemplateResource[]>("GET", "/templates");
  }

  /** A new conversation with an agent (or from a template), its caller the owner. */
  async createConversation(body: {
    agentId?: string;
    templateId?: string;
    title?: string;
  }): Promise<ConversationResource> {
    const conversation = await this.rest<ConversationResource>("POST", "/conversations", body);
    this.list?.put(conversation);
    return conversation;
  }

  /** Accepts an invite token: the caller becomes a member of the conversation it opens. */
  async acceptInvite(token: string): Promise<ConversationResource> {
    const { conversation } = await this.rest<{ conversation: ConversationResource }>(
      "POST",
      `/invites/${encodeURIComponent(token)}/accept`,
    );
    this.list?.put(conversation);
    return conversation;
  }

  // --- files ------------------------------------------------------------------------------------

  /**
   * Uploads a file to a conversation (`POST /conversations/:id/files`, a participant or the owner):
   * resolves with the stored `File`, to send with `fileIds`. `onProgress(loaded, total)` follows the
   * bytes sent (in a browser as they go; in Node only at 0 and at the end, see `upload-request.ts`).
   * Refusals: `payload_too_large` (413), `unsupported_media_type` (415), `validation_failed`, and
   * `aborted` when `signal` cancels it.
   */
  upload(conversationId: string, file: Blob, options: UploadOptions = {}): Promise<FileResource> {
    if (this.closed) return Promise.reject(closedError("client"));
    return this.api
      .upload<{ file: FileResource }>(
        `/conversations/${encodeURIComponent(conversationId)}/files`,
        file,
        options,
      )
      .then((answer) => answer.file);
  }

  /** The files uploaded to a conversation (`GET /conversations/:id/files`). */
  async files(conversationId: string): Promise<FileResource[]> {
    const { files } = await this.rest<{ files: FileResource[] }>(
      "GET",
      `/conversations/${encodeURIComponent(conversationId)}/files`,
    );
    return files;
  }

  /**
   * A signed link to a file's bytes (`GET /files/:id/url`), absolute, that needs no token: for an
   * `<img src>` or a download. Kept and given again until shortly before it expires.
   */
  fileUrl(fileId: string): Promise<string> {
    if (this.closed) return Promise.reject(closedError("client"));
    return this.links.url(fileId);
  }

  // --- conversations ----------------------------------------------------------------------------

  /** The handle of one conversation (one per id and client): joined on first use. */
  conversation(id: string): ConversationHandle {
    if (this.closed) throw closedError("client");
    let handle = this.handles.get(id);
    if (!handle) {
      handle = new ConversationHandle(this, id);
      this.handles.set(id, handle);
    }
    return handle;
  }

  /** The caller's conversations, newest first, kept live (one list per client). */
  conversations(): ConversationList {
    this.list ??= new ConversationList(this);
    return this.list;
  }

  released(handle: ConversationHandle): void {
    if (this.handles.get(handle.id) === handle) this.handles.delete(handle.id);
  }

  close(): void {
    this.closed = true;
    for (const close of [...this.closers]) close();
    this.closers.clear();
    for (const handle of this.handles.values()) handle.dispose();
    this.handles.clear();
    this.list?.dispose();
    this.links.clear();
    this.events.clear();
    this.socket.close();
  }
}

/** A value asked for once and shared; a failure is forgotten, so the next caller asks again. */
function sharedOnce<T>(load: () => Promise<T>): () => Promise<T> {
  let value: Promise<T> | undefined;
  return () => {
    if (!value) {
      const loading = load();
      value = loading;
      loading.catch(() => {
        if (value === loading) value = undefined;
      });
    }
    return value;
  };
}
