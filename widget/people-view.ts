import type { ConversationHandle } from "../sdk/conversation-handle.js";
import { el } from "./dom.js";

export interface PeopleElements {
  /** A list: one `li.member` per member (`data-user-id`, `data-online`), with its name and role. */
  members: HTMLElement;
  /** "Ann is typing…" */
  typing: HTMLElement;
}

/** "Ann is typing…", "Ann and Bob are typing…", or "" when nobody is. */
export function typingLine(names: string[]): string {
  if (names.length === 0) return "";
  if (names.length === 1) return `${names[0]} is typing…`;
  return `${names.slice(0, -1).join(", ")} and ${names.at(-1)} are typing…`;
}

/** The members of the conversation with their roles and who is online, and who else is typing. */
export class PeopleView {
  constructor(
    private readonly elements: PeopleElements,
    private readonly handle: ConversationHandle,
  ) {}

  render(): void {
    const me = this.handle.me;
    this.elements.members.replaceChildren(
      ...this.handle.members().map((m) => {
        const item = el("li", "member");
        item.dataset.online = String(m.online);
        item.dataset.userId = m.userId;
        item.title = `${m.name}: ${m.role}, ${m.online ? "online" : "offline"}`;
        item.append(
          el("span", "member-name", m.userId === me ? `${m.name} (you)` : m.name),
          el("span", "member-role", m.role),
        );
        return item;
      }),
    );
    this.elements.typing.textContent = typingLine(this.handle.typingNames());
  }
}
