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
import { LocalLeases, RedisLeases, type AnswerLeases } from "./chat/answer-leases.js";
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
import type { Repositories } from "./db/repositories/index.js";
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
import { ToolDecisions } from "./chat/tool-decisions.js";
import type { ToolCatalog } from "./tools/tool-box.js";
import { registerChatNamespace, type ChatNamespace } from "./realtime/chat-namespace.js";
import { NodeBus } from "./realtime/node-bus.js";
import { answerOtherNodes } from "./realtime/node-requests.js";
import { OtherNodes } from "./realtime/other-nodes.js";
import { Presence } from "./realtime/presence.js";
import { MemberService } from "./members/member-service.js";
import { MemoryPresenceStore, RedisPresenceStore } from "./realtime/presence-store.js";
import { Typing } from "./realtime/typing.js";
import { RoomNotifier } from "./realtime/room-notifier.js";
import { createSocketServer, type ConfabServer } from "./realtime/socket-server.js";
import { RedisChannels } from "./redis/redis-channels.js";
import type { RedisConnection } from "./redis/redis-connection.js";
import { DbToolCatalog } from "./tools/db-tool-catalog.js";
import { InputChecker } from "./tools/input-checker.js";
import { McpServerService } from "./tools/mcp-server-service.js";
import { ToolService } from "./tools/tool-service.js";
import { FileLinks } from "./files/file-links.js";
import { FileService } from "./files/file-service.js";
import { createFileStore } from "./files/file-stores.js";

export type { ConfabServer };

export interface ConfabOptions {
  config: Config;
  logger?: Logger;
  /** Replaces the chat model of a provider (tests use fakes that record their calls). */
  chatModels?: Partial<Record<ProviderName, ChatModel>>;
  /** Replaces where answers get their agents' tools (tests give tools of their own). */
  toolCatalog?: ToolCatalog;
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
  /** What the nodes ask and tell each other (absent on a lone node). */
  readonly bus: NodeBus | undefined;
  readonly chat: ChatService;
  readonly conversations: ConversationService;
  /** The answers this node is writing or still has to store. */
  readonly answers: LocalAnswers;
  readonly metrics: Metrics;
  readonly admin: AdminService;
  /** The agents' tools, as answers get them. */
  readonly toolCatalog: ToolCatalog;
  /** Signs tokens with the server's key (absent when only a public key is configured). */
  readonly signer: TokenSigner | undefined;
  listen(port?: number, host?: string): Promise<AddressInfo>;
  close(): Promise<void>;
}

/** The composition root: builds every part and hands each its dependencies; no logic of its own. */
export async function createConfab(options: ConfabOptions): Promise<Confab> {
  const { config } = options;
  const logger = options.logger ?? createLogger(config.logLevel);
  const base = await openStorage(config, logger);
  const identity = await buildIdentity(base);
  const modelRegistry = await buildModelRegistry(config, options.chatModels);
  const sockets = await buildSockets(base);
  const answers = buildAnswers(base);
  const measures = buildMeasures({ ...base, ...sockets, ...answers });
  const delivery = buildDelivery({ ...base, ...sockets });
  const services = buildServices({ ...base, ...identity, ...delivery, ...measures, modelRegistry });
  const turns = buildTurns({
    ...base,
    ...sockets,
    ...answers,
    ...measures,
    ...delivery,
    ...services,
    // Tests may give tools of their own.
    toolCatalog: options.toolCatalog ?? services.toolCatalog,
  });
  const admin = buildAdmin({ ...base, ...identity, ...sockets, ...delivery, ...services, ...turns });
  const parts = { ...base, ...identity, ...sockets, ...measures, ...delivery, ...services, ...turns, admin };
  registerNamespaces(parts);
  const app = buildHttp(parts, options.serveClientExample ?? !config.isProduction);
  sockets.httpServer.on("request", app);
  const stopBackgroundJobs = await startBackgroundJobs({
    recovery: turns.recovery,
    decisions: turns.decisions,
    admin,
    logger,
    ...config,
    files: services.files,
    fileUnsentTtlSeconds: config.files.unsentTtlSeconds,
  });
  return assemble({ ...parts, ...answers, app, stopBackgroundJobs }, options.shutdownGraceMs);
}

/** What every part is built from: the configuration, the log, PostgreSQL, and Redis when configured. */
interface Base {
  config: Config;
  logger: Logger;
  db: Database;
  repositories: Repositories;
  redis: RedisConnection | undefined;
}

