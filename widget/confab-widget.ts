/**
 * Confab's embeddable widget (PROTOCOL.md section D), served at `/widget/confab-widget.js`:
 * `mount(element, {url, token | getToken, conversationId?, agentId?})` puts a whole chat inside any
 * page, in a shadow root. It is written on the SDK alone. Everything a model or a person wrote goes
 * through `renderMarkdown` (marked, then DOMPurify, as DOM nodes) or `textContent`; no other text
 * becomes HTML. While an answer streams, only its own bubble is drawn again, at most once a frame.
 */
import type {
  AgentResource,
  ConversationResource,
  CreatedInvite,
  MemberList,
  MemberResource,
  PresentUser,
  TreeResult,
} from "../src/protocol/index.js";
import type { MessageView } from "../sdk/chat-client.js";
import { ConfabClient, ConfabError, type ConversationHandle } from "../sdk/confab-client.js";
import { addCopyButtons, renderMarkdown } from "./markdown.js";
import { WIDGET_CSS } from "./styles.js";

export interface MountOptions {
  url: string;
  token?: string;
  getToken?: () => string | Promise<string>;
  /** The conversation to show; without it, a new one is made with `agentId` (or the first agent). */
  conversationId?: string;
  agentId?: string;
  /** An invite token to accept first: the widget then shows the conversation it opens. */
  invite?: string;
  /** The link an invite token goes into (default: this page's address with `?invite=<token>`). */
  inviteUrl?: (token: string) => string;
}

export interface MountedWidget {
  /** The conversation shown (once known). */
  readonly conversationId: Promise<string>;
  unmount(): void;
}

function setIfChanged(node: HTMLElement, property: "className" | "textContent", value: string): void {
  if (node[property] !== value) node[property] = value;
}

const STATUS: Record<MessageView["status"], string> = {
  complete: "",
  sending: "sending…",
  streaming: "",
  saving: "saving…",
  cancelled: "stopped",
  error: "error",
  interrupted: "interrupted",
};

