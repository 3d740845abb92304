/**
 * `ConversationHandle`: one conversation as a tab holds it, and everything a face can do with it. It
 * is the SDK's headless core: the widget, the full app, the React page (through the transport) and
 * the terminal client draw from its state and call its actions, and hold no protocol logic of their
 * own.
 */
import type {
  AgentResource,
  AssistantMode,
  ConversationResource,
  CreatedInvite,
  FilePart,
  JoinResult,
  MemberList,
  MemberRole,
  MessagePage,
  PresentUser,
  SendResult,
  ServerToClientEvents,
  ToolPart,
  TreeResult,
  UserResource,
} from "../src/protocol/index.js";
import type { AckDataOf, AckEvent, PayloadOf } from "./acks.js";
import { Attachments, type Attachment } from "./attachments.js";
import { ConversationStream, settled, type MessageView } from "./conversation-stream.js";
import { Emitter } from "./emitter.js";
import { ConfabError, asConfabError, closedError } from "./errors.js";
import { untilAcknowledged, type Delivery } from "./delivery.js";
import type { FileResource } from "./file-links.js";
import { newId } from "./ids.js";
import { People, type MemberView } from "./people.js";
import type { HttpMethod, UploadOptions } from "./rest-client.js";
import { TypingSignal } from "./typing-signal.js";

/** What a handle needs of its client: the socket's calls and state, REST, and what the client caches. */
export interface HandleHost {
  call<E extends AckEvent>(event: E, payload: PayloadOf<E>): Promise<AckDataOf<E>>;
  rest<T>(method: HttpMethod, path: string, body?: unknown): Promise<T>;
  upload(conversationId: string, file: Blob, options?: UploadOptions): Promise<FileResource>;
  fileUrl(fileId: string): Promise<string>;
  emitTyping(conversationId: string, typing: boolean): void;
  readonly connected: boolean;
  connectedOnce(): Promise<void>;
  onSocket(event: "connect" | "disconnect", listener: () => void): () => void;
  me(): Promise<UserResource>;
  agents(): Promise<AgentResource[]>;
  released(handle: ConversationHandle): void;
}

export type HandleEvents = {
  /** The path shown changed, or the text or status of a message on it. */
  change: (messages: MessageView[]) => void;
  /** One message was added or changed (on the path or not). */
  message: (view: MessageView) => void;
  /** Who is online now. */
  presence: (online: PresentUser[]) => void;
  /** The members, who of them is online, or who is typing changed. */
  people: () => void;
  /** The conversation changed: its title, status, head, assistant mode, or the caller's role. */
  conversation: (conversation: ConversationResource) => void;
  /** The files attached for the next message changed: one added, removed, progressing, uploaded or failed. */
  attachments: (attachments: readonly Attachment[]) => void;
  /** The message being edited changed (or editing ended). */
  editing: (view: MessageView | null) => void;
  /** The conversation was deleted, or the caller is no longer a member. */
  deleted: () => void;
  /** Something the handle did by itself (loading the members, the rest of a path) failed. */
  error: (error: ConfabError) => void;
};

/** What a face may offer on one message: the version picker, regenerate, edit. */
export interface MessageActions {
  versions: { index: number; count: number; previous: boolean; next: boolean } | null;
  regenerate: boolean;
  edit: boolean;
}

export interface SendOptions {
  /** In `manual` mode, ask the assistant to answer this message. */
  askAssistant?: boolean;
  metadata?: Record<string, unknown>;
  /**
   * Files uploaded to this conversation (`upload`) and not sent yet, sent with the message as is.
   * Without it, the message takes the files attached to the handle (`attach`), once uploaded.
   */
  fileIds?: string[];
}

