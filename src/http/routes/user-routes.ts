import { Router } from "express";
import type { AgentService } from "../../agents/agent-service.js";
import type { ConversationService } from "../../conversations/conversation-service.js";
import { toAgentResource, toTemplateResource, toUserResource } from "../../conversations/resources.js";
import type { TemplateService } from "../../templates/template-service.js";
import type { UserDirectory } from "../../auth/user-directory.js";
import { notFound } from "../../errors.js";
import { principalOf } from "../request-context.js";

/** `GET /me`, `GET /agents`, `GET /templates`, `GET /stats`. */
export function userRoutes(deps: {
  users: UserDirectory;
  conversations: ConversationService;
  agents: AgentService;
  templates: TemplateService;
}): Router {
  const router = Router();

  router.get("/me", async (req, res) => {
    const user = await deps.users.find(principalOf(req).userId);
    if (!user) throw notFound("user");
    res.json(toUserResource(user));
  });

  router.get("/agents", async (_req, res) => {
    res.json((await deps.agents.listActive()).map(toAgentResource));
  });

  router.get("/templates", async (_req, res) => {
    res.json((await deps.templates.listActive()).map(toTemplateResource));
  });

  router.get("/stats", async (req, res) => {
    res.json(await deps.conversations.stats(principalOf(req)));
  });

  return router;
}
