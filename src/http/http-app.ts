import cors from "cors";
import express, { type Express, type Router } from "express";
import type { ToolDecisions } from "../chat/tool-decisions.js";
import type { MemberService } from "../members/member-service.js";
import { memberRoutes } from "./routes/member-routes.js";
import helmet from "helmet";
import type { TokenSigner } from "../auth/token-signer.js";
import type { TokenVerifier } from "../auth/token-verifier.js";
import type { UserDirectory } from "../auth/user-directory.js";
import type { AgentService } from "../agents/agent-service.js";
import type { TemplateService } from "../templates/template-service.js";
import type { ChatService } from "../chat/chat-service.js";
import type { Summaries } from "../chat/summaries.js";
import type { ConversationService } from "../conversations/conversation-service.js";
import type { Logger } from "../observability/logger.js";
import type { RateLimits } from "../limits/rate-limits.js";
import type { AdminService } from "../admin/admin-service.js";
import type { Metrics } from "../observability/metrics.js";
import type { McpServerService } from "../tools/mcp-server-service.js";
import type { ToolService } from "../tools/tool-service.js";
import { requireUser } from "./auth-middleware.js";
import { openApiDocument } from "./openapi.js";
import { corsOptions } from "./origin-policy.js";
import { requestLog } from "./request-log.js";
import { principalOf } from "./request-context.js";
import { errorMiddleware, notFoundRoute } from "./error-middleware.js";
import { adminRoutes } from "./routes/admin-routes.js";
import { conversationRoutes } from "./routes/conversation-routes.js";
import { devTokenRoute } from "./routes/dev-token-route.js";
import { userRoutes } from "./routes/user-routes.js";
import { fileRoutes, signedFileRoute } from "./routes/file-routes.js";
import type { FileService } from "../files/file-service.js";

export interface HttpAppDeps {
  verifier: TokenVerifier;
  users: UserDirectory;
  conversations: ConversationService;
  chat: ChatService;
  decisions: ToolDecisions;
  agents: AgentService;
  templates: TemplateService;
  members: MemberService;
  summaries: Summaries;
  limits: RateLimits;
  /** Behind a load balancer: the client IP comes from X-Forwarded-For. */
  trustProxy: boolean;
  logger: Logger;
  /** Set outside production: mounts `POST /api/v1/dev/token`. */
  devTokenSigner: TokenSigner | undefined;
  /** Served at `/`: the client example, outside production. */
  clientExample: Router | undefined;
  /** `GET /sdk/confab.js`, for host pages. */
  browserModules: Router;
  readiness: () => Promise<{ ready: boolean; checks: Record<string, string> }>;
  admin: AdminService;
  tools: ToolService;
  mcpServers: McpServerService;
  metrics: Metrics;
  files: FileService;
  /** FILE_MAX_BYTES. */
  fileMaxBytes: number;
  /** CORS_ORIGINS; unset: any origin outside production, same origin only in production. */
  corsOrigins: readonly string[] | undefined;
  isProduction: boolean;
}

/** Large enough for 10,000 characters of content plus 16 KB of metadata, in any script. */
const BODY_LIMIT = "100kb";

export function createHttpApp(deps: HttpAppDeps): Express {
  const app = express();
  app.disable("x-powered-by");
  app.set("trust proxy", deps.trustProxy ? true : "loopback");
  app.set("query parser", "simple");
  app.use(requestLog(deps.logger, deps.metrics));
  // Helmet's defaults, and `blob:` images: a composer shows the picture being attached from the local
  // file (an object URL) before it is uploaded.
  app.use(helmet({ contentSecurityPolicy: { directives: { "img-src": ["'self'", "data:", "blob:"] } } }));

  app.get("/healthz", (_req, res) => {
    res.json({ status: "ok" });
  });
  app.get("/readyz", async (_req, res) => {
    const result = await deps.readiness();
    res
      .status(result.ready ? 200 : 503)
      .json({ status: result.ready ? "ready" : "unavailable", checks: result.checks });
  });

  app.get("/metrics", async (_req, res) => {
    res.type(deps.metrics.registry.contentType).send(await deps.metrics.registry.metrics());
  });

  const api = express.Router();
  api.use(cors(corsOptions(deps)));
  api.use(
    express.json({ limit: BODY_LIMIT, strict: true, type: ["application/json", "application/*+json"] }),
  );
  // A request without a body is an empty object to the validation, which then names what is missing.
  api.use((req, _res, next) => {
    req.body ??= {};
    next();
  });
  api.get("/openapi.json", (_req, res) => {
    res.json(openApiDocument());
  });
  if (deps.devTokenSigner) api.use(devTokenRoute(deps.devTokenSigner));
  // A signed link is its own credential: before the token is asked for.
  api.use(signedFileRoute(deps));
  api.use(requireUser(deps.verifier, deps.users));
  api.use(async (req, _res, next) => {
    await deps.limits.consume("request", principalOf(req).userId);
    next();
  });
  api.use(userRoutes(deps));
  api.use(memberRoutes(deps));
  api.use(fileRoutes(deps));
  api.use("/conversations", conversationRoutes(deps));
  api.use("/admin", adminRoutes(deps));
  api.use(notFoundRoute);
  app.use("/api/v1", api);

  app.use(deps.browserModules);
  if (deps.clientExample) app.use(deps.clientExample);
  app.use(errorMiddleware(deps.logger));
  return app;
}
