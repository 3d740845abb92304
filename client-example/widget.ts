/**
 * The browser client example: a small chat widget over Confab's REST API and `/chat` namespace.
 * Served at `/` (bundled by the server with esbuild). All message text is rendered with
 * `textContent`, never as HTML.
 */
import { io } from "socket.io-client";
import type {
  AckError,
  AgentResource,
  ConversationResource,
  CreatedInvite,
  JoinResult,
  MemberList,
  MessageResource,
  SendResult,
  TemplateResource,
  TreeResult,
} from "../src/protocol/index.js";
import {
  Api,
  ApiError,
  ConversationStream,
  fetchDevToken,
  newId,
  request,
  subscribe,
  type ChatSocket,
  type MessageView,
} from "../sdk/chat-client.js";
import { People } from "./people.js";

interface ConversationPage {
  conversations: ConversationResource[];
  total: number;
  page: number;
  pageSize: number;
  hasMore: boolean;
}

interface Identity {
  sub: string;
  name: string;
}

const USER_KEY = "confab.user";
const CONVERSATION_KEY = "confab.conversation";

// ---------------------------------------------------------------------------------------------
// Elements

function element<T extends HTMLElement>(id: string, type: new () => T): T {
  const found = document.getElementById(id);
  if (!(found instanceof type)) throw new Error(`#${id} is missing from the page`);
  return found;
}

const ui = {
  connection: element("connection", HTMLSpanElement),
  whoami: element("whoami", HTMLSpanElement),
  signOut: element("sign-out", HTMLButtonElement),
  login: element("login", HTMLElement),
  loginForm: element("login-form", HTMLFormElement),
  loginName: element("login-name", HTMLInputElement),
  loginSub: element("login-sub", HTMLInputElement),
  loginError: element("login-error", HTMLParagraphElement),
  chat: element("chat", HTMLElement),
  newForm: element("new-form", HTMLFormElement),
  agentSelect: element("agent-select", HTMLSelectElement),
  agentDescription: element("agent-description", HTMLParagraphElement),
  conversationList: element("conversation-list", HTMLUListElement),
  conversationEmpty: element("conversation-empty", HTMLParagraphElement),
  title: element("conversation-title", HTMLHeadingElement),
  meta: element("conversation-meta", HTMLSpanElement),
  messages: element("messages", HTMLDivElement),
  loadOlder: element("load-older", HTMLButtonElement),
  messageList: element("message-list", HTMLDivElement),
  emptyPane: element("empty-pane", HTMLParagraphElement),
  starters: element("starters", HTMLDivElement),
  editing: element("editing", HTMLDivElement),
  editCancel: element("edit-cancel", HTMLButtonElement),
  banner: element("banner", HTMLDivElement),
  bannerText: element("banner-text", HTMLSpanElement),
  bannerClose: element("banner-close", HTMLButtonElement),
  composer: element("composer", HTMLFormElement),
  input: element("input", HTMLTextAreaElement),
  stop: element("stop", HTMLButtonElement),
  send: element("send", HTMLButtonElement),
  people: element("people", HTMLDivElement),
  memberList: element("member-list", HTMLUListElement),
  modeLabel: element("mode-label", HTMLLabelElement),
  assistantMode: element("assistant-mode", HTMLSelectElement),
  inviteControls: element("invite-controls", HTMLSpanElement),
  inviteRole: element("invite-role", HTMLSelectElement),
  invite: element("invite", HTMLButtonElement),
  inviteBox: element("invite-box", HTMLDivElement),
  inviteLink: element("invite-link", HTMLInputElement),
  inviteCopy: element("invite-copy", HTMLButtonElement),
  inviteNote: element("invite-note", HTMLSpanElement),
  typing: element("typing", HTMLParagraphElement),
  askLabel: element("ask-label", HTMLLabelElement),
  ask: element("ask", HTMLInputElement),
};

// ---------------------------------------------------------------------------------------------
// State

let identity: Identity | null = null;
let token = "";
let api: Api | null = null;
let socket: ChatSocket | null = null;
let agents = new Map<string, AgentResource>();
let templates = new Map<string, TemplateResource>();
/** The user message being edited from the composer, if any. */
let editing: { conversationId: string; messageId: string } | null = null;
const conversations = new Map<string, ConversationResource>();
let stream: ConversationStream | null = null;
/** The members, presence and typing of the open conversation. */
let people: People | null = null;
const rendered = new Map<string, HTMLElement>();
/** Whether the open conversation shows user messages of more than one person (then each shows its author). */
let severalAuthors = false;
let hasConnected = false;

// ---------------------------------------------------------------------------------------------
// Errors

let bannerTimer: ReturnType<typeof setTimeout> | undefined;

