import type { RedisConnection } from "../redis/redis-connection.js";
import { withTimeLimit } from "../time-limit.js";

/** How long each check of `/readyz` may take. */
const READINESS_TIMEOUT_MS = 1000;

export interface Readiness {
  ready: boolean;
  checks: Record<string, "ok" | "unavailable">;
}

/**
 * `/readyz`: the database and Redis each answer within a second. Redis counts as up only with every
 * connection, the adapter's too: a node whose subscriber is down misses the other nodes.
 */
export function readinessCheck(pingDatabase: () => Promise<void>, redis: RedisConnection | undefined) {
  return async (): Promise<Readiness> => {
    const [database, redisUp] = await Promise.all([
      withTimeLimit(pingDatabase(), READINESS_TIMEOUT_MS).then(
        () => true,
        () => false,
      ),
      redis ? redis.ping(READINESS_TIMEOUT_MS).then((up) => up && redis.ready()) : Promise.resolve(undefined),
    ]);
    const checks: Readiness["checks"] = { database: database ? "ok" : "unavailable" };
    if (redisUp !== undefined) checks.redis = redisUp ? "ok" : "unavailable";
    return { ready: database && redisUp !== false, checks };
  };
}