/** Mounts the widget in `element` (its shadow root); `unmount` removes it and closes the connection. */
export function mount(element: HTMLElement, options: MountOptions): MountedWidget {
  const client = new ConfabClient({
    url: options.url,
    ...(options.token !== undefined ? { token: options.token } : {}),
    ...(options.getToken ? { getToken: options.getToken } : {}),
  });
  const root = element.shadowRoot ?? element.attachShadow({ mode: "open" });
  const inviteUrl =
    options.inviteUrl ??
    ((token: string) => {
      // This page, without its own query or fragment (nothing of the host's is handed to invitees).
      const url = new URL(location.origin + location.pathname);
      url.searchParams.set("invite", token);
      return url.href;
    });
  const el = <K extends keyof HTMLElementTagNameMap>(
    tag: K,
    cls = "",
    text = "",
  ): HTMLElementTagNameMap[K] => {
    const node = document.createElement(tag);
    if (cls) node.className = cls;
    if (text) node.textContent = text;
    return node;
  };

  const style = el("style");
  style.textContent = WIDGET_CSS;
  const frame = el("div", "frame");
  const header = el("header");
  const title = el("h2", "", "Chat");
  const state = el("span", "state", "connecting…");
  state.dataset.state = "connecting";
  const inviteButton = el("button", "invite", "Invite");
  inviteButton.type = "button";
  inviteButton.hidden = true;
  header.append(title, state, inviteButton);
  const people = el("div", "people");
  const inviteRow = el("div", "people");
  const messagesBox = el("div", "messages");
  messagesBox.setAttribute("aria-live", "polite");
  const starters = el("div", "starters");
  const typingLine = el("div", "typing");
  const errorLine = el("div", "error");
  errorLine.setAttribute("role", "alert");
  const form = el("form");
  const input = el("textarea");
  input.placeholder = "Message…";
  input.rows = 2;
  input.maxLength = 10_000;
  const stop = el("button", "", "Stop");
  stop.type = "button";
  stop.hidden = true;
  const send = el("button", "primary", "Send");
  send.type = "submit";
  // Until the conversation is joined there is nowhere to send to.
  send.disabled = true;
  form.append(input, stop, send);
  frame.append(header, people, inviteRow, messagesBox, starters, typingLine, errorLine, form);
  root.replaceChildren(style, frame);

  let handle: ConversationHandle | null = null;
  let agent: AgentResource | undefined;
  let me = "";
  let members: MemberResource[] = [];
  let online = new Set<string>();
  const typingNow = new Map<string, { name: string; timer: ReturnType<typeof setTimeout> }>();
  const rows = new Map<string, { row: HTMLElement; drawn: string; status: string }>();
  let editing: string | null = null;
  let frameRequested = false;
  const offs: (() => void)[] = [];

  const showError = (err: unknown) => {
    errorLine.textContent = err instanceof Error ? err.message : String(err);
    setTimeout(() => (errorLine.textContent = ""), 8000);
  };

  // --- connection state -----------------------------------------------------------------------
  const setState = (s: "online" | "offline" | "connecting", label: string) => {
    state.dataset.state = s;
    state.textContent = label;
    render();
  };
  client.socket.on("connect", () => setState("online", "online"));
  client.socket.on("disconnect", () => setState("offline", "offline"));
  client.socket.io.on("reconnect_attempt", () => setState("connecting", "reconnecting…"));

  // --- messages ---------------------------------------------------------------------------------
  const severalAuthors = (list: MessageView[]) =>
    new Set(list.flatMap((m) => (m.role === "user" && m.author ? [m.author.id] : []))).size > 1;

  function drawRow(view: MessageView, several: boolean): HTMLElement {
    let entry = rows.get(view.key);
    if (!entry) {
      const row = el("div", "message");
      row.append(el("div", "author"), el("div", "bubble"), el("div", "status"), el("div", "actions"));
      entry = { row, drawn: "\u0000", status: "" };
      rows.set(view.key, entry);
    }
    const { row } = entry;
    const mine = view.role !== "user" || !view.author || view.author.id === me;
    // Each write only when it changes something: an unchanged row is not touched at all.
    setIfChanged(row, "className", `message ${view.role}${mine ? "" : " other"}`);
    if (row.dataset.status !== view.status) row.dataset.status = view.status;
    if (view.id && row.dataset.id !== view.id) row.dataset.id = view.id;
    const [author, bubble, status, actions] = row.children as unknown as HTMLElement[];
    setIfChanged(author!, "textContent", several && view.role === "user" ? (view.author?.name ?? "") : "");
    if (entry.drawn !== view.content) {
      if (view.role === "user") bubble!.textContent = view.content;
      else {
        bubble!.replaceChildren(renderMarkdown(view.content));
        addCopyButtons(bubble!);
      }
      entry.drawn = view.content;
    }
    setIfChanged(
      status!,
      "textContent",
      STATUS[view.status] + (view.error && view.status !== "complete" ? `: ${view.error.message}` : ""),
    );
    if (entry.status !== actionsKey(view)) {
      entry.status = actionsKey(view);
      actions!.replaceChildren(...actionsOf(view));
    }
    return row;
  }

  // While an answer is written the actions wait (one answer at a time): the frame's `data-busy` greys
  // them out, so that no other row is drawn again when an answer starts or ends.
  const actionsKey = (v: MessageView) =>
    `${v.status}|${v.branch?.index}/${v.branch?.count}|${role()}|${v.author?.id ?? ""}`;

  function actionsOf(view: MessageView): HTMLElement[] {
    const out: HTMLElement[] = [];
    if (!view.id || role() === "viewer" || role() === null) return out;
    const button = (label: string, name: string, onClick: () => void, disabled = false) => {
      const b = el("button", "", label);
      b.type = "button";
      b.setAttribute("aria-label", name);
      b.disabled = disabled;
      b.addEventListener("click", () => {
        if (!busy()) onClick();
      });
      return b;
    };
    if (view.branch && view.branch.count > 1) {
      out.push(
        button("‹", "Previous version", () => void switchVersion(view, -1), view.branch.index <= 1),
        el("span", "version", `${view.branch.index}/${view.branch.count}`),
        button(
          "›",
          "Next version",
          () => void switchVersion(view, 1),
          view.branch.index >= view.branch.count,
        ),
      );
    }
    const ended = !["streaming", "sending", "saving"].includes(view.status);
    if (view.role === "assistant" && ended) {
      out.push(button("Regenerate", "Regenerate", () => void handle?.regenerate(view.id!).catch(showError)));
    }
    if (view.role === "user" && view.status === "complete" && view.author?.id === me) {
      out.push(
        button("Edit", "Edit", () => {
          editing = view.id;
          input.value = view.content;
          input.focus();
        }),
      );
    }
    return out;
  }

  async function switchVersion(view: MessageView, step: -1 | 1): Promise<void> {
    if (!handle || !view.branch) return;
    try {
      const tree = await client.rest<TreeResult>(
        "GET",
        `/conversations/${encodeURIComponent(handle.id)}/tree`,
      );
      const target = tree.messages.find(
        (m) => m.parentId === view.parentId && m.branch.index === view.branch!.index + step,
      );
      if (target) await handle.checkout(target.id);
    } catch (err) {
      showError(err);
    }
  }

  const busy = () => handle?.streaming() !== undefined;
  const role = () => handle?.conversation?.role ?? null;

  /** Puts the rows in the order of the path; draws only those that changed. */
  function render(): void {
    if (!handle) return;
    const list = handle.messages();
    const several = severalAuthors(list);
    const shown = new Set(list.map((v) => v.key));
    for (const [key, entry] of rows) {
      if (!shown.has(key)) {
        entry.row.remove();
        rows.delete(key);
      }
    }
    const atBottom = messagesBox.scrollHeight - messagesBox.scrollTop - messagesBox.clientHeight < 40;
    let previous: Element | null = null;
    for (const view of list) {
      const row = drawRow(view, several);
      const expected: Element | null = previous ? previous.nextElementSibling : messagesBox.firstElementChild;
      if (expected !== row) messagesBox.insertBefore(row, expected);
      previous = row;
    }
    if (atBottom) messagesBox.scrollTop = messagesBox.scrollHeight;
    const writing = busy();
    if (frame.dataset.busy !== String(writing)) frame.dataset.busy = String(writing);
    const viewer = role() === "viewer";
    stop.hidden = !writing || viewer;
    send.disabled = writing || viewer || !client.connected;
    input.disabled = viewer;
    input.placeholder = viewer
      ? "You are a viewer here."
      : editing
        ? "Editing a message… (Esc to cancel)"
        : "Message…";
    inviteButton.hidden = role() !== "owner";
    title.textContent = handle.conversation?.title ?? "Chat";
    const empty = list.length === 0 && !viewer;
    starters.replaceChildren(
      ...(empty ? (agent?.starters ?? []) : []).map((text) => {
        const b = el("button", "starter", text);
        b.type = "button";
        b.addEventListener("click", () => void submit(text));
        return b;
      }),
    );
  }

  /** Changes come per delta: drawn once per animation frame at most. */
  const scheduleRender = () => {
    if (frameRequested) return;
    frameRequested = true;
    requestAnimationFrame(() => {
      frameRequested = false;
      render();
    });
  };

  // --- people -----------------------------------------------------------------------------------
  function renderPeople(): void {
    people.replaceChildren(
      ...members.map((m) => {
        const chip = el("span", "member", `${m.name} · ${m.role}`);
        chip.dataset.online = String(online.has(m.userId));
        chip.dataset.userId = m.userId;
        return chip;
      }),
    );
    const names = [...typingNow.values()].map((t) => t.name);
    typingLine.textContent =
      names.length === 0
        ? ""
        : names.length === 1
          ? `${names[0]} is typing…`
          : `${names.join(", ")} are typing…`;
  }

  async function loadMembers(id: string): Promise<void> {
    try {
      members = (await client.rest<MemberList>("GET", `/conversations/${encodeURIComponent(id)}/members`))
        .members;
      renderPeople();
    } catch (err) {
      showError(err);
    }
  }

  inviteButton.addEventListener("click", () => {
    if (!handle) return;
    void client
      .rest<CreatedInvite>("POST", `/conversations/${encodeURIComponent(handle.id)}/invites`, {
        role: "participant",
      })
      .then((invite) => {
        const link = el("input", "invite-link");
        link.readOnly = true;
        link.value = inviteUrl(invite.token);
        link.setAttribute("aria-label", "Invite link");
        inviteRow.replaceChildren(link);
        link.select();
        void navigator.clipboard?.writeText(link.value).catch(() => undefined);
      }, showError);
  });

  // --- composer ---------------------------------------------------------------------------------
  let typingSent = 0;
  input.addEventListener("input", () => {
    if (!handle || role() === "viewer") return;
    if (Date.now() - typingSent > 3000 && input.value.trim()) {
      handle.typing(true);
      typingSent = Date.now();
    }
  });
  input.addEventListener("keydown", (event) => {
    if (event.key === "Escape" && editing) {
      // Not editing after all: the composer is for a new message again.
      editing = null;
      input.value = "";
      render();
      return;
    }
    if (event.key === "Enter" && !event.shiftKey) {
      event.preventDefault();
      form.requestSubmit();
    }
  });
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    void submit(input.value);
  });
  stop.addEventListener("click", () => void handle?.stop().catch(showError));

  async function submit(text: string): Promise<void> {
    const content = text.trim();
    if (!handle || !content) return;
    input.value = "";
    if (typingSent) handle.typing(false);
    typingSent = 0;
    const target = editing;
    editing = null;
    try {
      if (target) await handle.edit(target, content);
      else await handle.send(content);
    } catch (err) {
      input.value = content;
      showError(err instanceof ConfabError ? `${err.message} (${err.code})` : err);
    }
  }

  // --- start ------------------------------------------------------------------------------------
  const conversationId = (async () => {
    const [user, agents] = await Promise.all([
      client.rest<{ id: string }>("GET", "/me"),
      client.rest<AgentResource[]>("GET", "/agents"),
    ]);
    me = user.id;
    let id = options.conversationId;
    if (options.invite) {
      const accepted = await client.rest<{ conversation: ConversationResource }>(
        "POST",
        `/invites/${encodeURIComponent(options.invite)}/accept`,
      );
      id = accepted.conversation.id;
    }
    if (!id) {
      const agentId = options.agentId ?? agents[0]?.id;
      if (!agentId) throw new Error("no agent to talk to");
      id = (await client.createConversation({ agentId })).id;
    }
    handle = client.conversation(id);
    offs.push(handle.on("change", scheduleRender));
    offs.push(
      handle.on("presence", (list: PresentUser[]) => {
        online = new Set(list.map((u) => u.userId));
        renderPeople();
      }),
    );
    const forThis = (conversationId: string) => conversationId === id;
    offs.push(
      client.on("member:joined", (e) => forThis(e.conversationId) && void loadMembers(id)),
      client.on("member:updated", (e) => forThis(e.conversationId) && void loadMembers(id)),
      client.on("member:left", (e) => forThis(e.conversationId) && void loadMembers(id)),
      client.on("conversation:updated", (e: { conversation: ConversationResource }) => {
        if (forThis(e.conversation.id)) scheduleRender();
      }),
      client.on("typing", (e) => {
        if (!forThis(e.conversationId) || e.userId === me) return;
        clearTimeout(typingNow.get(e.userId)?.timer);
        if (e.typing) {
          const timer = setTimeout(() => {
            typingNow.delete(e.userId);
            renderPeople();
          }, 7000);
          typingNow.set(e.userId, { name: e.name, timer });
        } else typingNow.delete(e.userId);
        renderPeople();
      }),
    );
    await handle.ready();
    agent = agents.find((a) => a.id === handle!.conversation?.agentId);
    online = new Set(handle.presence().map((u) => u.userId));
    await loadMembers(id);
    render();
    return id;
  })();
  conversationId.catch(showError);

  return {
    conversationId,
    unmount() {
      for (const off of offs) off();
      for (const t of typingNow.values()) clearTimeout(t.timer);
      client.close();
      root.replaceChildren();
    },
  };
}
