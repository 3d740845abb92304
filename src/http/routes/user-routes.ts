import { Router } from "express";
import type { AgentService } from "../../agents/agent-service.js";
import type { ConversationService } from "../../conversations/conversation-service.js";
import { toAgentResource, toUserResource } from "../../conversations/resources.js";
import type { UserDirectory } from "../../auth/user-directory.js";
import { notFound } from "../../errors.js";
import { principalOf } from "../request-context.js";

/** `GET /me`, `GET /agents`, `GET /stats`. */
export function userRoutes(deps: {
  users: UserDirectory;
  conversations: ConversationService;
  agents: AgentService;
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

  router.get("/stats", async (req, res) => {
    res.json(await deps.conversations.stats(principalOf(req)));
  });

  return router;
}
