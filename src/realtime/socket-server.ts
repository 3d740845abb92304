import type { Server as HttpServer } from "node:http";
import { createAdapter } from "@socket.io/redis-adapter";
import { Server } from "socket.io";
import type { Config } from "../config.js";
import { corsOptions, originCheck } from "../http/origin-policy.js";
import type { ClientToServerEvents, InterServerEvents, ServerToClientEvents } from "../protocol/index.js";
import type { RedisConnection } from "../redis/redis-connection.js";
import type { SocketData } from "./socket-data.js";

export type ConfabServer = Server<ClientToServerEvents, ServerToClientEvents, InterServerEvents, SocketData>;

/** How long the adapter waits for the other nodes' answers to a request. */
export const ADAPTER_REQUEST_TIMEOUT_MS = 2000;

/**
 * The Socket.IO server on the HTTP server, with the same CORS and origin policy as REST. Several
 * nodes share rooms through Redis; one node keeps them in memory.
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
    ...(redis
      ? {
          adapter: createAdapter(redis.pub, redis.sub, {
            key: config.redisKeyPrefix,
            requestsTimeout: ADAPTER_REQUEST_TIMEOUT_MS,
          }),
        }
      : {}),
  });
}
