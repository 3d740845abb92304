import type { MemberResource, PresentUser, TypingEvent } from "../src/protocol/index.js";

/** How long a tab shows someone typing without news (the server itself ends it after 6 s). */
export const TYPING_SHOWN_MS = 7000;

/** A member as a tab shows it: with whether it has a tab joined now. */
export type MemberView = MemberResource;

/**
 * The people of one conversation as a tab holds them (PROTOCOL.md section 8): the members with their
 * roles, who is online (the join ack's `presence`, then `presence:update`), and who else is typing,
 * each typing state ending by itself when no news comes. `changed` tells the handle.
 */
export class People {
  private members: MemberResource[] = [];
  private online = new Set<string>();
  private present: PresentUser[] = [];
  private readonly typing = new Map<string, { name: string; timer: ReturnType<typeof setTimeout> }>();

  constructor(
    private readonly changed: () => void,
    /** How long a typing state is shown without news (default `TYPING_SHOWN_MS`). */
    private readonly typingShownMs = TYPING_SHOWN_MS,
  ) {}

  /** The members as `GET …/members` gives them (the owner first). */
  setMembers(members: MemberResource[]): void {
    this.members = members;
    this.changed();
  }

  setOnline(online: PresentUser[]): void {
    this.present = online;
    this.online = new Set(online.map((u) => u.userId));
    this.changed();
  }

  joined(member: MemberResource): void {
    this.members = [...this.members.filter((m) => m.userId !== member.userId), member];
    this.changed();
  }

  /** A role changed; a new owner makes the old one a participant (there is one owner at a time). */
  updated(member: MemberResource): void {
    const owner = member.role === "owner";
    this.members = this.members.map((m) =>
      m.userId === member.userId ? member : owner && m.role === "owner" ? { ...m, role: "participant" } : m,
    );
    this.members.sort((a, b) => Number(b.role === "owner") - Number(a.role === "owner"));
    this.changed();
  }

  left(userId: string): void {
    this.members = this.members.filter((m) => m.userId !== userId);
    this.endTyping(userId);
    this.changed();
  }

  /** Another member's `typing`; shown until it stops, or for `TYPING_SHOWN_MS` without news. */
  typingEvent(event: TypingEvent): void {
    this.endTyping(event.userId);
    if (event.typing) {
      const timer = setTimeout(() => {
        this.typing.delete(event.userId);
        this.changed();
      }, this.typingShownMs);
      this.typing.set(event.userId, { name: event.name, timer });
    }
    this.changed();
  }

  /** Each member, with whether it is online now. */
  list(): MemberView[] {
    return this.members.map((m) => ({ ...m, online: this.online.has(m.userId) }));
  }

  /** Who has a tab joined now. */
  presence(): PresentUser[] {
    return this.present;
  }

  /** The names of the others typing, in the order they started. */
  typingNames(): string[] {
    return [...this.typing.values()].map((t) => t.name);
  }

  dispose(): void {
    for (const state of this.typing.values()) clearTimeout(state.timer);
    this.typing.clear();
  }

  private endTyping(userId: string): void {
    const state = this.typing.get(userId);
    if (!state) return;
    clearTimeout(state.timer);
    this.typing.delete(userId);
  }
}
