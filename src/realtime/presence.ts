import type { Logger } from "../observability/logger.js";
import { conversationRoom, type PresentUser } from "../protocol/index.js";
import type { ChatNamespace } from "./chat-namespace.js";
import type { PresenceStore } from "./presence-store.js";

const ROOM_PREFIX = conversationRoom("");

export interface PresenceDeps {
  chat: ChatNamespace;
  store: PresenceStore;
  logger: Logger;
  /** How often this node renews its entries (a third of their lifetime). */
  renewMs: number;
}

interface LocalUser {
  name: string;
  sockets: Set<string>;
  stored: boolean;
}

/**
 * The members with a tab joined to each conversation (PROTOCOL.md: presence). This node counts its
 * own tabs per conversation and user, and tells the store only when a user's first tab here joins or
 * its last one leaves (however it leaves: `conversation:leave`, a closed tab, a removal on another
 * node). When the set of online users changes, the room gets `presence:update`. Every `renewMs` the
 * node renews its entries and drops other nodes' expired ones: a dead node's users go offline within
 * the entries' lifetime plus one renewal.
 */
export class Presence {
  /**
   * conversation → user → this node's sockets of that user joined there, and whether the store has
   * the entry (`stored`): only stored entries are renewed; one the store missed (Redis was away) is
   * entered again at the next renewal, which then tells the room.
   */
  private readonly local = new Map<string, Map<string, LocalUser>>();
  /** One change at a time per conversation, so that enter and leave reach the store in order. */
  private readonly queues = new Map<string, Promise<unknown>>();
  private timer: NodeJS.Timeout | undefined;

  constructor(private readonly deps: PresenceDeps) {}

  private get store(): PresenceStore {
    return this.deps.store;
  }

  start(): void {
    this.deps.chat.adapter.on("leave-room", (room: unknown, socketId: unknown) => {
      if (typeof room !== "string" || typeof socketId !== "string" || !room.startsWith(ROOM_PREFIX)) return;
      this.left(room.slice(ROOM_PREFIX.length), socketId);
    });
    this.timer = setInterval(() => void this.renew(), this.deps.renewMs);
    this.timer.unref();
  }

  stop(): void {
    clearInterval(this.timer);
  }

  /** A tab joined: the users online there now (itself included). */
  enter(conversationId: string, socketId: string, user: PresentUser): Promise<PresentUser[]> {
    const users = this.local.get(conversationId) ?? new Map<string, LocalUser>();
    this.local.set(conversationId, users);
    const mine = users.get(user.userId);
    if (mine) {
      mine.sockets.add(socketId);
      return this.queued(conversationId, () => this.online(conversationId));
    }
    const entry: LocalUser = { name: user.name, sockets: new Set([socketId]), stored: false };
    users.set(user.userId, entry);
    return this.storeEntry(conversationId, user, entry).catch(() => this.online(conversationId));
  }

  /** Puts the entry in the store and tells the room if the user was not online before. */
  private storeEntry(conversationId: string, user: PresentUser, entry: LocalUser): Promise<PresentUser[]> {
    return this.queued(conversationId, async () => {
      // Gone meanwhile: nothing to enter.
      if (this.local.get(conversationId)?.get(user.userId) !== entry) return this.online(conversationId);
      const { before, after } = await this.store.enter(conversationId, user);
      entry.stored = true;
      if (!before.some((u) => u.userId === user.userId)) this.announce(conversationId, after);
      return after;
    });
  }

  /** The users online in the conversation, on any node; this node's alone if the store is away. */
  async online(conversationId: string): Promise<PresentUser[]> {
    try {
      return await this.store.online(conversationId);
    } catch (err) {
      // Redis is away: what this node knows (its own tabs) is better than failing a join.
      this.deps.logger.warn({ err, conversationId }, "presence could not be read");
      const users = this.local.get(conversationId);
      return users ? [...users.entries()].map(([userId, v]) => ({ userId, name: v.name })) : [];
    }
  }

  private left(conversationId: string, socketId: string): void {
    const users = this.local.get(conversationId);
    if (!users) return;
    for (const [userId, entry] of users) {
      if (!entry.sockets.delete(socketId) || entry.sockets.size > 0) continue;
      users.delete(userId);
      if (users.size === 0) this.local.delete(conversationId);
      void this.queued(conversationId, async () => {
        // Another tab of the user may have joined meanwhile.
        if (this.local.get(conversationId)?.has(userId)) return;
        const { before, after } = await this.store.leave(conversationId, userId);
        const wasOnline = before.some((u) => u.userId === userId);
        if (wasOnline && !after.some((u) => u.userId === userId)) this.announce(conversationId, after);
      });
      return;
    }
  }

  private async renew(): Promise<void> {
    const local = new Map<string, PresentUser[]>();
    for (const [conversationId, users] of this.local) {
      const stored: PresentUser[] = [];
      for (const [userId, entry] of users) {
        if (entry.stored) stored.push({ userId, name: entry.name });
        else void this.storeEntry(conversationId, { userId, name: entry.name }, entry).catch(() => undefined);
      }
      if (stored.length > 0) local.set(conversationId, stored);
    }
    try {
      for (const [conversationId, online] of await this.store.renew(local))
        this.announce(conversationId, online);
    } catch (err) {
      this.deps.logger.warn({ err }, "presence could not be renewed");
    }
  }

  private announce(conversationId: string, online: PresentUser[]): void {
    this.deps.chat.to(conversationRoom(conversationId)).emit("presence:update", { conversationId, online });
  }

  private queued<T>(conversationId: string, work: () => Promise<T>): Promise<T> {
    const previous = this.queues.get(conversationId) ?? Promise.resolve();
    const next = previous.then(work, work);
    const settled = next.catch((err: unknown) => {
      this.deps.logger.warn({ err, conversationId }, "presence could not be updated");
    });
    this.queues.set(conversationId, settled);
    void settled.then(() => {
      if (this.queues.get(conversationId) === settled) this.queues.delete(conversationId);
    });
    return next;
  }
}
