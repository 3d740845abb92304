import type { Redis } from "ioredis";
import type { RedisConnection } from "./redis-connection.js";

/**
 * Confab's own Pub/Sub channels on the adapter's pair of connections, in the adapter's mode:
 * sharded (`SPUBLISH`/`SSUBSCRIBE`, Redis 7 or later) or classic (`PUBLISH`/`SUBSCRIBE`). Sharing the
 * subscribing connection keeps one order for what a node subscribes to: once `settled()` resolves,
 * every subscription asked for before it (the adapter's rooms included) is in effect.
 */
export class RedisChannels {
  private readonly handlers = new Map<string, (payload: Buffer) => void>();

  constructor(private readonly redis: Pick<RedisConnection, "pub" | "sub" | "mode">) {
    const sub: Redis = redis.sub;
    // The adapter listens to the same connection for its own channels; each side takes only its own.
    const dispatch = (channel: Buffer, payload: Buffer) => this.handlers.get(channel.toString())?.(payload);
    sub.on(redis.mode === "sharded" ? "smessageBuffer" : "messageBuffer", dispatch);
  }

  /** Publishes; resolves with how many subscribers Redis delivered it to (this node's included). */
  async publish(channel: string, payload: string): Promise<number> {
    const delivered =
      this.redis.mode === "sharded"
        ? await this.redis.pub.spublish(channel, payload)
        : await this.redis.pub.publish(channel, payload);
    return Number(delivered);
  }

  /** Subscribes, resolving once Redis has confirmed it (ioredis subscribes again after a reconnect). */
  async subscribe(channel: string, handler: (payload: Buffer) => void): Promise<void> {
    this.handlers.set(channel, handler);
    if (this.redis.mode === "sharded") await this.redis.sub.ssubscribe(channel);
    else await this.redis.sub.subscribe(channel);
  }

  /**
   * Resolves once Redis has answered a PING on the subscribing connection: the subscriptions asked
   * for before it on that connection (a room's, at its first join here) are then in effect.
   */
  async settled(): Promise<void> {
    await this.redis.sub.ping();
  }
}
