import type { ConversationHandle } from "../sdk/conversation-handle.js";
import { button } from "./dom.js";

/** The agent's starters on an empty conversation: a click sends one. */
export class StartersView {
  private shown = "";

  constructor(
    private readonly container: HTMLElement,
    private readonly handle: ConversationHandle,
    private readonly pick: (text: string) => void,
  ) {}

  render(): void {
    const starters = this.handle.starters();
    const key = JSON.stringify(starters);
    if (key === this.shown) return;
    this.shown = key;
    this.container.hidden = starters.length === 0;
    this.container.replaceChildren(
      ...starters.map((text) => button(text, { className: "starter", onClick: () => this.pick(text) })),
    );
  }
}
