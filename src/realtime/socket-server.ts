import type { Server as HttpServer } from "node:http";
import { createAdapter } from "@socket.io/redis-adapter";
import { Server } from "socket.io";
import type { Config } from "../config.js";
import { corsOptions, originCheck } from "../http/origin-policy.js";
import type { ClientToServerEvents, InterServerEvents, ServerToClientEvents } from "../protocol/index.js";
import type { RedisConnection } from "../redis/redis-connection.js";
import { createConfabShardedAdapter } from "./sharded-adapter.js";
import type { SocketData } from "./socket-data.js";

export type ConfabServer = Server<ClientToServerEvents, ServerToClientEvents, InterServerEvents, SocketData>;

/** How long the classic adapter waits for the other nodes' answers to its own requests. */
const ADAPTER_REQUEST_TIMEOUT_MS = 2000;

/** How the nodes share rooms through Redis (REDIS_ADAPTER). */
function redisAdapter(config: Config, redis: RedisConnection) {
  // Sharded Pub/Sub, a channel per room: a node reads only the rooms it holds a socket in. Its
  // subscription to a room starts at the first local join, unawaited: `OtherNodes.snapshot` waits
  // for it before asking the writer.
  if (redis.mode === "sharded")
    return createConfabShardedAdapter(redis.pub, redis.sub, { channelPrefix: config.redisKeyPrefix });
  // Classic Pub/Sub (Redis 6): every node reads every room.
  return createAdapter(redis.pub, redis.sub, {
    key: config.redisKeyPrefix,
    requestsTimeout: ADAPTER_REQUEST_TIMEOUT_MS,
  });
}

/**
 * The Socket.IO server on the HTTP server, with the same CORS and origin policy as REST. Several
 * nodes share rooms through Redis; one node keeps them in memory. The nodes' questions to each other
 * (a snapshot, a stop, a count) go on Confab's own channels (`NodeBus`), not through the adapter.
 */
export function createSocketServer(
  httpServer: HttpServer,
  config: Config,
  redis: RedisConnection | undefined,
): ConfabServer {
  return new Server(httpServer, {
    cors: corsOptions(config),
    allowRequest: originCheck(config),
    serveClient: false,
    ...(redis ? { adapter: redisAdapter(config, redis) } : {}),
  });
}