async function openStorage(config: Config, logger: Logger): Promise<Base> {
  const db = await openMigratedDatabase(config, logger);
  // ioredis is loaded only when there is a Redis to talk to: a single node without one never pays for it.
  const redis = config.redisUrl
    ? await (
        await import("./redis/redis-connection.js")
      ).connectRedis(config.redisUrl, config.redisAdapter, logger)
    : undefined;
  return { config, logger, db, repositories: db.repositories, redis };
}

/** Who calls: tokens verified (and signed, with a secret), users provisioned from them. */
interface Identity {
  verifier: TokenVerifier;
  signer: TokenSigner | undefined;
  users: UserDirectory;
  /** Signs files' links (FILE_URL_SECRET, or derived from the JWT secret). */
  fileLinks: FileLinks;
}

async function buildIdentity({ config, repositories }: Base): Promise<Identity> {
  const secret =
    config.jwt.secret ?? (config.jwt.publicKey ? undefined : await ensureDevSecret(config.dataDir));
  return {
    verifier: new TokenVerifier({ ...config.jwt, secret }),
    signer: secret ? new TokenSigner(secret, "HS256", config.jwt) : undefined,
    users: new UserDirectory({ users: repositories.users }),
    // The configuration requires FILE_URL_SECRET when there is no secret.
    fileLinks: new FileLinks(config.files.urlSecret ?? secret ?? ""),
  };
}

async function buildModelRegistry(
  config: Config,
  chatModels: ConfabOptions["chatModels"],
): Promise<ModelRegistry> {
  return new ModelRegistry({
    demo: new DemoChatModel({ wordDelayMs: config.demoWordDelayMs }),
    ...(await vendorModels(config)),
    ...chatModels,
  });
}

/** The HTTP server, Socket.IO on it, its two namespaces, and what this node asks of the others. */
interface Sockets {
  httpServer: HttpServer;
  io: ConfabServer;
  chatNamespace: ChatNamespace;
  adminNamespace: AdminNamespace;
  otherNodes: OtherNodes;
  /** Questions and notices between the nodes, on Confab's own channels (none on a lone node). */
  bus: NodeBus | undefined;
}

async function buildSockets({ config, redis, logger }: Base): Promise<Sockets> {
  const httpServer = createServer();
  const io = createSocketServer(httpServer, config, redis);
  const chatNamespace: ChatNamespace = io.of("/chat");
  const adminNamespace = io.of("/admin") as unknown as AdminNamespace;
  const bus = redis
    ? new NodeBus({ channels: new RedisChannels(redis), prefix: config.redisKeyPrefix, logger })
    : undefined;
  await bus?.start();
  const otherNodes = new OtherNodes({ chat: chatNamespace, admin: adminNamespace, redis, bus, logger });
  return { httpServer, io, chatNamespace, adminNamespace, otherNodes, bus };
}

/** The answers this node writes, and the leases that tell the other nodes it still writes them. */
interface Answers {
  leases: AnswerLeases;
  answers: LocalAnswers;
}

function buildAnswers({ config, repositories, redis, logger }: Base): Answers {
  const leases = redis
    ? new RedisLeases(redis.client, config.generationLeaseMs, `${config.redisKeyPrefix}:answer:`)
    : new LocalLeases();
  const answers = new LocalAnswers({
    messages: repositories.messages,
    leases,
    intervalMs: config.checkpointMs,
    logger,
  });
  return { leases, answers };
}

/** What is counted: the metrics, and the rate limits (whose refusals the metrics count). */
interface Measures {
  metrics: Metrics;
  limits: RateLimits;
}

function buildMeasures({
  config,
  redis,
  logger,
  chatNamespace,
  answers,
}: Base & Sockets & Answers): Measures {
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
  return { metrics, limits };
}

/** What reaches the tabs: events to the rooms, who is online, who is typing. */
interface Delivery {
  notifier: RoomNotifier;
  presence: Presence;
  typing: Typing;
}

