import { createServer, type Server as HttpServer } from "node:http";
import type { AddressInfo } from "node:net";
import { createAdapter } from "@socket.io/redis-adapter";
import type { Express } from "express";
import { Server } from "socket.io";
import { ensureDevSecret } from "./auth/dev-secret.js";
import { TokenSigner } from "./auth/token-signer.js";
import { TokenVerifier } from "./auth/token-verifier.js";
import { UserDirectory } from "./auth/user-directory.js";
import { AgentService } from "./agents/agent-service.js";
import { ChatService } from "./chat/chat-service.js";
import { Summaries } from "./chat/summaries.js";
import { GenerationRegistry } from "./chat/generation-registry.js";
import { MemoryGenerationState } from "./chat/generation-state.js";
import { Recovery } from "./chat/recovery.js";
import { TurnReports } from "./chat/turn-reports.js";
import { RedisGenerationState } from "./chat/redis-generation-state.js";
import { AdminService } from "./admin/admin-service.js";
import { RateLimits } from "./limits/rate-limits.js";
import { Metrics } from "./observability/metrics.js";
import { connectRedis, type RedisConnection } from "./redis/redis-connection.js";
import type { Config } from "./config.js";
import { AppError } from "./errors.js";
import { withTimeLimit } from "./time-limit.js";
import { ConversationPolicy } from "./conversations/conversation-policy.js";
import { ConversationService } from "./conversations/conversation-service.js";
import { openDatabase, type Database } from "./db/database.js";
import { migrateUp, seedUp } from "./db/migrator.js";
import type { ProviderName } from "./protocol/index.js";
import { clientExampleRouter } from "./http/client-example.js";
import { createHttpApp } from "./http/http-app.js";
import { corsOptions, originCheck } from "./http/origin-policy.js";
import { createLogger, type Logger } from "./observability/logger.js";
import type { ChatModel } from "./providers/chat-model.js";
import { DemoChatModel } from "./providers/demo/demo-chat-model.js";
import { ModelRegistry } from "./providers/model-registry.js";
import { vendorModels } from "./providers/vendor-models.js";
import { registerChatNamespace, type ChatNamespace } from "./realtime/chat-namespace.js";
import type { ClientToServerEvents, InterServerEvents, ServerToClientEvents } from "./protocol/index.js";
import { registerAdminNamespace, type AdminNamespace } from "./realtime/admin-namespace.js";
import { userRoom } from "./protocol/index.js";
import { RoomNotifier } from "./realtime/room-notifier.js";
import type { SocketData } from "./realtime/socket-data.js";

export interface ConfabOptions {
  config: Config;
  logger?: Logger;
  /** Replaces the chat model of a provider (tests use fakes that record their calls). */
  chatModels?: Partial<Record<ProviderName, ChatModel>>;
  /** Serve the client example at `/` (default: outside production). */
  serveClientExample?: boolean;
  /** How long running answers may finish on shutdown (default: SHUTDOWN_GRACE_MS). */
  shutdownGraceMs?: number;
}

export interface Confab {
  readonly config: Config;
  readonly logger: Logger;
  readonly db: Database;
  readonly httpServer: HttpServer;
  /** The Express application behind the HTTP server. */
  readonly app: Express;
  readonly io: ConfabServer;
  readonly redis: RedisConnection | undefined;
  readonly chat: ChatService;
  readonly conversations: ConversationService;
  readonly generations: GenerationRegistry;
  readonly metrics: Metrics;
  readonly admin: AdminService;
  /** Signs tokens with the server's key (absent when only a public key is configured). */
  readonly signer: TokenSigner | undefined;
  listen(port?: number, host?: string): Promise<AddressInfo>;
  close(): Promise<void>;
}