/** Shows an ack error, an ApiError or any other failure in the banner. */
function showError(error: unknown): void {
  let text: string;
  if (error instanceof ApiError) text = `${error.message} (${error.code})`;
  else if (error instanceof Error) text = error.message;
  else if (isAckError(error)) {
    text = `${error.message} (${error.code})`;
    if (typeof error.retryAfterMs === "number")
      text += ` — retry in ${Math.ceil(error.retryAfterMs / 1000)} s`;
  } else text = String(error);
  ui.bannerText.textContent = text;
  ui.banner.hidden = false;
  clearTimeout(bannerTimer);
  bannerTimer = setTimeout(() => (ui.banner.hidden = true), 10_000);
}

function isAckError(value: unknown): value is AckError {
  return typeof value === "object" && value !== null && "code" in value && "message" in value;
}

ui.bannerClose.addEventListener("click", () => (ui.banner.hidden = true));

// ---------------------------------------------------------------------------------------------
// Identity and token

function loadIdentity(): Identity | null {
  try {
    const stored = JSON.parse(localStorage.getItem(USER_KEY) ?? "null") as Partial<Identity> | null;
    if (stored && typeof stored.sub === "string" && typeof stored.name === "string" && stored.sub) {
      return { sub: stored.sub, name: stored.name };
    }
  } catch {
    // A damaged entry: ask again.
  }
  return null;
}

function slug(name: string): string {
  const s = name
    .normalize("NFKD")
    .toLowerCase()
    .replace(/[^a-z0-9._-]+/g, "-")
    .replace(/^-+|-+$/g, "");
  return s || "user-" + newId().slice(0, 8);
}

async function renewToken(): Promise<string> {
  if (!identity) throw new Error("not signed in");
  token = await fetchDevToken(location.origin, identity.sub, identity.name);
  api?.setToken(token);
  if (socket) socket.auth = { token };
  return token;
}

ui.loginForm.addEventListener("submit", (event) => {
  event.preventDefault();
  const name = ui.loginName.value.trim();
  if (!name) return;
  const sub = ui.loginSub.value.trim() || slug(name);
  identity = { sub, name };
  ui.loginError.hidden = true;
  void start().then(
    () => localStorage.setItem(USER_KEY, JSON.stringify(identity)),
    (err: unknown) => {
      identity = null;
      ui.loginError.textContent = err instanceof Error ? err.message : String(err);
      ui.loginError.hidden = false;
    },
  );
});

ui.signOut.addEventListener("click", () => {
  socket?.disconnect();
  localStorage.removeItem(USER_KEY);
  localStorage.removeItem(CONVERSATION_KEY);
  location.reload();
});

// ---------------------------------------------------------------------------------------------
// Start

async function start(): Promise<void> {
  token = await renewToken();
  api = new Api(location.origin, token, renewToken);
  const [agentList, templateList, page] = await Promise.all([
    api.call<AgentResource[]>("GET", "/agents"),
    api.call<TemplateResource[]>("GET", "/templates"),
    api.call<ConversationPage>("GET", "/conversations?limit=100"),
  ]);
  agents = new Map(agentList.map((a) => [a.id, a]));
  templates = new Map(templateList.map((t) => [t.id, t]));
  for (const c of page.conversations) conversations.set(c.id, c);

  ui.login.hidden = true;
  ui.chat.hidden = false;
  ui.signOut.hidden = false;
  ui.connection.hidden = false;
  ui.whoami.textContent = identity ? `${identity.name} · ${identity.sub}` : "";
  renderAgents();
  renderConversations();
  connect();

  // Opened from an invite link: join the conversation it names, then forget the token.
  const invite = new URLSearchParams(location.search).get("invite");
  if (invite) {
    history.replaceState(null, "", location.pathname);
    try {
      const { conversation } = await api.call<{ conversation: ConversationResource }>(
        "POST",
        `/invites/${encodeURIComponent(invite)}/accept`,
      );
      conversations.set(conversation.id, conversation);
      renderConversations();
      void openConversation(conversation.id);
      return;
    } catch (err) {
      showError(
        err instanceof ApiError && err.code === "not_found"
          ? new Error("This invite link is no longer valid.")
          : err,
      );
    }
  }
  const last = localStorage.getItem(CONVERSATION_KEY);
  if (last && conversations.has(last)) void openConversation(last);
  else renderPane();
}

