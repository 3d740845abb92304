import { Redis } from "ioredis";
import type { Logger } from "../observability/logger.js";

/**
 * The Redis connections of one node: `client` for commands (generation state, rate limits), and the
 * publish/subscribe pair the Socket.IO adapter needs (a subscribed connection can do nothing else).
 */
export interface RedisConnection {
  client: Redis;
  pub: Redis;
  sub: Redis;
  ping(timeoutMs: number): Promise<boolean>;
  close(): Promise<void>;
}

export async function connectRedis(url: string, logger: Logger): Promise<RedisConnection> {
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
  return {
    client,
    pub,
    sub,
    async ping(timeoutMs) {
      let timer: NodeJS.Timeout | undefined;
      try {
        const answer = await Promise.race([
          client.ping(),
          new Promise<never>(
            (_, reject) => (timer = setTimeout(() => reject(new Error("timeout")), timeoutMs)),
          ),
        ]);
        return answer === "PONG";
      } catch {
        return false;
      } finally {
        clearTimeout(timer);
      }
    },
    async close() {
      await Promise.allSettled([client.quit(), pub.quit(), sub.quit()]);
    },
  };
}