/** The room events a handle receives, routed to it by its client (`receive` has one entry each). */
export const ROOM_EVENTS = [
  "message:created",
  "assistant:start",
  "assistant:delta",
  "assistant:reasoning",
  "assistant:part",
  "assistant:saving",
  "assistant:done",
  "assistant:error",
  "conversation:updated",
  "conversation:deleted",
  "member:joined",
  "member:updated",
  "member:left",
  "presence:update",
  "typing",
] as const satisfies readonly (keyof ServerToClientEvents)[];
export type RoomEvent = (typeof ROOM_EVENTS)[number];

const WRITERS: readonly (MemberRole | null)[] = ["owner", "participant"];

/** A refusal that passes (the contract's "join again"): the connection, or a rate limit. */
function passing(err: unknown): err is ConfabError {
  return err instanceof ConfabError && (err.code === "unavailable" || err.code === "rate_limited");
}

/**
 * Joins when created and again after every reconnect (asking only for what it lacks), keeps the path
 * and the answer being written, the members, presence and typing, and offers every action a face
 * needs. Faces listen with `on(...)` and draw from the getters.
 */
export class ConversationHandle {
  readonly stream: ConversationStream;
  private readonly people: People;
  private readonly typingSignal: TypingSignal;
  private readonly attached: Attachments;
  private readonly events = new Emitter<HandleEvents>();
  private resource: ConversationResource | null = null;
  private agentResource: AgentResource | undefined;
  private myId: string | null = null;
  private editingId: string | null = null;
  /** The attachments that came from the message being edited. */
  private carried: string[] = [];
  /** What `ready()` gives: the first join until it is done, then the latest. */
  private joined: Promise<void>;
  private firstJoin: { resolve: () => void; reject: (err: unknown) => void } | null = null;
  /** The join under way, if any: one at a time. */
  private joining: Promise<void> | null = null;
  private hasJoined = false;
  /** The conversation was deleted, or the caller is no longer a member. */
  private gone = false;
  private closed = false;
  private pathWanted: string | null = null;
  private readonly offSocket: (() => void)[];

  constructor(
    private readonly host: HandleHost,
    readonly id: string,
  ) {
    this.stream = new ConversationStream(id, {
      changed: (view) => this.messageChanged(view),
      removed: () => this.events.emit("change", this.stream.list()),
      pathChanged: () => this.pathChanged(),
    });
    this.people = new People(() => this.events.emit("people"));
    this.typingSignal = new TypingSignal({ emit: (typing) => host.emitTyping(id, typing) });
    this.attached = new Attachments({
      upload: (file, options) => host.upload(id, file, options),
      changed: (list) => this.events.emit("attachments", list),
    });
    this.joined = new Promise<void>((resolve, reject) => (this.firstJoin = { resolve, reject }));
    // A handle nobody awaits must not report an unhandled rejection (Node ends the process on one).
    this.joined.catch(() => undefined);
    this.offSocket = [
      // Every connect: join (again, asking only for the messages after what is held).
      host.onSocket("connect", () => this.startJoin()),
      host.onSocket("disconnect", () => this.typingSignal.stop()),
    ];
    if (host.connected) this.startJoin();
  }

  // --- state ----------------------------------------------------------------------------------

  /** Resolves once joined (again, after a reconnect); rejects with a `ConfabError` if refused. */
  ready(): Promise<void> {
    return this.joined;
  }

  on<E extends keyof HandleEvents>(event: E, listener: HandleEvents[E]): () => void {
    return this.events.on(event, listener);
  }

  get conversation(): ConversationResource | null {
    return this.resource;
  }

  /** The caller's role here (null until joined). */
  get role(): MemberRole | null {
    return this.resource?.role ?? null;
  }

  /** The caller's user id (null until known). */
  get me(): string | null {
    return this.myId;
  }

  /** The conversation's agent (undefined until known, or if it is no longer active). */
  get agent(): AgentResource | undefined {
    return this.agentResource;
  }

  /** Whether the caller may write here now: a participant or the owner, in an active conversation. */
  get canWrite(): boolean {
    return !this.gone && WRITERS.includes(this.role) && this.resource?.status === "active";
  }

