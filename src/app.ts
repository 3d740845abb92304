import { randomUUID } from "node:crypto";
import { createServer, type Server as HttpServer } from "node:http";
import type { AddressInfo } from "node:net";
import type { Express } from "express";
import { AdminService } from "./admin/admin-service.js";
import { AgentService } from "./agents/agent-service.js";
import { TemplateService } from "./templates/template-service.js";
import { ensureDevSecret } from "./auth/dev-secret.js";
import { TokenSigner } from "./auth/token-signer.js";
import { TokenVerifier } from "./auth/token-verifier.js";
import { UserDirectory } from "./auth/user-directory.js";
import { startBackgroundJobs } from "./background-jobs.js";
import { ChatService } from "./chat/chat-service.js";
import { LocalLeases, RedisLeases } from "./chat/answer-leases.js";
import { AnswerWriter } from "./chat/answer-writer.js";
import { BackgroundGate } from "./chat/background-gate.js";
import { LocalAnswers } from "./chat/local-answers.js";
import { Recovery } from "./chat/recovery.js";
import { BranchCheckout } from "./chat/branch-checkout.js";
import { TurnStarter } from "./chat/turn-starter.js";
import { Summaries } from "./chat/summaries.js";
import { TurnReports } from "./chat/turn-reports.js";
import type { Config } from "./config.js";
import { ConversationPolicy } from "./conversations/conversation-policy.js";
import { ConversationService } from "./conversations/conversation-service.js";
import { openMigratedDatabase, type Database } from "./db/database.js";
import { browserModulesRouter } from "./http/browser-modules.js";
import { clientExampleRouter } from "./http/client-example.js";
import { corsOptions } from "./http/origin-policy.js";
import { createHttpApp } from "./http/http-app.js";
import { readinessCheck } from "./http/readiness.js";
import { RateLimits } from "./limits/rate-limits.js";
import { createLogger, type Logger } from "./observability/logger.js";
import { Metrics } from "./observability/metrics.js";
import type { ProviderName } from "./protocol/index.js";
import type { ChatModel } from "./providers/chat-model.js";
import { DemoChatModel } from "./providers/demo/demo-chat-model.js";
import { ModelRegistry } from "./providers/model-registry.js";
import { vendorModels } from "./providers/vendor-models.js";
import { registerAdminNamespace, type AdminNamespace } from "./realtime/admin-namespace.js";
import { registerChatNamespace, type ChatNamespace } from "./realtime/chat-namespace.js";
import { OtherNodes } from "./realtime/other-nodes.js";
import { Presence } from "./realtime/presence.js";
import { MemberService } from "./members/member-service.js";
import { MemoryPresenceStore, RedisPresenceStore } from "./realtime/presence-store.js";
import { Typing } from "./realtime/typing.js";
import { RoomNotifier } from "./realtime/room-notifier.js";
import { createSocketServer, type ConfabServer } from "./realtime/socket-server.js";
import { connectRedis, type RedisConnection } from "./redis/redis-connection.js";

export type { ConfabServer };

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
  /** The answers this node is writing or still has to store. */
  readonly answers: LocalAnswers;
  readonly metrics: Metrics;
  readonly admin: AdminService;
  /** Signs tokens with the server's key (absent when only a public key is configured). */
  readonly signer: TokenSigner | undefined;
  listen(port?: number, host?: string): Promise<AddressInfo>;
  close(): Promise<void>;
}