/** The composition root: builds every part and hands each its dependencies. */
export async function createConfab(options: ConfabOptions): Promise<Confab> {
  const { config } = options;
  const logger = options.logger ?? createLogger(config.logLevel);

  const db = await openDatabase(config, logger);
  try {
    await migrateUp(db.sequelize, logger);
    if (!config.isProduction) {
      const configured = new Set(
        (["openai", "anthropic", "groq"] as const).filter((p) => config.providers[p].apiKey !== undefined),
      );
      await seedUp(db.sequelize, logger, configured);
    }
  } catch (err) {
    await db.close();
    throw err;
  }

  const secret =
    config.jwt.secret ?? (config.jwt.publicKey ? undefined : await ensureDevSecret(config.dataDir));
  const verifier = new TokenVerifier({ ...config.jwt, secret });
  const signer = secret ? new TokenSigner(secret, "HS256", config.jwt) : undefined;
  const repositories = db.repositories;
  const users = new UserDirectory(repositories.users);

  const modelRegistry = new ModelRegistry({
    demo: new DemoChatModel({ wordDelayMs: config.demoWordDelayMs }),
    ...vendorModels(config),
    ...options.chatModels,
  });

  const redis = config.redisUrl ? await connectRedis(config.redisUrl, logger) : undefined;
  const generations = new GenerationRegistry();
  // The gauges are read at each scrape, once the namespace below exists.
  const metrics = new Metrics({
    connectedSockets: () => chatNamespace.sockets.size,
    activeGenerations: () => generations.size,
  });
  const limits = new RateLimits(config, logger, redis?.client, `${config.redisKeyPrefix}:limit`, (kind) =>
    metrics.rateLimited.inc({ limit: kind }),
  );

  const httpServer = createServer();
  const io: ConfabServer = new Server(httpServer, {
    cors: corsOptions(config),
    allowRequest: originCheck(config),
    serveClient: false,
    // Several nodes share rooms through Redis; one node keeps them in memory.
    ...(redis
      ? {
          adapter: createAdapter(redis.pub, redis.sub, { key: config.redisKeyPrefix, requestsTimeout: 2000 }),
        }
      : {}),
  });
  const chatNamespace: ChatNamespace = io.of("/chat");
  const adminNamespace = io.of("/admin") as unknown as AdminNamespace;
  const notifier = new RoomNotifier(chatNamespace, adminNamespace);
  const state = redis
    ? new RedisGenerationState(redis.client, {
        leaseMs: config.generationLeaseMs,
        prefix: `${config.redisKeyPrefix}:generation:`,
      })
    : new MemoryGenerationState();
  const policy = new ConversationPolicy(repositories.conversations);
  const conversations = new ConversationService({ repositories, policy, notifier });
  const agents = new AgentService({ agents: repositories.agents, modelRegistry });
  const summaries = new Summaries({ repositories, modelRegistry, notifier, logger });
  const reports = new TurnReports({ notifier, metrics });
  const recovery = new Recovery({
    repositories,
    generations,
    notifier,
    state,
    reports,
    logger,
    leaseMs: config.generationLeaseMs,
  });
  const chat = new ChatService({
    repositories,
    policy,
    conversations,
    modelRegistry,
    notifier,
    generations,
    logger,
    summaries,
    state,
    limits,
    streamFlushMs: config.streamFlushMs,
    checkpointMs: config.checkpointMs,
    maxOutputTokens: config.maxOutputTokens,
    recovery,
    reports,
    ...(redis
      ? {
          stopElsewhere: (conversationId: string, settle: boolean) =>
            stopOnOtherNodes(chatNamespace, redis, conversationId, settle),
        }
      : {}),
  });
  registerChatNamespace(chatNamespace, {
    verifier,
    users,
    conversations,
    chat,
    state,
    limits,
    trustProxy: config.trustProxy,
    logger,
  });
  registerAdminNamespace(adminNamespace, { verifier, users, limits, trustProxy: config.trustProxy, logger });

  const admin = new AdminService({
    repositories,
    conversations,
    connectedSockets: async () => {
      const here = { count: chatNamespace.sockets.size, partial: true };
      if (!redis) return { count: chatNamespace.sockets.size, partial: false };
      // While Redis is away the other nodes cannot be asked: this node's count, marked partial.
      if (!redis.ready()) return here;
      try {
        const sockets = await withTimeLimit(chatNamespace.fetchSockets(), OTHER_NODES_TIMEOUT_MS);
        return { count: sockets.length, partial: false };
      } catch (err) {
        // A node that does not answer in time is not counted, rather than failing the whole stats.
        logger.warn({ err }, "could not count the sockets of every node");
        return here;
      }
    },
    stopAnswers: async (ids) => {
      await Promise.all(
        ids.map((id) =>
          chat.stopAnywhere(id, { settle: true }).catch((err: unknown) => {
            // Erasure goes on: its locks are taken in the same order as an answer's, so it waits
            // for a late answer rather than deadlocking with it.
            logger.warn({ err, conversationId: id }, "could not stop an answer before erasure");
          }),
        ),
      );
    },
    disconnectUser: (userId) => {
      chatNamespace.in(userRoom(userId)).disconnectSockets(true);
      adminNamespace.in(userRoom(userId)).disconnectSockets(true);
    },
    forgetUser: (userId) => {
      users.forget(userId);
      // The other nodes too, or a token of the same sub would find no user row there for a while.
      if (redis) chatNamespace.serverSideEmit("user:erased", userId);
    },
  });

  const serveClient = options.serveClientExample ?? !config.isProduction;
  const app = createHttpApp({
    verifier,
    users,
    conversations,
    chat,
    agents,
    summaries,
    limits,
    logger,
    admin,
    metrics,
    corsOrigins: config.corsOrigins,
    isProduction: config.isProduction,
    trustProxy: config.trustProxy,
    devTokenSigner: config.isProduction ? undefined : signer,
    clientExample: serveClient ? await clientExampleRouter() : undefined,
    readiness: async () => {
      const [database, redisUp] = await Promise.all([
        withinTime(repositories.ping(), READINESS_TIMEOUT_MS),
        // Every connection, the adapter's too: a node whose subscriber is down misses the others.
        redis
          ? redis.ping(READINESS_TIMEOUT_MS).then((up) => up && redis.ready())
          : Promise.resolve(undefined),
      ]);
      const checks: Record<string, string> = { database: database ? "ok" : "unavailable" };
      if (redisUp !== undefined) checks.redis = redisUp ? "ok" : "unavailable";
      return { ready: database && redisUp !== false, checks };
    },
  });
  httpServer.on("request", app);

  const sweeper = setInterval(() => {
    recovery.sweep().catch((err: unknown) => logger.warn({ err }, "recovery sweep failed"));
  }, config.recoveryIntervalMs);
  sweeper.unref();
  await recovery.sweep().catch((err: unknown) => logger.warn({ err }, "recovery sweep failed"));

  // The daily purge: every node looks hourly; the first to find it due runs it (see purgeIfDue).
  const purgeCheck = () =>
    admin
      .purgeIfDue(config.purgeAfterDays, DAY_MS)
      .then((purged) => {
        if (purged !== null) logger.info({ purged, olderThanDays: config.purgeAfterDays }, "daily purge");
      })
      .catch((err: unknown) => logger.warn({ err }, "daily purge failed"));
  const purgeTimer = setInterval(() => void purgeCheck(), HOUR_MS);
  purgeTimer.unref();
  void purgeCheck();

  let closing: Promise<void> | undefined;
  return {
    config,
    logger,
    db,
    httpServer,
    app,
    io,
    redis,
    chat,
    conversations,
    generations,
    metrics,
    admin,
    signer,
    listen(port = config.port, host = config.host) {
      return new Promise((resolve, reject) => {
        httpServer.once("error", reject);
        httpServer.listen(port, host, () => {
          httpServer.off("error", reject);
          resolve(httpServer.address() as AddressInfo);
        });
      });
    },
    close() {
      closing ??= (async () => {
        clearInterval(sweeper);
        clearInterval(purgeTimer);
        httpServer.close(); // stop accepting; open sockets are closed below
        await chat.shutdown(options.shutdownGraceMs ?? config.shutdownGraceMs);
        await io.close().catch(() => undefined);
        httpServer.closeAllConnections();
        await redis?.close();
        await db.close();
      })();
      return closing;
    },
  };
}

