import type { ConversationHandle, MessageActions } from "../sdk/conversation-handle.js";
import type { MessageStatus, MessageView } from "../sdk/conversation-stream.js";
import { button, el, setData, setIfChanged } from "./dom.js";
import { addCopyButtons, renderMarkdown } from "./markdown.js";
import { hasRichParts, PartsView } from "./parts-view.js";

export interface MessageListElements {
  /** Where the rows go, one per message of the path. */
  list: HTMLElement;
  /** What scrolls (kept at the bottom while it was there). */
  scroller: HTMLElement;
  /** "Load earlier messages", shown while the path goes on above what is held. */
  earlier?: HTMLButtonElement;
  /** Shown while the conversation has no message. */
  empty?: HTMLElement;
}

export interface MessageListOptions {
  /** Answers as Markdown (marked, then DOMPurify, as DOM nodes), or as plain text. Questions are text. */
  markdown: boolean;
  onError: (err: unknown) => void;
}

const STATUS: Record<MessageStatus, string> = {
  complete: "",
  sending: "sending…",
  streaming: "writing…",
  awaiting_approval: "waiting for approval",
  saving: "saving… (stored as soon as the server's database is back)",
  cancelled: "stopped",
  error: "error",
  interrupted: "interrupted",
};

interface Row {
  row: HTMLElement;
  author: HTMLElement;
  bubble: HTMLElement;
  status: HTMLElement;
  actions: HTMLElement;
  /** The text drawn in the bubble, and the actions drawn: each redrawn only when it changes. */
  drawn: string | null;
  /** An answer with more than text: its parts, drawn one by one (then `drawn` is unused). */
  parts: PartsView | null;
  /** Whether the caller could decide tool calls when the parts were last drawn. */
  partsCanDecide: boolean;
  actionsKey: string;
}

/**
 * The messages of the path, one row each (`.message.<role>` with `.author`, `.bubble`, `.status` and
 * `.actions`). A render touches only the rows whose message changed, so while an answer streams only
 * its own row is drawn again. The actions come from the handle: the version picker "‹ i/n ›",
 * Regenerate and Edit; while an answer is written they wait (the face greys them with `data-busy`).
 */
export class MessageListView {
  private readonly rows = new Map<string, Row>();

  constructor(
    private readonly elements: MessageListElements,
    private readonly handle: ConversationHandle,
    private readonly options: MessageListOptions,
    signal: AbortSignal,
  ) {
    elements.earlier?.addEventListener("click", () => void this.loadEarlier(), { signal });
  }

  /** Puts the rows in the order of the path and draws those that changed. */
  render(): void {
    const { list, scroller, earlier, empty } = this.elements;
    const messages = this.handle.messages();
    const atBottom = scroller.scrollHeight - scroller.scrollTop - scroller.clientHeight < 40;
    this.dropRowsNotIn(new Set(messages.map((v) => v.key)));
    const several = this.handle.showsAuthors();
    let previous: Element | null = null;
    for (const view of messages) {
      const row = this.draw(view, several);
      const expected: Element | null = previous ? previous.nextElementSibling : list.firstElementChild;
      if (expected !== row) list.insertBefore(row, expected);
      previous = row;
    }
    if (atBottom) scroller.scrollTop = scroller.scrollHeight;
    if (earlier && earlier.hidden === this.handle.hasEarlier) earlier.hidden = !this.handle.hasEarlier;
    if (empty && empty.hidden !== messages.length > 0) empty.hidden = messages.length > 0;
  }

  private dropRowsNotIn(shown: Set<string>): void {
    for (const [key, entry] of this.rows) {
      if (shown.has(key)) continue;
      entry.row.remove();
      this.rows.delete(key);
    }
  }

  private draw(view: MessageView, several: boolean): HTMLElement {
    const entry = this.rows.get(view.key) ?? this.newRow(view.key);
    const { row } = entry;
    const other = view.role === "user" && view.author !== null && view.author.id !== this.handle.me;
    setIfChanged(row, "className", `message ${view.role}${other ? " other" : ""}`);
    setData(row, "status", view.status);
    if (view.id) setData(row, "id", view.id);
    setIfChanged(
      entry.author,
      "textContent",
      several && view.role === "user" ? (view.author?.name ?? "") : "",
    );
    this.drawBubble(entry, view);
    const failure = view.error && view.status !== "complete" ? `: ${view.error.message}` : "";
    setIfChanged(entry.status, "textContent", STATUS[view.status] + failure);
    const actions = this.handle.actions(view);
    const key = JSON.stringify(actions);
    if (entry.actionsKey !== key) {
      entry.actionsKey = key;
      entry.actions.replaceChildren(...this.actionButtons(view, actions));
    }
    return row;
  }

