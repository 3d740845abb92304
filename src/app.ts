import { createServer, type Server as HttpServer } from "node:http";
import type { AddressInfo } from "node:net";
import { Server } from "socket.io";
import { ensureDevSecret } from "./auth/dev-secret.js";
import { TokenSigner } from "./auth/token-signer.js";
import { TokenVerifier } from "./auth/token-verifier.js";
import { UserDirectory } from "./auth/user-directory.js";
import { ChatService } from "./chat/chat-service.js";
import { GenerationRegistry } from "./chat/generation-registry.js";
import type { Config } from "./config.js";
import { ConversationService } from "./conversations/conversation-service.js";
import { openDatabase, type Database } from "./db/database.js";
import { migrateUp, seedUp } from "./db/migrator.js";
import type { ProviderName } from "./db/models/index.js";
import { clientExampleRouter } from "./http/client-example.js";
import { createHttpApp } from "./http/http-app.js";
import { createLogger, type Logger } from "./observability/logger.js";
import type { ChatModel } from "./providers/chat-model.js";
import { DemoChatModel } from "./providers/demo/demo-chat-model.js";
import { ModelRegistry } from "./providers/model-registry.js";
import { registerChatNamespace, type ChatNamespace } from "./realtime/chat-namespace.js";
import type { ClientToServerEvents, ServerToClientEvents } from "./realtime/events.js";
import { RoomNotifier } from "./realtime/room-notifier.js";
import type { SocketData } from "./realtime/socket-data.js";

export interface ConfabOptions {
  config: Config;
  logger?: Logger;
  /** Replaces the chat model of a provider (tests use fakes that record their calls). */
  chatModels?: Partial<Record<ProviderName, ChatModel>>;
  /** Serve the client example at `/` (default: outside production). */
  serveClientExample?: boolean;
  /** How long running answers may finish on shutdown (default 10 s). */
  shutdownGraceMs?: number;
  /** How often answers left streaming by dead nodes are looked for (default 5 s). */
  recoveryIntervalMs?: number;
}

export interface Confab {
  readonly config: Config;
  readonly logger: Logger;
  readonly db: Database;
  readonly httpServer: HttpServer;
  readonly io: Server<ClientToServerEvents, ServerToClientEvents, Record<string, never>, SocketData>;
  readonly chat: ChatService;
  readonly conversations: ConversationService;
  readonly generations: GenerationRegistry;
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
  const users = new UserDirectory(db.models);

  const modelRegistry = new ModelRegistry({
    demo: new DemoChatModel({ wordDelayMs: config.demoWordDelayMs }),
    ...options.chatModels,
  });

  const httpServer = createServer();
  const io = new Server<ClientToServerEvents, ServerToClientEvents, Record<string, never>, SocketData>(
    httpServer,
    {
      cors: corsFor(config),
      serveClient: false,
      connectionStateRecovery: undefined,
    },
  );
  const chatNamespace: ChatNamespace = io.of("/chat");
  const notifier = new RoomNotifier(chatNamespace);
  const generations = new GenerationRegistry();
  const conversations = new ConversationService({ models: db.models, notifier });
  const chat = new ChatService({
    models: db.models,
    conversations,
    modelRegistry,
    notifier,
    generations,
    logger,
    streamFlushMs: config.streamFlushMs,
    checkpointMs: config.checkpointMs,
  });
  registerChatNamespace(chatNamespace, { verifier, users, conversations, chat, generations, logger });

  const serveClient = options.serveClientExample ?? !config.isProduction;
  const app = createHttpApp({
    models: db.models,
    verifier,
    users,
    conversations,
    chat,
    logger,
    devTokenSigner: config.isProduction ? undefined : signer,
    clientExample: serveClient ? await clientExampleRouter() : undefined,
    readiness: async () => {
      try {
        await db.sequelize.query("SELECT 1");
        return { ready: true, checks: { database: "ok" } };
      } catch {
        return { ready: false, checks: { database: "unavailable" } };
      }
    },
  });
  httpServer.on("request", app);

  const recovery = setInterval(() => {
    chat.recover().catch((err: unknown) => logger.warn({ err }, "recovery sweep failed"));
  }, options.recoveryIntervalMs ?? 5000);
  recovery.unref();
  await chat.recover().catch((err: unknown) => logger.warn({ err }, "recovery sweep failed"));

  let closing: Promise<void> | undefined;
  return {
    config,
    logger,
    db,
    httpServer,
    io,
    chat,
    conversations,
    generations,
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
        clearInterval(recovery);
        httpServer.close(); // stop accepting; open sockets are closed below
        await chat.shutdown(options.shutdownGraceMs ?? 10_000);
        await io.close().catch(() => undefined);
        httpServer.closeAllConnections();
        await db.close();
      })();
      return closing;
    },
  };
}

/** CORS_ORIGINS, else any origin in development and same origin only in production. */
function corsFor(config: Config) {
  if (config.corsOrigins) return { origin: [...config.corsOrigins], credentials: true };
  if (!config.isProduction) return { origin: true, credentials: true };
  return undefined;
}
