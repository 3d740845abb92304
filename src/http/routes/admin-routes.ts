import { Router } from "express";
import { adminConversationsQuery, adminUsersQuery, purgeBody, userId } from "../../protocol/index.js";
import type { AdminService } from "../../admin/admin-service.js";
import {
  createAgentBody,
  createTemplateBody,
  patchAgentBody,
  patchTemplateBody,
} from "../../protocol/index.js";
import type { TemplateService } from "../../templates/template-service.js";
import type { AgentService } from "../../agents/agent-service.js";
import { id } from "../../protocol/index.js";
import { toAgentResource, toTemplateResource } from "../../conversations/resources.js";
import { parse } from "../../validation.js";
import { requireAdmin } from "../auth-middleware.js";
import { toolRoutes, type ToolRoutesDeps } from "./tool-routes.js";

export interface AdminRoutesDeps extends ToolRoutesDeps {
  agents: AgentService;
  templates: TemplateService;
  admin: AdminService;
}

/** `/admin/*` of PROTOCOL.md section 4: admins only, `forbidden` for everyone else. */
export function adminRoutes(deps: AdminRoutesDeps): Router {
  const router = Router();
  router.use(requireAdmin);
  operatorRoutes(router, deps);
  agentRoutes(router, deps);
  templateRoutes(router, deps);
  router.use(toolRoutes(deps));
  router.post("/maintenance/purge", async (req, res) => {
    const { olderThanDays } = parse(purgeBody, req.body, "body");
    res.json({ purged: await deps.admin.purge(olderThanDays) });
  });
  return router;
}

/** Totals, users (and their erasure), any conversation. */
function operatorRoutes(router: Router, { admin }: AdminRoutesDeps): void {
  router.get("/stats", async (_req, res) => {
    res.json(await admin.stats());
  });

  router.get("/users", async (req, res) => {
    res.json(await admin.users(parse(adminUsersQuery, req.query, "query")));
  });

  router.delete("/users/:id", async (req, res) => {
    await admin.eraseUser(parse(userId, req.params.id, "user id"));
    res.status(204).end();
  });

  router.get("/conversations", async (req, res) => {
    res.json(await admin.conversations(parse(adminConversationsQuery, req.query, "query")));
  });

  router.get("/conversations/:id", async (req, res) => {
    res.json(await admin.conversation(parse(id, req.params.id, "conversation id")));
  });
}

/** Every agent, active or not: created, changed, deactivated. */
function agentRoutes(router: Router, { agents }: AdminRoutesDeps): void {
  router.get("/agents", async (_req, res) => {
    res.json((await agents.list()).map(toAgentResource));
  });

  router.post("/agents", async (req, res) => {
    const input = parse(createAgentBody, req.body, "body");
    res.status(201).json(toAgentResource(await agents.create(input)));
  });

  router.patch("/agents/:id", async (req, res) => {
    const agentId = parse(id, req.params.id, "agent id");
    const input = parse(patchAgentBody, req.body, "body");
    res.json(toAgentResource(await agents.update(agentId, input)));
  });

  router.delete("/agents/:id", async (req, res) => {
    await agents.deactivate(parse(id, req.params.id, "agent id"));
    res.status(204).end();
  });
}

/** Every template, active or not: created, changed, deactivated. */
function templateRoutes(router: Router, { templates }: AdminRoutesDeps): void {
  router.get("/templates", async (_req, res) => {
    res.json((await templates.list()).map(toTemplateResource));
  });

  router.post("/templates", async (req, res) => {
    const input = parse(createTemplateBody, req.body, "body");
    res.status(201).json(toTemplateResource(await templates.create(input)));
  });

  router.patch("/templates/:id", async (req, res) => {
    const templateId = parse(id, req.params.id, "template id");
    const input = parse(patchTemplateBody, req.body, "body");
    res.json(toTemplateResource(await templates.update(templateId, input)));
  });

  router.delete("/templates/:id", async (req, res) => {
    await templates.deactivate(parse(id, req.params.id, "template id"));
    res.status(204).end();
  });
}