function buildDelivery(parts: Base & Sockets): Delivery {
  const { config, repositories, redis, logger, chatNamespace } = parts;
  const notifier = new RoomNotifier({
    chat: chatNamespace,
    admin: parts.adminNamespace,
    audience: (conversationId) => repositories.members.list(conversationId),
    otherNodes: parts.otherNodes,
    logger,
  });
  const store = redis
    ? new RedisPresenceStore({
        redis: redis.client,
        prefix: `${config.redisKeyPrefix}:presence:`,
        nodeId: randomUUID(),
        ttlMs: config.presenceTtlMs,
      })
    : new MemoryPresenceStore();
  const presence = new Presence({
    chat: chatNamespace,
    store,
    logger,
    renewMs: Math.floor(config.presenceTtlMs / 3),
  });
  presence.start();
  return { notifier, presence, typing: new Typing({ chat: chatNamespace }) };
}

/** The conversations, their members, the agents and templates, and the one access policy. */
interface Services {
  modelRegistry: ModelRegistry;
  policy: ConversationPolicy;
  conversations: ConversationService;
  members: MemberService;
  agents: AgentService;
  templates: TemplateService;
  /** Tools and MCP servers as admins manage them, and the agents' tools as answers get them. */
  tools: ToolService;
  mcpServers: McpServerService;
  toolCatalog: ToolCatalog;
  /** Uploads, reading files, and deleting them with what they belong to. */
  files: FileService;
}

function buildServices(
  parts: Base & Pick<Identity, "fileLinks"> & Delivery & Measures & { modelRegistry: ModelRegistry },
): Services {
  const { config, repositories, notifier, presence, modelRegistry } = parts;
  const policy = new ConversationPolicy({ conversations: repositories.conversations });
  const files = new FileService({
    files: repositories.files,
    store: createFileStore(config, repositories),
    links: parts.fileLinks,
    policy,
    limits: parts.limits,
    logger: parts.logger,
    maxBytes: config.files.maxBytes,
  });
  const checker = new InputChecker();
  const { tools, mcpServers } = repositories;
  return {
    tools: new ToolService({ tools, mcpServers, checker }),
    mcpServers: new McpServerService({ tools, mcpServers, checker }),
    toolCatalog: new DbToolCatalog({ tools, mcpServers, checker, metrics: parts.metrics }),
    modelRegistry,
    policy,
    files,
    conversations: new ConversationService({ repositories, policy, notifier, files }),
    members: new MemberService({
      repositories,
      policy,
      notifier,
      online: async (conversationId) => new Set((await presence.online(conversationId)).map((u) => u.userId)),
    }),
    agents: new AgentService({ agents: repositories.agents, tools, modelRegistry }),
    templates: new TemplateService({ templates: repositories.templates, agents: repositories.agents }),
  };
}

/** Turns and answers: the chat service and what it is made of, summaries, and recovery. */
interface Turns {
  chat: ChatService;
  decisions: ToolDecisions;
  summaries: Summaries;
  recovery: Recovery;
}

function buildTurns(parts: Base & Sockets & Answers & Measures & Delivery & Services): Turns {
  const { config, repositories, redis, logger, answers, leases, notifier, policy, modelRegistry } = parts;
  const leaseMs = config.generationLeaseMs;
  const gate = new BackgroundGate(() => repositories.busy());
  const summaries = new Summaries({ repositories, modelRegistry, notifier, logger, gate });
  const reports = new TurnReports({ notifier, metrics: parts.metrics });
  const recovery = new Recovery({ repositories, answers, notifier, leases, reports, logger, leaseMs });
  const decisions: ToolDecisions = new ToolDecisions({
    repositories,
    policy,
    notifier,
    reports,
    resume: (turn, from) => chat.resume(turn, from),
  });
  const chat: ChatService = new ChatService({
    repositories,
    policy,
    starter: new TurnStarter({
      repositories,
      policy,
      recovery,
      limits: parts.limits,
      leaseMs,
      files: parts.files,
      groups: {
        conversations: repositories.conversations,
        messages: repositories.messages,
        inFlight: Number(
          process.env.TMP_GROUP_IN_FLIGHT ?? Math.max(1, Math.floor(config.databasePoolMax / 4)),
        ),
        maxSize: Number(process.env.TMP_GROUP_MAX ?? 100),
      },
    }),
    checkout: new BranchCheckout({ repositories, policy, recovery, leaseMs }),
    writer: new AnswerWriter({
      repositories,
      conversations: parts.conversations,
      modelRegistry,
      notifier,
      answers,
      leases,
      logger,
      reports,
      summaries,
      streamFlushMs: config.streamFlushMs,
      maxOutputTokens: config.maxOutputTokens,
      tools: parts.toolCatalog,
      files: parts.files,
    }),
    answers,
    recovery,
    reports,
    notifier,
    logger,
    ...(redis ? { otherNodes: parts.otherNodes } : {}),
    cancelAwaiting: (conversationId, byUserId) => decisions.cancel(conversationId, byUserId),
  });
  return { chat, decisions, summaries, recovery };
}

