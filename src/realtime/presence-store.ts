import type { Redis } from "ioredis";
import type { PresentUser } from "../protocol/index.js";

/**
 * Who is online in which conversation, across nodes. Each node records the users it has tabs of,
 * with an expiry it renews while it lives: the tabs of a node that died drop out once their entries
 * expire, without anyone having to notice the death. Never PostgreSQL: presence changes with every
 * tab opened or closed.
 */
export interface PresenceStore {
  /** This node has a tab of `user` in the conversation: the online users before and after. */
  enter(conversationId: string, user: PresentUser): Promise<{ before: PresentUser[]; after: PresentUser[] }>;
  /** This node has no more tabs of `userId` there. */
  leave(conversationId: string, userId: string): Promise<{ before: PresentUser[]; after: PresentUser[] }>;
  online(conversationId: string): Promise<PresentUser[]>;
  /**
   * Renews this node's entries (the users it still has tabs of, per conversation) and drops every
   * expired one; returns the conversations whose online users changed, with the users now online.
   */
  renew(local: Map<string, PresentUser[]>): Promise<Map<string, PresentUser[]>>;
}

/** Distinct users of the entries, in the order first seen. */
function usersOf(entries: { userId: string; name: string }[]): PresentUser[] {
  const seen = new Map<string, PresentUser>();
  for (const e of entries) if (!seen.has(e.userId)) seen.set(e.userId, { userId: e.userId, name: e.name });
  return [...seen.values()];
}

const member = (nodeId: string, user: PresentUser) => JSON.stringify([user.userId, nodeId, user.name]);

function parseMember(raw: string): { userId: string; nodeId: string; name: string } | null {
  try {
    const [userId, nodeId, name] = JSON.parse(raw) as unknown[];
    return typeof userId === "string" && typeof nodeId === "string" && typeof name === "string"
      ? { userId, nodeId, name }
      : null;
  } catch {
    return null;
  }
}

export interface RedisPresenceStoreDeps {
  redis: Redis;
  /** Each conversation's set is at `${prefix}${conversationId}`. */
  prefix: string;
  /** This node, in its entries: it renews and removes only its own. */
  nodeId: string;
  /** How long an entry lives without a renewal. */
  ttlMs: number;
}

/**
 * Presence in Redis: one sorted set per conversation whose members are `[userId, nodeId, name]` and
 * whose scores are expiry times. Entering is one round trip of three commands (read, add, expire the
 * key), leaving two round trips of three (read, remove, read); a node renews all its entries every `renewMs` in one
 * pipeline of two commands per conversation it has tabs in.
 */
export class RedisPresenceStore implements PresenceStore {
  constructor(private readonly deps: RedisPresenceStoreDeps) {}

  private get redis(): Redis {
    return this.deps.redis;
  }

  private key(conversationId: string): string {
    return `${this.deps.prefix}${conversationId}`;
  }

  private users(raw: string[]): PresentUser[] {
    return usersOf(raw.map(parseMember).filter((e) => e !== null));
  }

  async enter(conversationId: string, user: PresentUser) {
    const key = this.key(conversationId);
    const now = Date.now();
    const results = await this.redis
      .multi()
      .zrangebyscore(key, now, "+inf")
      .zadd(key, now + this.deps.ttlMs, member(this.deps.nodeId, user))
      .pexpire(key, this.deps.ttlMs * 2)
      .exec();
    const before = this.users((results?.[0]?.[1] as string[] | undefined) ?? []);
    const after = before.some((u) => u.userId === user.userId) ? before : [...before, user];
    return { before, after };
  }

  /** One read (this node's entries of the user), then one round trip of two commands. */
  async leave(conversationId: string, userId: string) {
    const key = this.key(conversationId);
    const now = Date.now();
    const entries = (await this.redis.zrangebyscore(key, now, "+inf")).map(parseMember);
    const mine = entries.filter((e) => e !== null && e.userId === userId && e.nodeId === this.deps.nodeId);
    const results = await this.redis
      .multi()
      .zrem(key, ...(mine.length ? mine.map((e) => member(this.deps.nodeId, e!)) : ["-"]))
      .zrangebyscore(key, now, "+inf")
      .exec();
    const before = usersOf(entries.filter((e) => e !== null));
    const after = this.users((results?.[1]?.[1] as string[] | undefined) ?? []);
    return { before, after };
  }

  async online(conversationId: string): Promise<PresentUser[]> {
    return this.users(await this.redis.zrangebyscore(this.key(conversationId), Date.now(), "+inf"));
  }

  async renew(local: Map<string, PresentUser[]>): Promise<Map<string, PresentUser[]>> {
    const now = Date.now();
    if (local.size === 0) return new Map();
    const pipeline = this.redis.pipeline();
    for (const [conversationId, users] of local) {
      const key = this.key(conversationId);
      for (const user of users) pipeline.zadd(key, now + this.deps.ttlMs, member(this.deps.nodeId, user));
      pipeline.pexpire(key, this.deps.ttlMs * 2);
      // The entries of nodes that stopped renewing them.
      pipeline.zremrangebyscore(key, "-inf", now);
    }
    const results = (await pipeline.exec()) ?? [];
    const changed: string[] = [];
    let i = 0;
    for (const [conversationId, users] of local) {
      i += users.length + 1;
      const removed = results[i]?.[1];
      i += 1;
      if (typeof removed === "number" && removed > 0) changed.push(conversationId);
    }
    const online = new Map<string, PresentUser[]>();
    for (const conversationId of changed) online.set(conversationId, await this.online(conversationId));
    return online;
  }
}

/** Presence on a lone node (no Redis): the same rules, in memory. */
export class MemoryPresenceStore implements PresenceStore {
  private readonly entries = new Map<string, Map<string, PresentUser>>();

  async enter(conversationId: string, user: PresentUser) {
    const before = await this.online(conversationId);
    const users = this.entries.get(conversationId) ?? new Map<string, PresentUser>();
    users.set(user.userId, user);
    this.entries.set(conversationId, users);
    return { before, after: [...users.values()] };
  }

  async leave(conversationId: string, userId: string) {
    const before = await this.online(conversationId);
    const users = this.entries.get(conversationId);
    users?.delete(userId);
    if (users?.size === 0) this.entries.delete(conversationId);
    return { before, after: [...(users?.values() ?? [])] };
  }

  online(conversationId: string): Promise<PresentUser[]> {
    return Promise.resolve([...(this.entries.get(conversationId)?.values() ?? [])]);
  }

  renew(): Promise<Map<string, PresentUser[]>> {
    return Promise.resolve(new Map<string, PresentUser[]>());
  }
}
