import type { ConversationHandle } from "../sdk/conversation-handle.js";
import { ComposerView, type ComposerElements } from "./composer-view.js";
import { frameScheduler, setData } from "./dom.js";
import { MessageListView, type MessageListElements } from "./message-list-view.js";
import { OwnerControlsView, type OwnerElements } from "./owner-controls-view.js";
import { PeopleView, type PeopleElements } from "./people-view.js";
import { StartersView } from "./starters-view.js";

/** Where a face wants each part of a conversation drawn. */
export interface ConversationElements {
  /**
   * Gets `data-busy="true"` while an answer is written and `data-online="false"` while disconnected:
   * the face greys the messages' actions then (they wait, as one answer at a time requires).
   */
  root: HTMLElement;
  messages: MessageListElements;
  starters: HTMLElement;
  people: PeopleElements;
  composer: ComposerElements;
  owner: OwnerElements;
}

export interface ConversationViewOptions {
  /** Answers as sanitized Markdown (the widget), or as plain text. */
  markdown: boolean;
  connected: () => boolean;
  inviteUrl: (token: string) => string;
  onError: (err: unknown) => void;
}

/**
 * One conversation drawn from its handle: the messages, the starters, the people, the composer and
 * the owner's controls. The handle holds the state and does the work; this only listens and draws
 * (the messages at most once an animation frame, however many deltas arrive).
 */
export class ConversationView {
  private readonly aborter = new AbortController();
  private readonly offs: (() => void)[];
  private readonly list: MessageListView;
  private readonly starters: StartersView;
  private readonly people: PeopleView;
  private readonly composer: ComposerView;
  private readonly owner: OwnerControlsView;
  private readonly frame = frameScheduler(() => this.renderMessages());

  constructor(
    private readonly elements: ConversationElements,
    readonly handle: ConversationHandle,
    private readonly options: ConversationViewOptions,
  ) {
    const signal = this.aborter.signal;
    const { onError } = options;
    this.list = new MessageListView(
      elements.messages,
      handle,
      { markdown: options.markdown, onError },
      signal,
    );
    this.composer = new ComposerView(
      elements.composer,
      handle,
      { connected: options.connected, onError },
      signal,
    );
    this.starters = new StartersView(elements.starters, handle, (text) => void this.composer.submit(text));
    this.people = new PeopleView(elements.people, handle);
    this.owner = new OwnerControlsView(
      elements.owner,
      handle,
      { inviteUrl: options.inviteUrl, onError },
      signal,
    );
    this.offs = [
      handle.on("change", () => this.frame.schedule()),
      handle.on("people", () => this.people.render()),
      handle.on("conversation", () => this.render()),
      handle.on("editing", (view) => this.composer.editingChanged(view)),
      handle.on("attachments", () => this.composer.renderAttachments()),
      handle.on("error", onError),
    ];
    this.render();
  }

  /** Draws everything again (the conversation or the connection changed). */
  render(): void {
    setData(this.elements.root, "online", String(this.options.connected()));
    this.renderMessages();
    this.people.render();
    this.owner.render();
  }

  private renderMessages(): void {
    this.list.render();
    this.starters.render();
    this.composer.render();
    setData(this.elements.root, "busy", String(this.handle.busy));
  }

  /** Stops listening to the handle and to the elements (the face shows another conversation). */
  dispose(): void {
    this.aborter.abort();
    this.frame.cancel();
    for (const off of this.offs) off();
  }
}
