import { Redis } from "ioredis";
import { ConfigError } from "../config.js";
import type { Logger } from "../observability/logger.js";
import { withTimeLimit } from "../time-limit.js";

/**
 * The Redis connections of one node: `client` for commands (generation state, rate limits), and the
 * publish/subscribe pair the Socket.IO adapter needs (a subscribed connection can do nothing else).
 */
export interface RedisConnection {
  /** How rooms and Confab's own channels are published: sharded Pub/Sub (Redis 7+) or classic. */
  mode: RedisMode;
  client: Redis;
  pub: Redis;
  sub: Redis;
  ping(timeoutMs: number): Promise<boolean>;
  /** Whether every connection is up: while one is not, cross-node requests would only queue. */
  ready(): boolean;
  close(): Promise<void>;
}

export type RedisMode = "sharded" | "classic";

/** The major version of the Redis server, from `INFO server`. */
async function majorVersion(client: Redis): Promise<number> {
  const info = await client.info("server");
  return Number(/redis_version:(\d+)/.exec(info)?.[1] ?? 0);
}

export async function connectRedis(url: string, mode: RedisMode, logger: Logger): Promise<RedisConnection> {
  // Commands fail fast while Redis is away (rate limits fall back to memory) instead of queueing.
  const client = new Redis(url, { lazyConnect: true, enableOfflineQueue: false, maxRetriesPerRequest: 1 });
  const pub = new Redis(url, { lazyConnect: true });
  const sub = new Redis(url, { lazyConnect: true });
  for (const [name, connection] of [
    ["client", client],
    ["pub", pub],
    ["sub", sub],
  ] as const) {
    connection.on("error", (err: Error) =>
      logger.warn({ err: { message: err.message }, connection: name }, "redis"),
    );
  }
  await Promise.all([client.connect(), pub.connect(), sub.connect()]);
  const major = mode === "sharded" ? await majorVersion(client) : 7;
  if (major < 7) {
    await Promise.allSettled([client, pub, sub].map((c) => c.quit()));
    throw new ConfigError([
      `REDIS_ADAPTER: sharded Pub/Sub needs Redis 7 or later (this one is ${major}); set REDIS_ADAPTER=classic on every node`,
    ]);
  }
  return {
    mode,
    client,
    pub,
    sub,
    async ping(timeoutMs) {
      try {
        return (await withTimeLimit(client.ping(), timeoutMs)) === "PONG";
      } catch {
        return false;
      }
    },
    ready() {
      return client.status === "ready" && pub.status === "ready" && sub.status === "ready";
    },
    async close() {
      // QUIT waits for Redis to answer; one that is away would hold the shutdown forever.
      await Promise.allSettled(
        [client, pub, sub].map((c) => withTimeLimit(c.quit(), 1000).catch(() => c.disconnect())),
      );
    },
  };
}