function connect(): void {
  // Every listener is attached before the connection opens (s.connect() below): the server may send an
  // event (auth:expiring) right after the handshake.
  const s: ChatSocket = io(location.origin + "/chat", {
    auth: { token },
    transports: ["websocket"],
    autoConnect: false,
  });
  socket = s;
  subscribe(s, () => stream);

  s.on("connect", () => {
    setConnection("online");
    const rejoin = hasConnected;
    hasConnected = true;
    // The server forgets rooms with the connection: join again, asking only for what is missing.
    if (stream) void join(stream, rejoin);
    // Members may have come and gone while away.
    if (rejoin && people) void loadMembers(people);
    // Updates to the list were missed while away.
    if (rejoin) void refreshConversations();
    updateControls();
  });
  s.on("disconnect", (reason) => {
    setConnection("offline");
    updateControls();
    // The server closed the connection (an expired token): renew and come back.
    if (reason === "io server disconnect") void reconnectWithNewToken();
  });
  s.io.on("reconnect_attempt", () => setConnection("connecting"));
  s.on("connect_error", (err) => {
    setConnection("offline");
    if (s.active) return; // A network failure: Socket.IO retries by itself.
    // Refused by the server: `unauthorized` with data.code token_missing|token_invalid|token_expired.
    if (err.message === "unauthorized") void reconnectWithNewToken();
    else showError(new Error(`Cannot connect: ${err.message}`));
  });
  s.on("auth:expiring", () => {
    void (async () => {
      try {
        const fresh = await renewToken();
        const ack = await request(s, "auth:refresh", { token: fresh });
        if (!ack.ok) showError(ack.error);
      } catch (err) {
        showError(err);
      }
    })();
  });
  s.on("conversation:updated", ({ conversation }) => {
    if (conversation.status === "deleted") conversations.delete(conversation.id);
    else conversations.set(conversation.id, conversation);
    renderConversations();
    if (stream?.conversationId === conversation.id) {
      // Another tab may have checked out another branch: every tab shows the same path.
      stream.setConversation(conversation);
      renderPane();
    }
  });
  s.on("member:joined", ({ conversationId, member }) => {
    if (people?.conversationId === conversationId) people.joined(member);
  });
  s.on("member:updated", ({ conversationId, member }) => {
    if (people?.conversationId === conversationId) people.updated(member);
  });
  s.on("member:left", ({ conversationId, userId }) => {
    if (people?.conversationId === conversationId) people.left(userId);
  });
  s.on("presence:update", ({ conversationId, online }) => {
    if (people?.conversationId === conversationId) people.setOnline(online);
  });
  s.on("typing", (event) => {
    if (people?.conversationId === event.conversationId && event.userId !== identity?.sub)
      people.typingEvent(event);
  });
  s.on("conversation:deleted", ({ conversationId }) => {
    conversations.delete(conversationId);
    renderConversations();
    if (stream?.conversationId === conversationId) closeConversation();
  });
  s.connect();
}

let renewing = false;
let renewedAt = 0;
async function reconnectWithNewToken(): Promise<void> {
  if (renewing || !socket) return;
  if (Date.now() - renewedAt < 10_000) {
    showError(new Error("The server refuses this user's token; try signing out and in again."));
    return;
  }
  renewing = true;
  renewedAt = Date.now();
  try {
    await renewToken();
    socket.connect();
  } catch (err) {
    showError(err);
  } finally {
    renewing = false;
  }
}

function setConnection(state: "online" | "offline" | "connecting"): void {
  ui.connection.dataset.state = state;
  ui.connection.textContent = state === "connecting" ? "reconnecting…" : state;
}

// ---------------------------------------------------------------------------------------------
// Agents and conversations

/** The new-chat choices: each agent, then each template (a conversation with its first messages). */
function renderAgents(): void {
  const option = (value: string, text: string) => {
    const o = document.createElement("option");
    o.value = value;
    o.textContent = text;
    return o;
  };
  const choices: HTMLElement[] = [...agents.values()].map((agent) => option(`agent:${agent.id}`, agent.name));
  if (templates.size > 0) {
    const group = document.createElement("optgroup");
    group.label = "Templates";
    group.append(...[...templates.values()].map((t) => option(`template:${t.id}`, t.name)));
    choices.push(group);
  }
  ui.agentSelect.replaceChildren(...choices);
  renderAgentDescription();
}

function renderAgentDescription(): void {
  const [kind, id = ""] = ui.agentSelect.value.split(":");
  ui.agentDescription.textContent =
    (kind === "template" ? templates.get(id)?.description : agents.get(id)?.description) ?? "";
}
ui.agentSelect.addEventListener("change", renderAgentDescription);

ui.newForm.addEventListener("submit", (event) => {
  event.preventDefault();
  const [kind, id] = ui.agentSelect.value.split(":");
  if (!api || !id) return;
  const body = kind === "template" ? { templateId: id } : { agentId: id };
  void api.call<ConversationResource>("POST", "/conversations", body).then((conversation) => {
    conversations.set(conversation.id, conversation);
    renderConversations();
    return openConversation(conversation.id);
  }, showError);
});

