import type { Redis } from "ioredis";
import type { AssistantDeltaEvent, GenerationSnapshot } from "../protocol/index.js";
import type { GenerationState } from "./generation-state.js";

/**
 * Appends only to the state of the same answer: had the keys expired (a writer silent for longer than
 * the TTL), a new text made of the later deltas alone would be a wrong snapshot; none is better.
 */
const APPEND_SCRIPT = `if redis.call("HGET", KEYS[1], "messageId") ~= ARGV[1] then
  return 0
end
redis.call("APPEND", KEYS[2], ARGV[3])
redis.call("HSET", KEYS[1], "seq", ARGV[2])
redis.call("PEXPIRE", KEYS[1], ARGV[4])
redis.call("PEXPIRE", KEYS[2], ARGV[4])
return 1`;

const END_SCRIPT = `if redis.call("GET", KEYS[3]) == ARGV[1] then
  redis.call("DEL", KEYS[3])
end
if redis.call("HGET", KEYS[1], "messageId") == ARGV[1] then
  return redis.call("DEL", KEYS[1], KEYS[2])
end
return 0`;

export interface RedisGenerationStateOptions {
  /** How long the state of an answer outlives its writer's last renewal (default 60 s). */
  ttlMs?: number;
  /** How long a writer's lease lasts without renewal: GENERATION_LEASE_MS (default 10 s). */
  leaseMs?: number;
  prefix?: string;
}

/**
 * Many nodes: the state lives in Redis, as a hash `{messageId, seq}` and a string the deltas are
 * appended to (so a delta costs its own length, not the whole text). Keys expire when the writer
 * stops renewing them, so a dead node leaves nothing behind for long. A third key is the writer's
 * lease: the message id, expiring `leaseMs` after the last renewal.
 */
export class RedisGenerationState implements GenerationState {
  private readonly ttlMs: number;
  private readonly leaseMs: number;
  private readonly prefix: string;

  constructor(
    private readonly redis: Redis,
    options: RedisGenerationStateOptions = {},
  ) {
    this.ttlMs = options.ttlMs ?? 60_000;
    this.leaseMs = options.leaseMs ?? 10_000;
    this.prefix = options.prefix ?? "confab:generation:";
  }

  private keys(conversationId: string) {
    const base = `${this.prefix}${conversationId}`;
    return { meta: `${base}:meta`, text: `${base}:text`, lease: `${base}:lease` };
  }

  async begin(conversationId: string, messageId: string): Promise<void> {
    const { meta, text, lease } = this.keys(conversationId);
    await this.redis
      .multi()
      .del(text)
      .hset(meta, { messageId, seq: 0 })
      .set(text, "", "PX", this.ttlMs)
      .pexpire(meta, this.ttlMs)
      .set(lease, messageId, "PX", this.leaseMs)
      .exec();
  }

  async append(event: AssistantDeltaEvent): Promise<void> {
    const { meta, text } = this.keys(event.conversationId);
    await this.redis.eval(APPEND_SCRIPT, 2, meta, text, event.messageId, event.seq, event.delta, this.ttlMs);
  }

  async snapshot(conversationId: string): Promise<GenerationSnapshot | null> {
    const { meta, text } = this.keys(conversationId);
    const results = await this.redis.multi().hgetall(meta).get(text).exec();
    const fields = results?.[0]?.[1] as Record<string, string> | undefined;
    const content = results?.[1]?.[1] as string | null | undefined;
    if (!fields?.messageId || content === null || content === undefined) return null;
    return { messageId: fields.messageId, seq: Number(fields.seq ?? 0), content };
  }

  async touch(conversationId: string, messageId: string): Promise<void> {
    const { meta, text, lease } = this.keys(conversationId);
    await this.redis
      .multi()
      .pexpire(meta, this.ttlMs)
      .pexpire(text, this.ttlMs)
      .set(lease, messageId, "PX", this.leaseMs)
      .exec();
  }

  async liveAnswers(answers: { conversationId: string; messageId: string }[]): Promise<Set<string>> {
    if (answers.length === 0) return new Set();
    const holders = await this.redis.mget(answers.map((a) => this.keys(a.conversationId).lease));
    return new Set(answers.filter((a, i) => holders[i] === a.messageId).map((a) => a.messageId));
  }

  async end(conversationId: string, messageId: string): Promise<void> {
    const { meta, text, lease } = this.keys(conversationId);
    // Compare and delete in one step: the next answer of the conversation may already have begun.
    await this.redis.eval(END_SCRIPT, 3, meta, text, lease, messageId);
  }
}
