import { Router } from "express";
import { createAgentBody, patchAgentBody } from "../../agents/agent-inputs.js";
import type { AgentService } from "../../agents/agent-service.js";
import { id } from "../../conversations/inputs.js";
import { toAgentResource } from "../../conversations/resources.js";
import { parse } from "../../validation.js";
import { requireAdmin } from "../auth-middleware.js";

export interface AdminRoutesDeps {
  agents: AgentService;
}

const body = (value: unknown) => (value === undefined ? {} : value);

/** `/admin/*` of PROTOCOL.md section 4: admins only, `forbidden` for everyone else. */
export function adminRoutes(deps: AdminRoutesDeps): Router {
  const router = Router();
  router.use(requireAdmin);

  router.get("/agents", async (_req, res) => {
    res.json((await deps.agents.list()).map(toAgentResource));
  });

  router.post("/agents", async (req, res) => {
    const input = parse(createAgentBody, body(req.body), "body");
    res.status(201).json(toAgentResource(await deps.agents.create(input)));
  });

  router.patch("/agents/:id", async (req, res) => {
    const agentId = parse(id, req.params.id, "agent id");
    const input = parse(patchAgentBody, body(req.body), "body");
    res.json(toAgentResource(await deps.agents.update(agentId, input)));
  });

  router.delete("/agents/:id", async (req, res) => {
    await deps.agents.deactivate(parse(id, req.params.id, "agent id"));
    res.status(204).end();
  });

  return router;
}