/** The composition root: builds every part and hands each its dependencies; no logic of its own. */
export async function createConfab(options: ConfabOptions): Promise<Confab> {
  const { config } = options;
  const logger = options.logger ?? createLogger(config.logLevel);
  const db = await openMigratedDatabase(config, logger);
  const repositories = db.repositories;

  const secret =
    config.jwt.secret ?? (config.jwt.publicKey ? undefined : await ensureDevSecret(config.dataDir));
  const verifier = new TokenVerifier({ ...config.jwt, secret });
  const signer = secret ? new TokenSigner(secret, "HS256", config.jwt) : undefined;
  const users = new UserDirectory({ users: repositories.users });
  const modelRegistry = new ModelRegistry({
    demo: new DemoChatModel({ wordDelayMs: config.demoWordDelayMs }),
    ...vendorModels(config),
    ...options.chatModels,
  });

  const redis = config.redisUrl ? await connectRedis(config.redisUrl, logger) : undefined;
  const httpServer = createServer();
  const io = createSocketServer(httpServer, config, redis);
  const chatNamespace: ChatNamespace = io.of("/chat");
  const adminNamespace = io.of("/admin") as unknown as AdminNamespace;
  const otherNodes = new OtherNodes({ chat: chatNamespace, admin: adminNamespace, redis, logger });
  const leases = redis
    ? new RedisLeases(redis.client, config.generationLeaseMs, `${config.redisKeyPrefix}:answer:`)
    : new LocalLeases();
  const answers = new LocalAnswers({
    messages: repositories.messages,
    leases,
    intervalMs: config.checkpointMs,
    logger,
  });
  const metrics = new Metrics({
    connectedSockets: () => chatNamespace.sockets.size,
    activeGenerations: () => answers.size,
  });
  const limits = new RateLimits({
    rateLimits: config.rateLimits,
    logger,
    redis: redis?.client,
    keyPrefix: `${config.redisKeyPrefix}:limit`,
    onRefusal: (kind) => metrics.rateLimited.inc({ limit: kind }),
  });
  const notifier = new RoomNotifier({
    chat: chatNamespace,
    admin: adminNamespace,
    audience: (conversationId) => repositories.members.list(conversationId),
    otherNodes,
    logger,
  });

  const presence = new Presence({
    chat: chatNamespace,
    store: redis
      ? new RedisPresenceStore({
          redis: redis.client,
          prefix: `${config.redisKeyPrefix}:presence:`,
          nodeId: randomUUID(),
          ttlMs: config.presenceTtlMs,
        })
      : new MemoryPresenceStore(),
    logger,
    renewMs: Math.floor(config.presenceTtlMs / 3),
  });
  presence.start();
  const policy = new ConversationPolicy({ conversations: repositories.conversations });
  const conversations = new ConversationService({ repositories, policy, notifier });
  const members = new MemberService({
    repositories,
    policy,
    notifier,
    online: async (conversationId) => new Set((await presence.online(conversationId)).map((u) => u.userId)),
  });
  const agents = new AgentService({ agents: repositories.agents, modelRegistry });
  const templates = new TemplateService({ templates: repositories.templates, agents: repositories.agents });
  const gate = new BackgroundGate(() => repositories.busy());
  const summaries = new Summaries({ repositories, modelRegistry, notifier, logger, gate });
  const reports = new TurnReports({ notifier, metrics });
  const recovery = new Recovery({
    repositories,
    answers,
    notifier,
    leases,
    reports,
    logger,
    leaseMs: config.generationLeaseMs,
  });
  const chat = new ChatService({
    repositories,
    policy,
    starter: new TurnStarter({ repositories, policy, recovery, limits, leaseMs: config.generationLeaseMs }),
    checkout: new BranchCheckout({ repositories, policy, recovery, leaseMs: config.generationLeaseMs }),
    writer: new AnswerWriter({
      repositories,
      conversations,
      modelRegistry,
      notifier,
      answers,
      leases,
      logger,
      reports,
      summaries,
      streamFlushMs: config.streamFlushMs,
      maxOutputTokens: config.maxOutputTokens,
    }),
    answers,
    recovery,
    reports,
    notifier,
    logger,
    ...(redis ? { otherNodes } : {}),
  });
  const admin = new AdminService({
    repositories,
    conversations,
    members,
    notifier,
    connectedSockets: () => otherNodes.countSockets(),
    stopAnswers: (ids) => chat.stopForErasure(ids),
    disconnectUser: (userId) => otherNodes.disconnectUser(userId),
    forgetUser: (userId) => {
      users.forget(userId);
      // The other nodes too, or a token of the same sub would find no user row there for a while.
      otherNodes.forgetUser(userId);
    },
  });

  const realtime = { verifier, users, limits, trustProxy: config.trustProxy, logger };
  const typing = new Typing({ chat: chatNamespace });
  registerChatNamespace(chatNamespace, {
    ...realtime,
    conversations,
    chat,
    presence,
    typing,
    membersChanged: (conversationId) => notifier.forgetAudience(conversationId),
  });
  registerAdminNamespace(adminNamespace, realtime);
  const serveClient = options.serveClientExample ?? !config.isProduction;
  const app = createHttpApp({
    verifier,
    users,
    conversations,
    chat,
    agents,
    templates,
    members,
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
    browserModules: await browserModulesRouter(
      corsOptions({ corsOrigins: config.corsOrigins, isProduction: config.isProduction }),
    ),
    readiness: readinessCheck(() => repositories.ping(), redis),
  });
  httpServer.on("request", app);
  const stopBackgroundJobs = await startBackgroundJobs({ recovery, admin, logger, ...config });

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
    answers,
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
        stopBackgroundJobs();
        presence.stop();
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
