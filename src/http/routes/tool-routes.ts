import { Router } from "express";
import {
  createMcpServerBody,
  createToolBody,
  id,
  importMcpToolsBody,
  patchMcpServerBody,
  patchToolBody,
} from "../../protocol/index.js";
import type { McpServerService } from "../../tools/mcp-server-service.js";
import { toCreatedTool, toMcpServerResource, toToolResource } from "../../tools/tool-resources.js";
import type { ToolService } from "../../tools/tool-service.js";
import { parse } from "../../validation.js";

export interface ToolRoutesDeps {
  tools: ToolService;
  mcpServers: McpServerService;
}

/**
 * `/admin/tools` and `/admin/mcp-servers` (PROTOCOL.md: tools), mounted behind the admin check. A
 * webhook tool's secret is in the answers that create it or rotate it, never in any other.
 */
export function toolRoutes(deps: ToolRoutesDeps): Router {
  const router = Router();
  toolDefinitionRoutes(router, deps);
  mcpServerRoutes(router, deps);
  return router;
}

function toolDefinitionRoutes(router: Router, { tools }: ToolRoutesDeps): void {
  router.get("/tools", async (_req, res) => {
    res.json({ tools: (await tools.list()).map(toToolResource) });
  });

  router.post("/tools", async (req, res) => {
    const { tool, secret } = await tools.create(parse(createToolBody, req.body, "body"));
    res.status(201).json(toCreatedTool(tool, secret));
  });

  router.patch("/tools/:id", async (req, res) => {
    const toolId = parse(id, req.params.id, "tool id");
    const { tool, secret } = await tools.update(toolId, parse(patchToolBody, req.body, "body"));
    res.json(toCreatedTool(tool, secret));
  });

  router.delete("/tools/:id", async (req, res) => {
    await tools.delete(parse(id, req.params.id, "tool id"));
    res.status(204).end();
  });

  router.post("/tools/:id/rotate-secret", async (req, res) => {
    const { tool, secret } = await tools.rotateSecret(parse(id, req.params.id, "tool id"));
    res.json(toCreatedTool(tool, secret));
  });
}

function mcpServerRoutes(router: Router, { mcpServers }: ToolRoutesDeps): void {
  router.get("/mcp-servers", async (_req, res) => {
    res.json({ mcpServers: (await mcpServers.list()).map(toMcpServerResource) });
  });

  router.post("/mcp-servers", async (req, res) => {
    const server = await mcpServers.create(parse(createMcpServerBody, req.body, "body"));
    res.status(201).json(toMcpServerResource(server));
  });

  router.patch("/mcp-servers/:id", async (req, res) => {
    const serverId = parse(id, req.params.id, "MCP server id");
    const input = parse(patchMcpServerBody, req.body, "body");
    res.json(toMcpServerResource(await mcpServers.update(serverId, input)));
  });

  router.delete("/mcp-servers/:id", async (req, res) => {
    await mcpServers.delete(parse(id, req.params.id, "MCP server id"));
    res.status(204).end();
  });

  router.get("/mcp-servers/:id/tools", async (req, res) => {
    res.json({ tools: await mcpServers.offered(parse(id, req.params.id, "MCP server id")) });
  });

  router.post("/mcp-servers/:id/import", async (req, res) => {
    const serverId = parse(id, req.params.id, "MCP server id");
    const input = parse(importMcpToolsBody, req.body, "body");
    res.json({ tools: (await mcpServers.import(serverId, input)).map(toToolResource) });
  });
}
