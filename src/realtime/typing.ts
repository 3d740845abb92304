import { conversationRoom } from "../protocol/index.js";
import type { ChatNamespace, ChatSocket } from "./chat-namespace.js";

/** A typing state ends by itself this long after its last renewal (PROTOCOL.md: typing). */
export const TYPING_TTL_MS = 6000;

export interface TypingDeps {
  chat: ChatNamespace;
  /** How long a typing state lasts without a renewal (TYPING_TTL_MS by default). */
  ttlMs?: number;
}

/**
 * Relays `typing` between the tabs of a conversation. A tab's state lives on the node that holds the
 * tab: one timer per tab typing, ended by `typing: false`, by the timer, or by the tab leaving the
 * room. Only a state change is relayed (a renewal is not), and nothing touches a database.
 */
export class Typing {
  /** `${socketId} ${conversationId}` → when the state ends by itself. */
  private readonly typing = new Map<string, { timer: NodeJS.Timeout; userId: string; name: string }>();

  constructor(private readonly deps: TypingDeps) {}

  set(socket: ChatSocket, conversationId: string, typing: boolean): void {
    const key = `${socket.id} ${conversationId}`;
    const current = this.typing.get(key);
    if (!typing) {
      if (current) this.end(key, conversationId, socket.id);
      return;
    }
    if (current) {
      current.timer.refresh();
      return;
    }
    const { userId } = socket.data.principal;
    const name = socket.data.name;
    const timer = setTimeout(
      () => this.end(key, conversationId, socket.id),
      this.deps.ttlMs ?? TYPING_TTL_MS,
    );
    timer.unref();
    this.typing.set(key, { timer, userId, name });
    socket
      .to(conversationRoom(conversationId))
      .emit("typing", { conversationId, userId, name, typing: true });
  }

  /** The tab left the conversation (or closed): its typing ends. */
  left(socketId: string, conversationId: string): void {
    const key = `${socketId} ${conversationId}`;
    if (this.typing.has(key)) this.end(key, conversationId, socketId);
  }

  private end(key: string, conversationId: string, socketId: string): void {
    const state = this.typing.get(key);
    if (!state) return;
    clearTimeout(state.timer);
    this.typing.delete(key);
    this.deps.chat
      .to(conversationRoom(conversationId))
      .except(socketId)
      .emit("typing", { conversationId, userId: state.userId, name: state.name, typing: false });
  }
}
