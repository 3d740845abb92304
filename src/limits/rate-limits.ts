import type { Redis } from "ioredis";
import {
  RateLimiterMemory,
  RateLimiterRedis,
  RateLimiterRes,
  type RateLimiterAbstract,
} from "rate-limiter-flexible";
import type { Config } from "../config.js";
import { AppError } from "../errors.js";
import type { Logger } from "../observability/logger.js";

export type LimitKind = "message" | "connection" | "request" | "upload" | "socketEvent" | "refusedSend";

export interface RateLimitsDeps {
  /** The sizes of the limits (RATE_LIMIT_*). */
  rateLimits: Config["rateLimits"];
  logger: Logger;
  /** Shared by every node; without it each node counts alone, in memory. */
  redis?: Redis | undefined;
  /** Where the counts live in Redis ("confab:limit" by default). */
  keyPrefix?: string;
  /** A call was refused (the metrics count refusals by limit). */
  onRefusal?: (kind: LimitKind) => void;
}

/**
 * The three limits of PROTOCOL.md section 1, per minute: messages per user (shared by sockets and
 * REST), handshakes per client IP, REST requests per user. With Redis they hold across all nodes;
 * while Redis is unreachable each node falls back to an in-memory limiter of the same size. A fourth,
 * per second, counts the events of one socket; a socket lives on one node, so it is kept in memory.
 */
export class RateLimits {
  private readonly limiters: Record<LimitKind, RateLimiterAbstract>;

  constructor(private readonly deps: RateLimitsDeps) {
    const { rateLimits, redis } = deps;
    const keyPrefix = deps.keyPrefix ?? "confab:limit";
    const make = (kind: LimitKind, points: number): RateLimiterAbstract => {
      const options = { points, duration: 60, keyPrefix: `${keyPrefix}:${kind}` };
      if (!redis) return new RateLimiterMemory(options);
      return new RateLimiterRedis({
        ...options,
        storeClient: redis,
        insuranceLimiter: new RateLimiterMemory(options),
      });
    };
    this.limiters = {
      message: make("message", rateLimits.messagesPerMinute),
      connection: make("connection", rateLimits.connectionsPerMinute),
      request: make("request", rateLimits.requestsPerMinute),
      upload: make("upload", rateLimits.uploadsPerMinute),
      // Sends that started nothing give their message back, at most twice the message limit a minute.
      refusedSend: make("refusedSend", 2 * rateLimits.messagesPerMinute),
      socketEvent: new RateLimiterMemory({
        points: rateLimits.socketEventsPerSecond,
        duration: 1,
        keyPrefix: `${keyPrefix}:socket-event`,
      }),
    };
  }

  /** Takes one point for `key`, or throws `rate_limited` with the time until the next one is free. */
  async consume(kind: LimitKind, key: string): Promise<void> {
    try {
      await this.limiters[kind].consume(key);
    } catch (err) {
      if (err instanceof RateLimiterRes) {
        this.deps.onRefusal?.(kind);
        throw new AppError("rate_limited", `too many ${NAMES[kind]}: try again later`, {
          retryAfterMs: Math.max(1, Math.ceil(err.msBeforeNext)),
        });
      }
      // A limiter that cannot count must not take the service down with it.
      this.deps.logger.warn({ err, kind }, "rate limiter failed; letting the call through");
    }
  }

  /** Takes one point if one is free; false (never an error) when none is. */
  async tryConsume(kind: LimitKind, key: string): Promise<boolean> {
    try {
      await this.limiters[kind].consume(key);
      return true;
    } catch (err) {
      if (err instanceof RateLimiterRes) return false;
      this.deps.logger.warn({ err, kind }, "rate limiter failed; letting the call through");
      return true;
    }
  }

  /** Gives back the point a call took when it turned out to start nothing. */
  async refund(kind: LimitKind, key: string): Promise<void> {
    try {
      await this.limiters[kind].reward(key, 1);
    } catch (err) {
      this.deps.logger.warn({ err, kind }, "rate limiter failed to give a point back");
    }
  }
}

const NAMES: Record<LimitKind, string> = {
  message: "messages",
  connection: "connections",
  request: "requests",
  upload: "uploads",
  socketEvent: "events on this connection",
  refusedSend: "refused sends",
};
