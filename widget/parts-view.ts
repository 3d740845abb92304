import type { MessagePart, SourcePart, TextPart } from "../src/protocol/index.js";
import { el, setIfChanged } from "./dom.js";
import { FilePartView, type FileUrl } from "./file-part-view.js";
import { addCopyButtons, renderMarkdown } from "./markdown.js";
import { ThinkingView } from "./thinking-view.js";
import { ToolCardView, type ToolCardActions } from "./tool-card-view.js";

/** What drawing an answer's parts needs: Markdown or text, and what a tool card may do. */
export interface PartsOptions {
  markdown: boolean;
  /** The actions of the card of one tool call. */
  toolActions(toolCallId: string): ToolCardActions;
  /** A file's signed link (the SDK's `fileUrl`). */
  fileUrl: FileUrl;
}

/** One drawn part: its element, and how to draw it again. */
interface DrawnPart {
  type: MessagePart["type"];
  element: HTMLElement;
  draw(part: MessagePart): void;
}

/**
 * A message's parts in order, in its bubble: text as sanitized Markdown (or text), reasoning as a
 * "Thinking" block, each tool call as a card, a source as a link, a file as a thumbnail or a download. Each part keeps its element while it
 * grows (an opened Thinking block stays open), and only a changed part is drawn again.
 */
export class PartsView {
  private readonly drawn: DrawnPart[] = [];
  private parts: readonly MessagePart[] = [];

  constructor(
    private readonly container: HTMLElement,
    private readonly options: PartsOptions,
  ) {
    container.replaceChildren();
  }

  /** Draws the parts that changed (every part, with `all`: what they depend on changed). */
  draw(parts: readonly MessagePart[], all = false): void {
    parts.forEach((part, index) => {
      let entry = this.drawn[index];
      if (entry && entry.type !== part.type) {
        entry.element.remove();
        entry = undefined;
      }
      if (!entry) {
        entry = this.create(part);
        this.drawn[index] = entry;
        this.container.insertBefore(entry.element, this.drawn[index + 1]?.element ?? null);
      }
      if (all || this.parts[index] !== part) entry.draw(part);
    });
    for (const extra of this.drawn.splice(parts.length)) extra.element.remove();
    this.parts = parts;
  }

  private create(part: MessagePart): DrawnPart {
    switch (part.type) {
      case "reasoning": {
        const view = new ThinkingView();
        return {
          type: part.type,
          element: view.element,
          draw: (p) => p.type === "reasoning" && view.draw(p),
        };
      }
      case "tool": {
        const view = new ToolCardView(this.options.toolActions(part.toolCallId));
        return { type: part.type, element: view.element, draw: (p) => p.type === "tool" && view.draw(p) };
      }
      case "source": {
        const element = el("a", "source");
        return { type: part.type, element, draw: (p) => p.type === "source" && drawSource(element, p) };
      }
      case "file": {
        const view = new FilePartView(this.options.fileUrl);
        return { type: part.type, element: view.element, draw: (p) => p.type === "file" && view.draw(p) };
      }
      case "text": {
        const element = el("div", "text-part");
        return { type: part.type, element, draw: (p) => p.type === "text" && this.drawText(element, p) };
      }
    }
  }

  private drawText(element: HTMLElement, part: TextPart): void {
    if (!this.options.markdown) {
      setIfChanged(element, "textContent", part.text);
      return;
    }
    element.replaceChildren(renderMarkdown(part.text));
    addCopyButtons(element);
  }
}

/** A cited source: a link only to an http(s) address, its title (or address) as text. */
function drawSource(link: HTMLAnchorElement, part: SourcePart): void {
  setIfChanged(link, "textContent", part.title ?? part.url);
  if (isWebAddress(part.url)) {
    link.href = part.url;
    link.target = "_blank";
    link.rel = "noopener noreferrer";
  } else link.removeAttribute("href");
}

/** Whether a message needs its parts drawn one by one (it has more than text). */
export const hasRichParts = (parts: readonly MessagePart[]) => parts.some((p) => p.type !== "text");

function isWebAddress(url: string): boolean {
  try {
    const { protocol } = new URL(url);
    return protocol === "http:" || protocol === "https:";
  } catch {
    return false;
  }
}