async function refreshConversations(): Promise<void> {
  if (!api) return;
  try {
    const page = await api.call<ConversationPage>("GET", "/conversations?limit=100");
    conversations.clear();
    for (const c of page.conversations) conversations.set(c.id, c);
    renderConversations();
    renderPane();
  } catch (err) {
    showError(err);
  }
}

function sortedConversations(): ConversationResource[] {
  const at = (c: ConversationResource) => c.lastMessageAt ?? c.updatedAt;
  return [...conversations.values()].sort((a, b) => at(b).localeCompare(at(a)));
}

function renderConversations(): void {
  const list = sortedConversations();
  ui.conversationEmpty.hidden = list.length > 0;
  ui.conversationList.replaceChildren(
    ...list.map((c) => {
      const item = document.createElement("li");
      const button = document.createElement("button");
      button.type = "button";
      button.className = "conversation";
      if (c.id === stream?.conversationId) button.setAttribute("aria-current", "true");
      const title = document.createElement("span");
      title.className = "title";
      title.textContent = titleOf(c);
      const meta = document.createElement("span");
      meta.className = "meta";
      const parts = [agents.get(c.agentId)?.name ?? "assistant", plural(c.totalMessages, "message")];
      if (c.lastMessageAt) parts.push(when(c.lastMessageAt));
      if (c.status === "archived") parts.push("archived");
      meta.textContent = parts.join(" · ");
      button.append(title, meta);
      button.addEventListener("click", () => void openConversation(c.id));
      item.append(button);
      return item;
    }),
  );
}