export type ConfabServer = Server<ClientToServerEvents, ServerToClientEvents, InterServerEvents, SocketData>;

/**
 * Asks every other node to stop the answer it writes in the conversation; true if one did. With
 * `settle`, each node answers once that answer is stored. `unavailable` when Redis is away or a node
 * does not answer in time: whether the answer stopped is then unknown, and the client may ask again.
 */
async function stopOnOtherNodes(
  chat: ChatNamespace,
  redis: RedisConnection,
  conversationId: string,
  settle: boolean,
): Promise<boolean> {
  const unreachable = (cause?: unknown) =>
    new AppError("unavailable", "the server writing this answer cannot be reached: try again in a moment", {
      cause,
    });
  // The adapter would queue the request until Redis is back; a client must not wait that long.
  if (!redis.ready()) throw unreachable();
  try {
    const answers = await withTimeLimit(
      chat.serverSideEmitWithAck("answer:stop", { conversationId, settle }),
      OTHER_NODES_TIMEOUT_MS,
    );
    return answers.some(Boolean);
  } catch (err) {
    // A node that did not answer in time does not undo the one that stopped the answer.
    const partial = (err as { responses?: unknown[] }).responses;
    if (partial?.some(Boolean)) return true;
    throw unreachable(err);
  }
}

/** How long a request waits for the other nodes (the adapter's own limit is 2 s). */
const OTHER_NODES_TIMEOUT_MS = 2500;
const READINESS_TIMEOUT_MS = 1000;
const HOUR_MS = 3_600_000;
const DAY_MS = 24 * HOUR_MS;

/** Whether the work settles successfully within the time; never throws. */
async function withinTime(work: Promise<unknown>, ms: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(false), ms)));
  try {
    return await Promise.race([work.then(() => true), timeout]);
  } catch {
    return false;
  } finally {
    clearTimeout(timer);
  }
}