  /**
   * Whether the caller may approve or deny the assistant's tool calls here: the owner always, a
   * participant when the conversation's `toolApproval` is `participant`, a viewer never.
   */
  get canDecide(): boolean {
    if (this.gone || !this.resource) return false;
    return (
      this.role === "owner" || (this.role === "participant" && this.resource.toolApproval === "participant")
    );
  }

  /** Whether a message answers only when asked (`assistantMode` manual) and the caller may ask. */
  get asksForAnswers(): boolean {
    return this.canWrite && this.resource?.assistantMode === "manual";
  }

  /** The path ending at the head, then the messages being sent. */
  messages(): MessageView[] {
    return this.stream.list();
  }

  /** The answer being written, if any. */
  streaming(): MessageView | undefined {
    return this.stream.streaming();
  }

  /** Whether an answer is being written: one at a time, so the actions on messages wait. */
  get busy(): boolean {
    return this.stream.streaming() !== undefined;
  }

  /** Whether the path goes on above the oldest message held (`loadEarlier` gets more). */
  get hasEarlier(): boolean {
    return this.stream.hasMoreBefore;
  }

  /** Whether questions of more than one person are shown (then each shows its author). */
  showsAuthors(): boolean {
    const authors = new Set(
      this.messages().flatMap((v) => (v.role === "user" && v.author ? [v.author.id] : [])),
    );
    return authors.size > 1;
  }

  /** The agent's starters, offered while the conversation is empty and the caller may write. */
  starters(): string[] {
    if (!this.hasJoined || !this.canWrite || this.messages().length > 0) return [];
    return this.agentResource?.starters ?? [];
  }

  members(): MemberView[] {
    return this.people.list();
  }

  presence(): PresentUser[] {
    return this.people.presence();
  }

  /** The names of the others typing now, in the order they started. */
  typingNames(): string[] {
    return this.people.typingNames();
  }

  /** The message being edited from the composer, if any. */
  get editing(): MessageView | null {
    return this.messages().find((v) => v.id !== null && v.id === this.editingId) ?? null;
  }

  /** What a face may offer on this message (whether an answer is being written aside: see `busy`). */
  actions(view: MessageView): MessageActions {
    const none: MessageActions = { versions: null, regenerate: false, edit: false };
    if (view.id === null || !this.canWrite) return none;
    const branch = view.branch;
    const versions =
      branch && branch.count > 1
        ? { ...branch, previous: branch.index > 1, next: branch.index < branch.count }
        : null;
    // Only one's own questions can be edited, and the owner also a template's, which nobody wrote.
    const mine = view.author?.id === this.myId || (view.author === null && this.role === "owner");
    return {
      versions,
      // An answer with no question above it (a template's opening) cannot be asked again.
      regenerate: view.role === "assistant" && settled(view.status) && this.answersQuestion(view),
      edit: view.role === "user" && view.status === "complete" && mine,
    };
  }

  private answersQuestion(view: MessageView): boolean {
    if (view.parentId === null) return false;
    const parent = this.stream.find(view.parentId);
    return parent === undefined || parent.role === "user";
  }

  // --- actions --------------------------------------------------------------------------------

  /**
   * Sends a message. Its `clientMessageId` is made here and sent again, after a reconnect, until the
   * server acknowledges it: the server keeps one message per id, so it is stored exactly once. It
   * carries `options.fileIds`, else the attached files (waiting for their uploads; refused while one
   * failed); with files, `content` may be empty.
   */
  async send(content: string, options: SendOptions = {}): Promise<SendResult> {
    const clientMessageId = newId();
    this.typingSignal.stop();
    const { fileIds, parts, localIds } = await this.filesToSend(options);
    const { fileIds: _given, ...rest } = options;
    const author = this.myId ? this.people.list().find((m) => m.userId === this.myId) : undefined;
    this.stream.addLocal(
      clientMessageId,
      content,
      author ? { id: author.userId, name: author.name } : null,
      parts,
    );
    try {
      const sent = await untilAcknowledged(this.delivery(), () =>
        this.host.call("message:send", {
          ...rest,
          conversationId: this.id,
          content,
          clientMessageId,
          ...fileIds,
        }),
      );
      this.stream.applySent(sent.message, sent.assistantMessageId);
      this.attached.sent(localIds);
      return sent;
    } catch (err) {
      this.stream.dropLocal(clientMessageId);
      throw err;
    }
  }

