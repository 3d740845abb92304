import type { MemberResource, PresentUser, TypingEvent } from "../src/protocol/index.js";

/** How long a client shows someone typing without news (the server ends it after 6 s itself). */
const TYPING_SHOWN_MS = 7000;

/**
 * The people of the open conversation, as a tab shows them (PROTOCOL.md: members, presence, typing):
 * the members with their roles, who is online (from the join ack and `presence:update`), and who is
 * typing. Holds no DOM: `changed` tells the page to draw it again.
 */
export class People {
  private members: MemberResource[] = [];
  private online = new Set<string>();
  private readonly typing = new Map<string, { name: string; timer: ReturnType<typeof setTimeout> }>();

  constructor(
    readonly conversationId: string,
    private readonly changed: () => void,
  ) {}

  /** The members as `GET …/members` gives them (the owner first). */
  setMembers(members: MemberResource[]): void {
    this.members = members;
    this.changed();
  }

  setOnline(online: PresentUser[]): void {
    this.online = new Set(online.map((u) => u.userId));
    this.changed();
  }

  joined(member: MemberResource): void {
    this.members = [...this.members.filter((m) => m.userId !== member.userId), member];
    this.changed();
  }

  updated(member: MemberResource): void {
    const owner = member.role === "owner";
    this.members = this.members.map((m) =>
      m.userId === member.userId ? member : owner && m.role === "owner" ? { ...m, role: "participant" } : m,
    );
    // The owner first, as the server lists them.
    this.members.sort((a, b) => Number(b.role === "owner") - Number(a.role === "owner"));
    this.changed();
  }

  left(userId: string): void {
    this.members = this.members.filter((m) => m.userId !== userId);
    this.stopTyping(userId);
    this.changed();
  }

  typingEvent(event: TypingEvent): void {
    this.stopTyping(event.userId);
    if (event.typing) {
      const timer = setTimeout(() => {
        this.typing.delete(event.userId);
        this.changed();
      }, TYPING_SHOWN_MS);
      this.typing.set(event.userId, { name: event.name, timer });
    }
    this.changed();
  }

  private stopTyping(userId: string): void {
    const state = this.typing.get(userId);
    if (!state) return;
    clearTimeout(state.timer);
    this.typing.delete(userId);
  }

  /** Each member with whether it is online now. */
  list(): (MemberResource & { online: boolean })[] {
    return this.members.map((m) => ({ ...m, online: this.online.has(m.userId) }));
  }

  /** The names of the others typing, in the order they started. */
  typingNames(): string[] {
    return [...this.typing.values()].map((t) => t.name);
  }

  /** "Ann is typing…", "Ann and Bob are typing…", or "" when nobody is. */
  typingLine(): string {
    const names = this.typingNames();
    if (names.length === 0) return "";
    if (names.length === 1) return `${names[0]} is typing…`;
    return `${names.slice(0, -1).join(", ")} and ${names.at(-1)} are typing…`;
  }

  dispose(): void {
    for (const state of this.typing.values()) clearTimeout(state.timer);
    this.typing.clear();
  }
}
