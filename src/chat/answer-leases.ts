import type { Redis } from "ioredis";

export interface AnswerRef {
  conversationId: string;
  messageId: string;
}

/**
 * The leases of the answers this node writes, where the other nodes' recovery can read them: a node
 * renews its answers' leases about once a second, from the start until each is stored, whether or not
 * the database answers; an answer whose lease has run out belongs to a dead node.
 */
export interface AnswerLeases {
  /** Renews these answers' leases, all in one round trip. */
  renew(answers: AnswerRef[]): Promise<void>;
  /** Of these answers, the ids of those whose writer renewed its lease lately. Throws when it cannot tell. */
  live(answers: AnswerRef[]): Promise<Set<string>>;
  /** The answer is stored: its lease goes at once. */
  release(answer: AnswerRef): Promise<void>;
}

/** One node: the node itself knows its answers, and no other node asks. */
export class LocalLeases implements AnswerLeases {
  renew(): Promise<void> {
    return Promise.resolve();
  }

  live(): Promise<Set<string>> {
    return Promise.resolve(new Set());
  }

  release(): Promise<void> {
    return Promise.resolve();
  }
}

/** Compares and deletes: the conversation's next answer may already hold a lease of its own. */
const RELEASE_SCRIPT = `if redis.call("GET", KEYS[1]) == ARGV[1] then return redis.call("DEL", KEYS[1]) end return 0`;

/**
 * Many nodes: a key per conversation holding the id of the answer being written, expiring `leaseMs`
 * after its last renewal. Renewals of all a node's answers go in one pipeline a second; nothing is
 * written to Redis per delta.
 */
export class RedisLeases implements AnswerLeases {
  constructor(
    private readonly redis: Redis,
    private readonly leaseMs: number,
    private readonly prefix: string,
  ) {}

  private key(conversationId: string): string {
    return `${this.prefix}${conversationId}:lease`;
  }

  async renew(answers: AnswerRef[]): Promise<void> {
    if (answers.length === 0) return;
    const pipeline = this.redis.pipeline();
    for (const a of answers) pipeline.set(this.key(a.conversationId), a.messageId, "PX", this.leaseMs);
    const results = (await pipeline.exec()) ?? [];
    const failed = results.find(([err]) => err);
    if (failed?.[0]) throw failed[0];
  }

  async live(answers: AnswerRef[]): Promise<Set<string>> {
    if (answers.length === 0) return new Set();
    const holders = await this.redis.mget(answers.map((a) => this.key(a.conversationId)));
    return new Set(answers.filter((a, i) => holders[i] === a.messageId).map((a) => a.messageId));
  }

  async release(answer: AnswerRef): Promise<void> {
    await this.redis.eval(RELEASE_SCRIPT, 1, this.key(answer.conversationId), answer.messageId);
  }
}