  /** A new version of one of the caller's messages, answered on its own path. */
  async edit(messageId: string, content: string, options: SendOptions = {}): Promise<SendResult> {
    const clientMessageId = newId();
    this.typingSignal.stop();
    const { fileIds, localIds } = await this.filesToSend(options);
    const { fileIds: _given, ...rest } = options;
    const sent = await untilAcknowledged(this.delivery(), () =>
      this.host.call("message:edit", {
        ...rest,
        conversationId: this.id,
        messageId,
        content,
        clientMessageId,
        ...fileIds,
      }),
    );
    this.stream.applySent(sent.message, sent.assistantMessageId);
    this.attached.sent(localIds);
    if (this.editingId === messageId) this.setEditing(null);
    return sent;
  }

  /** What the composer sends: a new version of the message being edited, else a new message. */
  submit(content: string, options: SendOptions = {}): Promise<SendResult> {
    const editing = this.editing?.id;
    return editing ? this.edit(editing, content, options) : this.send(content, options);
  }

  // --- files ----------------------------------------------------------------------------------

  /** The files attached for the next message, in the order attached. */
  get attachments(): readonly Attachment[] {
    return this.attached.list();
  }

  /**
   * Attaches a file for the next message: it is uploaded at once (its progress and outcome in
   * `attachments`, told by the `attachments` event), and the next `send`/`edit`/`submit` without
   * `fileIds` sends it, waiting for its upload to end.
   */
  attach(file: Blob, name?: string): Attachment {
    return this.attached.add(file, name);
  }

  /** Removes an attached file (its upload, if under way, is cancelled). */
  detach(localId: string): void {
    this.attached.remove(localId);
  }

  /** Uploads a file to this conversation, to send with `fileIds` (see `ConfabClient.upload`). */
  upload(file: Blob, options: UploadOptions = {}): Promise<FileResource> {
    return this.host.upload(this.id, file, options);
  }

  /** The absolute signed link to a file's bytes (see `ConfabClient.fileUrl`): for `<img src>` or a download. */
  fileUrl(fileId: string): Promise<string> {
    return this.host.fileUrl(fileId);
  }

  /** The files a send carries: the ids given, else the attachments once uploaded. */
  private async filesToSend(options: SendOptions): Promise<{
    fileIds: { fileIds?: string[] };
    parts: FilePart[];
    localIds: string[];
  }> {
    if (options.fileIds !== undefined) {
      const given = options.fileIds.length > 0 ? { fileIds: options.fileIds } : {};
      return { fileIds: given, parts: [], localIds: [] };
    }
    const { parts, localIds } = await this.attached.ready();
    return { fileIds: parts.length > 0 ? { fileIds: parts.map((p) => p.fileId) } : {}, parts, localIds };
  }

  /** Puts a message in edit: the next `submit` makes a new version of it. */
  beginEdit(messageId: string): void {
    this.setEditing(messageId);
  }

  cancelEdit(): void {
    this.setEditing(null);
  }

  /** A new answer beside an ended one; resolves with its id. */
  async regenerate(messageId: string): Promise<string> {
    const { assistantMessageId } = await this.host.call("message:regenerate", {
      conversationId: this.id,
      messageId,
    });
    return assistantMessageId;
  }