function buildAdmin(parts: Base & Identity & Sockets & Delivery & Services & Turns): AdminService {
  const { users, otherNodes, chat } = parts;
  return new AdminService({
    repositories: parts.repositories,
    conversations: parts.conversations,
    members: parts.members,
    notifier: parts.notifier,
    connectedSockets: () => otherNodes.countSockets(),
    stopAnswers: (ids) => chat.stopForErasure(ids),
    files: parts.files,
    disconnectUser: (userId) => otherNodes.disconnectUser(userId),
    forgetUser: (userId) => {
      users.forget(userId);
      // The other nodes too, or a token of the same sub would find no user row there for a while.
      otherNodes.forgetUser(userId);
    },
  });
}

/** Everything built, before the HTTP application. */
type Parts = Base & Identity & Sockets & Measures & Delivery & Services & Turns & { admin: AdminService };

/** `/chat` and `/admin`: who may connect, and what each event does. */
function registerNamespaces(parts: Parts): void {
  const { config, notifier } = parts;
  const membersChanged = (conversationId: string) => notifier.forgetAudience(conversationId);
  const realtime = {
    verifier: parts.verifier,
    users: parts.users,
    limits: parts.limits,
    trustProxy: config.trustProxy,
    logger: parts.logger,
  };
  registerChatNamespace(parts.chatNamespace, {
    ...realtime,
    conversations: parts.conversations,
    chat: parts.chat,
    decisions: parts.decisions,
    presence: parts.presence,
    typing: parts.typing,
    membersChanged,
  });
  registerAdminNamespace(parts.adminNamespace, realtime);
  if (parts.bus) answerOtherNodes(parts.bus, parts.chatNamespace, { ...parts, membersChanged });
}

/** The REST API, health, metrics, and the modules and pages served to browsers. */
function buildHttp(parts: Parts, serveClientExample: boolean): Express {
  const { config, repositories, redis } = parts;
  return createHttpApp({
    verifier: parts.verifier,
    users: parts.users,
    conversations: parts.conversations,
    chat: parts.chat,
    decisions: parts.decisions,
    agents: parts.agents,
    templates: parts.templates,
    members: parts.members,
    summaries: parts.summaries,
    limits: parts.limits,
    logger: parts.logger,
    admin: parts.admin,
    tools: parts.tools,
    mcpServers: parts.mcpServers,
    metrics: parts.metrics,
    files: parts.files,
    fileMaxBytes: config.files.maxBytes,
    corsOrigins: config.corsOrigins,
    isProduction: config.isProduction,
    trustProxy: config.trustProxy,
    devTokenSigner: config.isProduction ? undefined : parts.signer,
    clientExample: serveClientExample ? clientExampleRouter() : undefined,
    browserModules: browserModulesRouter(
      corsOptions({ corsOrigins: config.corsOrigins, isProduction: config.isProduction }),
    ),
    readiness: readinessCheck(() => repositories.ping(), redis),
  });
}

/** The node, as its callers hold it: what it is made of, and how it listens and closes. */
function assemble(
  parts: Parts & Answers & { app: Express; stopBackgroundJobs: () => void },
  shutdownGraceMs: number | undefined,
): Confab {
  const { config, httpServer, io, redis, db, chat, presence } = parts;
  let closing: Promise<void> | undefined;
  return {
    config,
    logger: parts.logger,
    db,
    httpServer,
    app: parts.app,
    io,
    redis,
    bus: parts.bus,
    chat,
    conversations: parts.conversations,
    answers: parts.answers,
    metrics: parts.metrics,
    admin: parts.admin,
    toolCatalog: parts.toolCatalog,
    signer: parts.signer,
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
        parts.stopBackgroundJobs();
        presence.stop();
        httpServer.close(); // stop accepting; open sockets are closed below
        await chat.shutdown(shutdownGraceMs ?? config.shutdownGraceMs);
        await io.close().catch(() => undefined);
        httpServer.closeAllConnections();
        parts.bus?.stop();
        await redis?.close();
        await db.close();
      })();
      return closing;
    },
  };
}
