import type { ConfabClient } from "../../sdk/confab-client.js";
import type { ConversationHandle } from "../../sdk/conversation-handle.js";
import { ConversationView, type ConversationElements } from "../../widget/conversation-view.js";
import { showError } from "./banner.js";
import { ui } from "./elements.js";
import { titleOf, type Sidebar } from "./sidebar.js";

const CONVERSATION_KEY = "confab.conversation";

/** The page's elements, as the widget's views draw into them. */
const elements: ConversationElements = {
  root: ui.pane,
  messages: { list: ui.messageList, scroller: ui.messages, earlier: ui.loadOlder, empty: ui.emptyPane },
  starters: ui.starters,
  people: { members: ui.memberList, typing: ui.typing },
  composer: {
    form: ui.composer,
    input: ui.input,
    send: ui.send,
    stop: ui.stop,
    ask: { label: ui.askLabel, box: ui.ask },
    editing: { bar: ui.editing, cancel: ui.editCancel },
    // Files dropped anywhere on the open conversation are attached.
    files: { button: ui.attach, input: ui.fileInput, list: ui.attachments, drop: ui.pane },
  },
  owner: {
    controls: [ui.modeLabel, ui.inviteControls],
    invite: {
      button: ui.invite,
      role: ui.inviteRole,
      box: ui.inviteBox,
      link: ui.inviteLink,
      copy: ui.inviteCopy,
      note: ui.inviteNote,
    },
    mode: ui.assistantMode,
  },
};

/** An invite link to this page, which accepts the invite when opened (then forgets the token). */
const inviteUrl = (token: string) =>
  `${location.origin}${location.pathname}?invite=${encodeURIComponent(token)}`;

/**
 * The open conversation: the widget's views over its handle (answers as plain text here), with the
 * app's header (title, agent, tokens used). Opening another closes this one's handle (its room is left).
 */
export class Pane {
  private view: ConversationView | null = null;
  private offs: (() => void)[] = [];

  constructor(
    private readonly client: ConfabClient,
    private readonly sidebar: Sidebar,
  ) {
    this.clear();
  }

  get openId(): string | null {
    return this.view?.handle.id ?? null;
  }

  open(id: string): void {
    if (this.openId === id) return;
    this.clear();
    const handle = this.client.conversation(id);
    this.view = new ConversationView(elements, handle, {
      markdown: false,
      connected: () => this.client.connected,
      inviteUrl,
      onError: showError,
    });
    this.offs = [
      handle.on("conversation", () => this.renderHeader(handle)),
      handle.on("deleted", () => this.close()),
    ];
    handle.ready().catch(showError);
    localStorage.setItem(CONVERSATION_KEY, id);
    ui.emptyPane.textContent = "No messages yet. Say hello!";
    ui.people.hidden = false;
    this.renderHeader(handle);
    this.sidebar.render();
    ui.input.focus();
  }

  /** Shows no conversation, and forgets the last one shown (it was deleted, or the user left it). */
  close(): void {
    this.clear();
    localStorage.removeItem(CONVERSATION_KEY);
  }

  private clear(): void {
    for (const off of this.offs) off();
    this.offs = [];
    this.view?.dispose();
    this.view?.handle.close();
    this.view = null;
    for (const list of [ui.messageList, ui.memberList, ui.starters, ui.attachments]) list.replaceChildren();
    ui.title.textContent = "No conversation";
    ui.meta.textContent = "";
    ui.emptyPane.textContent = "Start a new chat or pick one from the list.";
    ui.emptyPane.hidden = false;
    ui.people.hidden = true;
    ui.editing.hidden = true;
    ui.inviteBox.hidden = true;
    ui.loadOlder.hidden = true;
    ui.typing.textContent = "";
    ui.input.disabled = true;
    ui.send.disabled = true;
    ui.attach.disabled = true;
    ui.attachments.hidden = true;
    ui.stop.hidden = true;
    this.sidebar.render();
  }

  /** The last conversation this browser showed, if it still has it. */
  lastOpened(): string | null {
    return localStorage.getItem(CONVERSATION_KEY);
  }

  /** The connection changed: the composer follows. */
  connectionChanged(): void {
    this.view?.render();
  }

  private renderHeader(handle: ConversationHandle): void {
    const conversation = handle.conversation ?? this.client.conversations().get(handle.id);
    if (!conversation) return;
    ui.title.textContent = titleOf(conversation);
    const agent = this.sidebar.agents.get(conversation.agentId);
    const parts = [agent ? `${agent.name} · ${agent.model}` : "assistant"];
    parts.push(`${conversation.totalTokensUsed} token${conversation.totalTokensUsed === 1 ? "" : "s"}`);
    if (conversation.status !== "active") parts.push(conversation.status);
    ui.meta.textContent = parts.join(" · ");
  }
}