  /** Stops the answer being written, for every tab on every node; whether one was. */
  async stop(): Promise<boolean> {
    return (await this.host.call("generation:stop", { conversationId: this.id })).stopped;
  }

  /**
   * Approves or denies a tool call of an answer waiting for a decision (`tool:decide`); resolves with
   * the decided part, shown at once. The first decision wins: a later one is refused with `conflict`;
   * a caller who may not decide gets `forbidden` (see `canDecide`).
   */
  async decide(messageId: string, toolCallId: string, approved: boolean, reason?: string): Promise<ToolPart> {
    const { part } = await this.host.call("tool:decide", {
      conversationId: this.id,
      messageId,
      toolCallId,
      approved,
      ...(reason === undefined ? {} : { reason }),
    });
    this.stream.applyDecided(messageId, part);
    return part;
  }

  /** Shows another version: the head moves to the newest message under `messageId`, in every tab. */
  async checkout(messageId: string): Promise<ConversationResource> {
    const { conversation } = await this.host.call("conversation:checkout", {
      conversationId: this.id,
      messageId,
    });
    this.setResource(conversation);
    return conversation;
  }

  /** Shows the previous (-1) or next (1) version of a message: its sibling there, checked out. */
  async switchVersion(messageId: string, step: -1 | 1): Promise<void> {
    const view = this.messages().find((v) => v.id === messageId);
    if (!view?.branch) return;
    // The tree gives every sibling without its text; the stream may hold only some of them.
    const tree = await this.host.rest<TreeResult>("GET", `/conversations/${this.path()}/tree`);
    const target = tree.messages.find(
      (m) => m.parentId === view.parentId && m.branch.index === view.branch!.index + step,
    );
    if (target) await this.checkout(target.id);
  }

  /** Fetches the page of the path above the oldest message held. */
  async loadEarlier(limit = 50): Promise<void> {
    const before = this.stream.lowestSeq();
    if (before === undefined || !this.hasEarlier) return;
    const page = await this.host.rest<MessagePage>(
      "GET",
      `/conversations/${this.path()}/messages?before=${before}&limit=${limit}`,
    );
    this.stream.addOlder(page.messages, page.hasMore);
  }

  /** The composer's text changed: tells the others this tab is typing, throttled, and when it stops. */
  composing(text: string): void {
    if (this.canWrite) this.typingSignal.composing(text);
  }

  /** Tells the others whether this tab is typing, as is (no answer; the server ends it after 6 s). */
  typing(typing: boolean): void {
    this.host.emitTyping(this.id, typing);
  }

  /** An invite (owner only): its `token` goes into a link that makes whoever opens it a member. */
  createInvite(
    role: "participant" | "viewer" = "participant",
    options: { maxUses?: number; expiresInHours?: number } = {},
  ): Promise<CreatedInvite> {
    return this.host.rest<CreatedInvite>("POST", `/conversations/${this.path()}/invites`, {
      role,
      ...options,
    });
  }

  /** Who answers (owner only): every message, only when asked, or nobody. */
  async setAssistantMode(assistantMode: AssistantMode): Promise<ConversationResource> {
    const conversation = await this.host.rest<ConversationResource>(
      "PATCH",
      `/conversations/${this.path()}`,
      {
        assistantMode,
      },
    );
    this.setResource(conversation);
    return conversation;
  }

  /** The stored answer, once the answer with this id has ended. */
  settled(messageId: string): Promise<MessageView> {
    return new Promise((resolve) => {
      const check = () => {
        const view = this.stream.list().find((v) => v.id === messageId);
        if (!view || !settled(view.status)) return false;
        off();
        resolve(view);
        return true;
      };
      const off = this.on("change", () => void check());
      check();
    });
  }

  /** Leaves the conversation's room and forgets the handle; `client.conversation(id)` makes a new one. */
  close(): void {
    if (this.closed) return;
    this.typingSignal.stop();
    if (this.host.connected)
      void this.host.call("conversation:leave", { conversationId: this.id }).catch(() => undefined);
    this.dispose();
    this.host.released(this);
  }