  private newRow(key: string): Row {
    const row = el("div", "message");
    const entry: Row = {
      row,
      author: el("div", "author"),
      bubble: el("div", "bubble"),
      status: el("div", "status"),
      actions: el("div", "actions"),
      drawn: null,
      parts: null,
      partsCanDecide: false,
      actionsKey: "",
    };
    row.append(entry.author, entry.bubble, entry.status, entry.actions);
    this.rows.set(key, entry);
    return entry;
  }

  /**
   * An answer with reasoning, tool calls or sources, and a question with files, are drawn part by
   * part (a part's element kept while it grows); any other message as its text.
   */
  private drawBubble(entry: Row, view: MessageView): void {
    const rich = (view.role === "assistant" && view.id !== null) || view.role === "user";
    if (rich && (entry.parts || hasRichParts(view.parts))) {
      const messageId = view.id ?? "";
      const handle = this.handle;
      entry.parts ??= new PartsView(entry.bubble, {
        // A question is text, whatever it looks like.
        markdown: this.options.markdown && view.role === "assistant",
        fileUrl: (fileId) => handle.fileUrl(fileId),
        toolActions: (toolCallId) => ({
          get canDecide() {
            return handle.canDecide;
          },
          decide: (approved) => handle.decide(messageId, toolCallId, approved),
          onError: this.options.onError,
        }),
      });
      // Who may decide can change (a role, the conversation's setting): the cards ask again.
      const canDecide = handle.canDecide;
      entry.parts.draw(view.parts, canDecide !== entry.partsCanDecide);
      entry.partsCanDecide = canDecide;
      return;
    }
    if (entry.drawn !== view.content) {
      this.drawContent(entry.bubble, view);
      entry.drawn = view.content;
    }
  }

  /** A question is text; an answer is sanitized Markdown, or text. Nothing else becomes HTML. */
  private drawContent(bubble: HTMLElement, view: MessageView): void {
    if (view.role === "user" || !this.options.markdown) {
      bubble.textContent = view.content;
      return;
    }
    bubble.replaceChildren(renderMarkdown(view.content));
    addCopyButtons(bubble);
  }

  private actionButtons(view: MessageView, actions: MessageActions): HTMLElement[] {
    const id = view.id;
    if (id === null) return [];
    const out: HTMLElement[] = [];
    const act = (work: () => Promise<unknown>) => () => {
      // One answer at a time: while one is written the actions wait.
      if (!this.handle.busy) work().catch(this.options.onError);
    };
    if (actions.versions) {
      const { index, count, previous, next } = actions.versions;
      const picker = el("span", "branch");
      picker.append(
        button("‹", {
          className: "link branch-prev",
          name: "Previous version",
          title: "Previous version",
          disabled: !previous,
          onClick: act(() => this.handle.switchVersion(id, -1)),
        }),
        el("span", "branch-label", `${index}/${count}`),
        button("›", {
          className: "link branch-next",
          name: "Next version",
          title: "Next version",
          disabled: !next,
          onClick: act(() => this.handle.switchVersion(id, 1)),
        }),
      );
      out.push(picker);
    }
    if (actions.regenerate) {
      out.push(
        button("Regenerate", {
          className: "link regenerate",
          title: "Ask again for another answer",
          onClick: act(() => this.handle.regenerate(id)),
        }),
      );
    }
    if (actions.edit) {
      out.push(
        button("Edit", {
          className: "link edit",
          title: "Send a new version of this message",
          onClick: act(() => Promise.resolve(this.handle.beginEdit(id))),
        }),
      );
    }
    return out;
  }

  /** The page of the path above, kept in place on the screen (the rows below do not jump). */
  private async loadEarlier(): Promise<void> {
    const { scroller } = this.elements;
    const fromBottom = scroller.scrollHeight - scroller.scrollTop;
    try {
      await this.handle.loadEarlier();
      this.render();
      scroller.scrollTop = scroller.scrollHeight - fromBottom;
    } catch (err) {
      this.options.onError(err);
    }
  }
}
