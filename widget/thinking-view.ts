import type { ReasoningPart } from "../src/protocol/index.js";
import { el, setIfChanged } from "./dom.js";

/**
 * The model's reasoning as a collapsed "Thinking" block (`<details class="thinking">`). The element
 * is kept while the reasoning grows, so a reader who opened it keeps it open. Text only.
 */
export class ThinkingView {
  readonly element: HTMLDetailsElement;
  private readonly text: HTMLElement;

  constructor() {
    this.element = el("details", "thinking");
    this.text = el("div", "thinking-text");
    this.element.append(el("summary", "", "Thinking"), this.text);
  }

  draw(part: ReasoningPart): void {
    setIfChanged(this.text, "textContent", part.text);
  }
}