  /** Stops listening, without leaving (the client is closing its connection). */
  dispose(): void {
    this.closed = true;
    this.firstJoin?.reject(closedError("conversation"));
    this.firstJoin = null;
    for (const off of this.offSocket) off();
    this.people.dispose();
    this.attached.dispose();
    this.events.clear();
  }

  // --- what arrives ---------------------------------------------------------------------------

  /** The room's events for this conversation, as the client routes them here. */
  readonly receive: { [E in RoomEvent]: ServerToClientEvents[E] } = {
    "message:created": (e) => this.stream.handle({ type: "created", message: e.message }),
    "assistant:start": (e) => this.stream.handle({ type: "start", event: e }),
    "assistant:delta": (e) => this.stream.handle({ type: "delta", event: e }),
    "assistant:reasoning": (e) => this.stream.handle({ type: "reasoning", event: e }),
    "assistant:part": (e) => this.stream.handle({ type: "part", event: e }),
    "assistant:saving": (e) => this.stream.handle({ type: "saving", messageId: e.messageId }),
    "assistant:done": (e) => this.stream.handle({ type: "done", message: e.message }),
    "assistant:error": (e) => this.stream.handle({ type: "error", message: e.message, error: e.error }),
    // Another tab may have checked out another version: every tab shows the same path.
    "conversation:updated": (e) => this.setResource(e.conversation),
    "conversation:deleted": () => {
      this.gone = true;
      this.typingSignal.stop();
      this.events.emit("deleted");
    },
    "member:joined": (e) => this.people.joined(e.member),
    "member:updated": (e) => this.people.updated(e.member),
    "member:left": (e) => this.people.left(e.userId),
    "presence:update": (e) => {
      this.people.setOnline(e.online);
      this.events.emit("presence", e.online);
    },
    typing: (e) => {
      if (e.userId !== this.myId) this.people.typingEvent(e);
    },
  };

  // --- inside ---------------------------------------------------------------------------------

  private path(): string {
    return encodeURIComponent(this.id);
  }

  private messageChanged(view: MessageView): void {
    this.events.emit("message", view);
    this.events.emit("change", this.stream.list());
  }

  private pathChanged(): void {
    // The message in edit left the path shown (another version was checked out): the edit ends.
    if (this.editingId !== null && this.editing === null) this.setEditing(null);
    this.events.emit("change", this.stream.list());
    void this.completePath();
  }

  private setResource(conversation: ConversationResource): void {
    this.resource = conversation;
    this.stream.setConversation(conversation);
    this.events.emit("conversation", conversation);
  }

  private setEditing(messageId: string | null): void {
    if (this.editingId === messageId) return;
    this.editingId = messageId;
    // The files of the message edited before, if not sent with its new version, leave the composer.
    for (const localId of this.carried.splice(0)) this.attached.remove(localId);
    // The files of the message edited now come into it, so that its new version sends them again
    // unless removed (the server takes them back for this edit: nothing is uploaded again).
    const view = messageId === null ? undefined : this.messages().find((v) => v.id === messageId);
    for (const part of view?.parts ?? [])
      if (part.type === "file") this.carried.push(this.attached.addStored(part).localId);
    this.events.emit("editing", this.editing);
  }

  private fail(err: unknown): void {
    if (!this.closed) this.events.emit("error", asConfabError(err));
  }

  /** What a send needs to be repeated until acknowledged: the connection, the join, whether closed. */
  private delivery(): Delivery {
    return { host: this.host, joined: () => this.joined, closed: () => this.closed };
  }