const titleOf = (c: ConversationResource) => c.title.trim() || "New conversation";
const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? "" : "s"}`;

function when(iso: string): string {
  const d = new Date(iso);
  const today = new Date().toDateString() === d.toDateString();
  return today
    ? d.toLocaleTimeString([], { hour: "2-digit", minute: "2-digit" })
    : d.toLocaleDateString([], { month: "short", day: "numeric" });
}

// ---------------------------------------------------------------------------------------------
// The open conversation

async function openConversation(id: string): Promise<void> {
  if (stream?.conversationId === id) return;
  const previous = stream?.conversationId;
  if (previous && socket?.connected) {
    void request(socket, "conversation:leave", { conversationId: previous });
  }
  const next: ConversationStream = new ConversationStream(id, {
    changed: (view) => {
      if (stream !== next) return;
      renderMessage(next, view);
      if (view.role === "user") noteAuthors(next);
    },
    removed: (key) => {
      if (stream !== next) return;
      rendered.get(key)?.remove();
      rendered.delete(key);
      updateControls();
    },
    pathChanged: () => {
      if (stream !== next) return;
      renderPath(next);
      void completePath(next);
    },
  });
  cancelEdit();
  stopTyping();
  stream = next;
  people?.dispose();
  const nextPeople = new People(id, () => {
    if (people === nextPeople) renderPeople();
  });
  people = nextPeople;
  void loadMembers(nextPeople);
  severalAuthors = false;
  ui.inviteBox.hidden = true;
  rendered.clear();
  ui.messageList.replaceChildren();
  localStorage.setItem(CONVERSATION_KEY, id);
  renderConversations();
  renderPane();
  if (socket?.connected) await join(next, false);
  ui.input.focus();
}

function closeConversation(): void {
  stream = null;
  people?.dispose();
  people = null;
  ui.inviteBox.hidden = true;
  cancelEdit();
  rendered.clear();
  ui.messageList.replaceChildren();
  localStorage.removeItem(CONVERSATION_KEY);
  renderPane();
}

/** `conversation:join`; a re-join after a reconnect asks only for messages after what is shown. */
async function join(target: ConversationStream, rejoin: boolean): Promise<void> {
  if (!socket) return;
  const afterSeq = rejoin ? target.afterSeq() : undefined;
  target.beginJoin();
  const ack = await request(
    socket,
    "conversation:join",
    afterSeq === undefined
      ? { conversationId: target.conversationId }
      : { conversationId: target.conversationId, afterSeq },
  );
  if (!ack.ok) {
    target.abandonJoin();
    if (stream === target) showError(ack.error);
    return;
  }
  const result: JoinResult = ack.data;
  const scroll = stickToBottom();
  target.applyJoin(result, afterSeq === undefined);
  if (people?.conversationId === target.conversationId) people.setOnline(result.presence);
  conversations.set(result.conversation.id, result.conversation);
  renderConversations();
  if (stream === target) {
    renderPane();
    scroll();
  }
}

function renderPane(): void {
  const conversation = stream ? conversations.get(stream.conversationId) : undefined;
  if (!stream) {
    ui.title.textContent = "No conversation";
    ui.meta.textContent = "";
  } else if (conversation) {
    ui.title.textContent = titleOf(conversation);
    const agent = agents.get(conversation.agentId);
    const parts = [agent ? `${agent.name} · ${agent.model}` : "assistant"];
    parts.push(plural(conversation.totalTokensUsed, "token"));
    if (conversation.status !== "active") parts.push(conversation.status);
    ui.meta.textContent = parts.join(" · ");
  }
  ui.loadOlder.hidden = !stream?.hasMoreBefore;
  renderStarters();
  renderPeople();
  updateControls();
}

// ---------------------------------------------------------------------------------------------
// People: members, presence, typing, invites, who answers

/** The caller's role in the open conversation (null: none open). */
function myRole(): ConversationResource["role"] {
  return stream ? (conversations.get(stream.conversationId)?.role ?? null) : null;
}

async function loadMembers(target: People): Promise<void> {
  if (!api) return;
  try {
    const { members } = await api.call<MemberList>(
      "GET",
      `/conversations/${encodeURIComponent(target.conversationId)}/members`,
    );
    target.setMembers(members);
  } catch (err) {
    if (people === target) showError(err);
  }
}

const ROLE_LABEL = { owner: "owner", participant: "participant", viewer: "viewer" } as const;

function renderPeople(): void {
  const conversation = stream ? conversations.get(stream.conversationId) : undefined;
  ui.people.hidden = !people || !conversation;
  if (!people || !conversation) {
    ui.typing.textContent = "";
    return;
  }
  ui.memberList.replaceChildren(
    ...people.list().map((m) => {
      const item = document.createElement("li");
      item.className = "member";
      item.dataset.online = String(m.online);
      item.dataset.userId = m.userId;
      const name = document.createElement("span");
      name.className = "member-name";
      name.textContent = m.userId === identity?.sub ? `${m.name} (you)` : m.name;
      const role = document.createElement("span");
      role.className = "member-role";
      role.textContent = ROLE_LABEL[m.role];
      item.title = `${m.name}: ${m.role}, ${m.online ? "online" : "offline"}`;
      item.append(name, role);
      return item;
    }),
  );
  const owner = conversation.role === "owner";
  ui.inviteControls.hidden = !owner;
  ui.modeLabel.hidden = !owner;
  if (ui.assistantMode.value !== conversation.assistantMode)
    ui.assistantMode.value = conversation.assistantMode;
  ui.askLabel.hidden = conversation.assistantMode !== "manual" || conversation.role === "viewer";
  ui.typing.textContent = people.typingLine();
}

ui.invite.addEventListener("click", () => {
  const target = stream;
  if (!api || !target) return;
  const role = ui.inviteRole.value === "viewer" ? "viewer" : "participant";
  void api
    .call<CreatedInvite>("POST", `/conversations/${encodeURIComponent(target.conversationId)}/invites`, {
      role,
    })
    .then(async (invite) => {
      const link = `${location.origin}${location.pathname}?invite=${encodeURIComponent(invite.token)}`;
      ui.inviteLink.value = link;
      ui.inviteBox.hidden = false;
      ui.inviteNote.textContent = `Joins as ${invite.role}; valid until ${new Date(invite.expiresAt).toLocaleDateString()}.`;
      ui.inviteLink.select();
      await copy(link);
    }, showError);
});

ui.inviteCopy.addEventListener("click", () => void copy(ui.inviteLink.value));

async function copy(text: string): Promise<void> {
  try {
    await navigator.clipboard.writeText(text);
    ui.inviteNote.textContent = "Copied. " + ui.inviteNote.textContent.replace(/^Copied\. /, "");
  } catch {
    // No clipboard (plain http, or no permission): the link stays selected to copy by hand.
    ui.inviteLink.select();
  }
}

ui.assistantMode.addEventListener("change", () => {
  const target = stream;
  if (!api || !target) return;
  void api
    .call<ConversationResource>("PATCH", `/conversations/${encodeURIComponent(target.conversationId)}`, {
      assistantMode: ui.assistantMode.value,
    })
    .then((conversation) => {
      conversations.set(conversation.id, conversation);
      renderPane();
    }, showError);
});

/** Typing: told when it starts, renewed every few seconds while keys are pressed, ended when idle. */
let typingSentAt = 0;
let typingIdle: ReturnType<typeof setTimeout> | undefined;
let typingIn: string | null = null;

ui.input.addEventListener("input", () => {
  const target = stream;
  if (!socket?.connected || !target || myRole() === "viewer" || myRole() === null) return;
  if (!ui.input.value.trim()) {
    stopTyping();
    return;
  }
  if (typingIn !== target.conversationId || Date.now() - typingSentAt > 3000) {
    socket.emit("typing", { conversationId: target.conversationId, typing: true });
    typingSentAt = Date.now();
    typingIn = target.conversationId;
  }
  clearTimeout(typingIdle);
  typingIdle = setTimeout(stopTyping, 4000);
});

function stopTyping(): void {
  clearTimeout(typingIdle);
  if (typingIn && socket?.connected) socket.emit("typing", { conversationId: typingIn, typing: false });
  typingIn = null;
  typingSentAt = 0;
}

function updateControls(): void {
  const conversation = stream ? conversations.get(stream.conversationId) : undefined;
  ui.emptyPane.hidden = stream !== null && rendered.size > 0;
  ui.emptyPane.textContent = stream
    ? "No messages yet. Say hello!"
    : "Start a new chat or pick one from the list.";
  const writing = stream?.streaming() !== undefined;
  const online = socket?.connected ?? false;
  // A viewer reads along: it may not write, stop or switch versions.
  const viewer = conversation?.role === "viewer";
  ui.input.disabled = !stream || viewer;
  ui.input.placeholder = viewer
    ? "You are a viewer here: you can read along."
    : "Message… (Enter to send, Shift+Enter for a new line)";
  ui.send.disabled = !stream || !online || writing || viewer || conversation?.status === "archived";
  ui.stop.hidden = !writing || viewer;
  ui.stop.disabled = !online;
  // One answer at a time: versions, regenerate and edit wait for the answer being written.
  for (const b of ui.messageList.querySelectorAll<HTMLButtonElement>(".actions button")) {
    b.disabled = writing || !online || viewer || b.dataset.edge === "true";
  }
}

const STATUS_LABEL: Record<MessageView["status"], string> = {
  complete: "",
  sending: "sending…",
  streaming: "writing…",
  saving: "saving… (the server stores it as soon as its database is back)",
  cancelled: "stopped",
  error: "error",
  interrupted: "interrupted",
};

function renderMessage(owner: ConversationStream, view: MessageView): void {
  if (!owner.shows(view.key)) {
    // A message of another branch: kept by the stream, not shown.
    rendered.get(view.key)?.remove();
    rendered.delete(view.key);
    updateControls();
    return;
  }
  const scroll = stickToBottom();
  let row = rendered.get(view.key);
  if (!row) {
    row = document.createElement("div");
    const bubble = document.createElement("div");
    bubble.className = "bubble";
    const status = document.createElement("div");
    status.className = "status";
    const actions = document.createElement("div");
    actions.className = "actions";
    const author = document.createElement("div");
    author.className = "author";
    row.append(author, bubble, status, actions);
    rendered.set(view.key, row);
    place(owner, view, row);
  } else if (row.dataset.seq !== String(view.seq)) {
    place(owner, view, row);
  }
  const mine = view.role === "user" && (view.author === null || view.author.id === identity?.sub);
  row.className = `message ${view.role}${view.role === "user" && !mine ? " other" : ""}`;
  row.dataset.status = view.status;
  row.dataset.seq = String(view.seq);
  if (view.id) row.dataset.id = view.id;
  const [author, bubble, status, actions] = row.children;
  // Each question shows who asked it when more than one person wrote here.
  if (author) author.textContent = severalAuthors && view.role === "user" ? (view.author?.name ?? "") : "";
  // Text only: message content never reaches innerHTML.
  if (bubble && bubble.textContent !== view.content) bubble.textContent = view.content;
  if (status) {
    let label = STATUS_LABEL[view.status];
    if (view.error && view.status !== "complete") label += `: ${view.error.message}`;
    status.textContent = label;
  }
  if (actions instanceof HTMLElement) renderActions(owner, view, actions);
  scroll();
  updateControls();
}

/** Whether the conversation shows questions of more than one person; when that changes, every row is drawn again. */
function noteAuthors(owner: ConversationStream): void {
  const authors = new Set(owner.list().flatMap((v) => (v.role === "user" && v.author ? [v.author.id] : [])));
  const several = authors.size > 1;
  if (several === severalAuthors) return;
  severalAuthors = several;
  for (const view of owner.list()) renderMessage(owner, view);
}

/** Shows the path the stream holds, in order, and nothing else. */
function renderPath(owner: ConversationStream): void {
  const shown = new Set(owner.list().map((v) => v.key));
  for (const [key, row] of rendered) {
    if (!shown.has(key)) {
      row.remove();
      rendered.delete(key);
    }
  }
  for (const view of owner.list()) renderMessage(owner, view);
  noteAuthors(owner);
  renderPane();
}

/** After a checkout (here or in another tab), fetches the path's messages the stream lacks. */
async function completePath(owner: ConversationStream): Promise<void> {
  const head = owner.head;
  if (!api || !head || !owner.pathIncomplete()) return;
  try {
    const page = await api.call<{ messages: MessageResource[]; hasMore: boolean }>(
      "GET",
      `/conversations/${encodeURIComponent(owner.conversationId)}/messages?leaf=${encodeURIComponent(head)}&limit=50`,
    );
    if (owner.head === head) owner.addOlder(page.messages, page.hasMore);
  } catch (err) {
    showError(err);
  }
}

/** A message's actions: the branch picker ‹ i/n ›, Regenerate on an ended answer, Edit on a question. */
function renderActions(owner: ConversationStream, view: MessageView, actions: HTMLElement): void {
  const buttons: HTMLElement[] = [];
  const button = (label: string, title: string, onClick: () => void, cls = "link") => {
    const b = document.createElement("button");
    b.type = "button";
    b.className = cls;
    b.textContent = label;
    b.title = title;
    b.addEventListener("click", onClick);
    return b;
  };
  const branch = view.branch;
  if (view.id && branch && branch.count > 1) {
    const picker = document.createElement("span");
    picker.className = "branch";
    const label = document.createElement("span");
    label.className = "branch-label";
    label.textContent = `${branch.index}/${branch.count}`;
    const previous = button(
      "‹",
      "Previous version",
      () => void switchVersion(owner, view, -1),
      "link branch-prev",
    );
    const next = button("›", "Next version", () => void switchVersion(owner, view, 1), "link branch-next");
    // The arrows alone say nothing to a screen reader: their names are their titles.
    previous.setAttribute("aria-label", previous.title);
    next.setAttribute("aria-label", next.title);
    previous.dataset.edge = String(branch.index <= 1);
    next.dataset.edge = String(branch.index >= branch.count);
    picker.append(previous, label, next);
    buttons.push(picker);
  }
  const ended = view.status !== "streaming" && view.status !== "sending" && view.status !== "saving";
  if (view.id && ended && view.role === "assistant") {
    buttons.push(
      button(
        "Regenerate",
        "Ask again for another answer",
        () => void regenerate(owner, view),
        "link regenerate",
      ),
    );
  }
  // Only one's own questions can be edited (the owner also a template's, which nobody wrote).
  const editable = view.author?.id === identity?.sub || (view.author === null && myRole() === "owner");
  if (view.id && view.role === "user" && view.status === "complete" && editable) {
    buttons.push(
      button("Edit", "Send a new version of this message", () => startEdit(owner, view), "link edit"),
    );
  }
  actions.replaceChildren(...buttons);
}

/** Moves to the previous or next version of a message: checks out that sibling (every tab follows). */
async function switchVersion(owner: ConversationStream, view: MessageView, step: -1 | 1): Promise<void> {
  if (!api || !socket || !view.branch) return;
  try {
    // The tree gives every sibling without its text; the stream may hold only some of them.
    const tree = await api.call<TreeResult>(
      "GET",
      `/conversations/${encodeURIComponent(owner.conversationId)}/tree`,
    );
    const siblings = tree.messages.filter((m) => m.parentId === view.parentId);
    const target = siblings.find((m) => m.branch.index === view.branch!.index + step);
    if (!target) return;
    const ack = await request(socket, "conversation:checkout", {
      conversationId: owner.conversationId,
      messageId: target.id,
    });
    if (!ack.ok) {
      showError(ack.error);
      return;
    }
    conversations.set(ack.data.conversation.id, ack.data.conversation);
    owner.setConversation(ack.data.conversation);
  } catch (err) {
    showError(err);
  }
}

async function regenerate(owner: ConversationStream, view: MessageView): Promise<void> {
  if (!socket || !view.id) return;
  const ack = await request(socket, "message:regenerate", {
    conversationId: owner.conversationId,
    messageId: view.id,
  });
  if (!ack.ok) showError(ack.error);
}

/** Puts a question in the composer; sending it then makes a new version of it. */
function startEdit(owner: ConversationStream, view: MessageView): void {
  if (!view.id) return;
  editing = { conversationId: owner.conversationId, messageId: view.id };
  ui.editing.hidden = false;
  ui.input.value = view.content;
  ui.input.focus();
}

function cancelEdit(): void {
  editing = null;
  ui.editing.hidden = true;
}
ui.editCancel.addEventListener("click", () => {
  cancelEdit();
  ui.input.value = "";
});

/** An agent's starters, offered on an empty conversation. */
function renderStarters(): void {
  const conversation = stream ? conversations.get(stream.conversationId) : undefined;
  const agent = conversation ? agents.get(conversation.agentId) : undefined;
  const empty = stream !== null && stream.list().length === 0;
  const canWrite = conversation?.status === "active" && conversation.role !== "viewer";
  const starters = empty && canWrite ? (agent?.starters ?? []) : [];
  ui.starters.hidden = starters.length === 0;
  ui.starters.replaceChildren(
    ...starters.map((text) => {
      const b = document.createElement("button");
      b.type = "button";
      b.className = "starter";
      b.textContent = text;
      b.addEventListener("click", () => {
        ui.input.value = text;
        void send();
      });
      return b;
    }),
  );
}

/** Puts a message's row in the order of the path. */
function place(owner: ConversationStream, view: MessageView, row: HTMLElement): void {
  const order = owner.list();
  const index = order.findIndex((v) => v.key === view.key);
  for (const after of order.slice(index + 1)) {
    const next = rendered.get(after.key);
    if (next && next !== row && next.parentElement === ui.messageList) {
      ui.messageList.insertBefore(row, next);
      return;
    }
  }
  ui.messageList.append(row);
}

/** Keeps the view pinned to the newest message if it was there before a change. */
function stickToBottom(): () => void {
  const el = ui.messages;
  const atBottom = el.scrollHeight - el.scrollTop - el.clientHeight < 40;
  return () => {
    if (atBottom) el.scrollTop = el.scrollHeight;
  };
}

ui.loadOlder.addEventListener("click", () => {
  const target = stream;
  const before = target?.lowestSeq();
  if (!api || !target || before === undefined) return;
  void api
    .call<{ messages: MessageResource[]; hasMore: boolean }>(
      "GET",
      `/conversations/${encodeURIComponent(target.conversationId)}/messages?before=${before}&limit=50`,
    )
    .then((page) => {
      const el = ui.messages;
      const fromBottom = el.scrollHeight - el.scrollTop;
      target.addOlder(page.messages, page.hasMore);
      el.scrollTop = el.scrollHeight - fromBottom;
      renderPane();
    }, showError);
});

// ---------------------------------------------------------------------------------------------
// Sending and stopping

ui.composer.addEventListener("submit", (event) => {
  event.preventDefault();
  void send();
});

ui.input.addEventListener("keydown", (event) => {
  if (event.key === "Enter" && !event.shiftKey && !event.isComposing) {
    event.preventDefault();
    if (!ui.send.disabled) void send();
  }
});

async function send(): Promise<void> {
  const target = stream;
  const content = ui.input.value.trim();
  if (!target || !socket || !content) return;
  if (!socket.connected) {
    showError(new Error("Not connected: the message was not sent."));
    return;
  }
  const clientMessageId = newId();
  const edit = editing?.conversationId === target.conversationId ? editing : null;
  // In `manual` mode a message starts an answer only when it asks for one.
  const askAssistant = !ui.askLabel.hidden && ui.ask.checked ? { askAssistant: true } : {};
  ui.input.value = "";
  ui.ask.checked = false;
  stopTyping();
  ui.messages.scrollTop = ui.messages.scrollHeight;
  // An edit's new version appears where the question was, once stored; a send's at once, below.
  const me = identity ? { id: identity.sub, name: identity.name } : null;
  if (!edit) target.addLocal(clientMessageId, content, me);
  const ack = edit
    ? await request(socket, "message:edit", {
        conversationId: target.conversationId,
        messageId: edit.messageId,
        content,
        clientMessageId,
        ...askAssistant,
      })
    : await request(socket, "message:send", {
        conversationId: target.conversationId,
        content,
        clientMessageId,
        ...askAssistant,
      });
  if (!ack.ok) {
    target.dropLocal(clientMessageId);
    if (stream === target && !ui.input.value) ui.input.value = content;
    showError(ack.error);
    return;
  }
  if (edit) cancelEdit();
  const sent: SendResult = ack.data;
  target.applySent(sent.message, sent.assistantMessageId);
}

ui.stop.addEventListener("click", () => {
  const target = stream;
  if (!target || !socket) return;
  ui.stop.disabled = true;
  void request(socket, "generation:stop", { conversationId: target.conversationId }).then((ack) => {
    if (!ack.ok) showError(ack.error);
    updateControls();
  });
});

// ---------------------------------------------------------------------------------------------
// Boot

identity = loadIdentity();
if (identity) {
  void start().catch((err: unknown) => {
    ui.login.hidden = false;
    ui.loginName.value = identity?.name ?? "";
    ui.loginSub.value = identity?.sub ?? "";
    identity = null;
    ui.loginError.textContent = err instanceof Error ? err.message : String(err);
    ui.loginError.hidden = false;
  });
} else {
  ui.login.hidden = false;
  ui.loginName.focus();
}