  /**
   * Who the caller is and the conversation's agent, asked once per client and shared by its handles.
   * A failure is told (`error`) and asked again at the next join; it never fails the join itself.
   */
  private async loadIdentity(): Promise<void> {
    if (this.myId !== null && this.agentResource !== undefined) return;
    try {
      const [me, agents] = await Promise.all([this.host.me(), this.host.agents()]);
      this.myId = me.id;
      this.agentResource = agents.find((a) => a.id === this.resource?.agentId);
    } catch (err) {
      this.fail(err);
    }
  }

  /** After a checkout (here or in another tab), fetches the messages of the path the stream lacks. */
  private async completePath(): Promise<void> {
    const head = this.stream.head;
    if (!head || !this.stream.pathIncomplete() || this.pathWanted === head) return;
    this.pathWanted = head;
    try {
      const page = await this.host.rest<MessagePage>(
        "GET",
        `/conversations/${this.path()}/messages?leaf=${encodeURIComponent(head)}&limit=50`,
      );
      if (this.stream.head === head) this.stream.addOlder(page.messages, page.hasMore);
    } catch (err) {
      this.fail(err);
    } finally {
      if (this.pathWanted === head) this.pathWanted = null;
    }
  }

  private async loadMembers(): Promise<void> {
    try {
      const { members } = await this.host.rest<MemberList>("GET", `/conversations/${this.path()}/members`);
      this.people.setMembers(members);
    } catch (err) {
      this.fail(err);
    }
  }

  /**
   * Starts a join unless one is under way. The first join settles `ready()`: done, or refused for good
   * (a passing failure, such as a disconnect, waits for the next connect instead).
   */
  private startJoin(): void {
    if (this.closed || this.gone || this.joining) return;
    const joining = this.joinUntilDone();
    this.joining = joining;
    if (this.hasJoined) this.joined = joining;
    joining.then(
      () => {
        this.firstJoin?.resolve();
        this.firstJoin = null;
      },
      (err: unknown) => {
        if (!this.firstJoin) this.fail(err);
        else if (!passing(err) || this.closed) {
          this.firstJoin.reject(err);
          this.firstJoin = null;
        }
      },
    );
    const done = () => {
      if (this.joining === joining) this.joining = null;
    };
    joining.then(done, done);
  }

  /**
   * Joins, and joins again while the refusal is passing (`unavailable`, `rate_limited`: the contract's
   * "join again"), backing off; a refusal that lasts (`not_found`, `forbidden`) is the answer. A
   * disconnect meanwhile leaves it to the next connect.
   */
  private async joinUntilDone(): Promise<void> {
    for (let attempt = 0; ; attempt++) {
      try {
        await this.join(this.hasJoined);
        return;
      } catch (err) {
        if (!passing(err) || !this.host.connected || this.closed) throw err;
        const wait = err.retryAfterMs ?? Math.min(10_000, 250 * 2 ** Math.min(attempt, 5));
        await new Promise((r) => setTimeout(r, wait));
        if (!this.host.connected || this.closed) throw err;
      }
    }
  }

  private async join(rejoin: boolean): Promise<void> {
    const afterSeq = rejoin ? this.stream.afterSeq() : undefined;
    this.stream.beginJoin();
    let result: JoinResult;
    try {
      result = await this.host.call(
        "conversation:join",
        afterSeq === undefined ? { conversationId: this.id } : { conversationId: this.id, afterSeq },
      );
    } catch (err) {
      this.stream.abandonJoin();
      throw err;
    }
    if (this.closed) {
      // Closed while the join was under way: leave the room it just entered.
      void this.host.call("conversation:leave", { conversationId: this.id }).catch(() => undefined);
      return;
    }
    this.hasJoined = true;
    this.stream.applyJoin(result, afterSeq === undefined);
    this.setResource(result.conversation);
    this.people.setOnline(result.presence);
    this.events.emit("presence", result.presence);
    // Members may have come and gone while this tab was away.
    await Promise.all([this.loadMembers(), this.loadIdentity()]);
    this.events.emit("conversation", result.conversation);
  }
}

export type { MessageView };
