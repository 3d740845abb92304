import type { McpServerRecord, ToolRecord } from "../db/records.js";
import type { CreatedTool, McpServerResource, ToolResource } from "../protocol/index.js";

/** A tool as admins read it: never with its secret. */
export function toToolResource(t: ToolRecord): ToolResource {
  return {
    id: t.id,
    name: t.name,
    description: t.description,
    inputSchema: t.inputSchema,
    execution: t.execution,
    approval: t.approval,
    timeoutMs: t.timeoutMs,
    active: t.active,
    createdAt: t.createdAt.toISOString(),
    updatedAt: t.updatedAt.toISOString(),
  };
}

/** A tool as its creator (or whoever rotated its secret) receives it, the one time with the secret. */
export function toCreatedTool(t: ToolRecord, secret: string | null): CreatedTool {
  return { ...toToolResource(t), ...(secret ? { secret } : {}) };
}

/** An MCP server as admins read it: the names of its headers, never their values. */
export function toMcpServerResource(s: McpServerRecord): McpServerResource {
  return {
    id: s.id,
    name: s.name,
    url: s.url,
    headerNames: Object.keys(s.headers).sort(),
    active: s.active,
    createdAt: s.createdAt.toISOString(),
    updatedAt: s.updatedAt.toISOString(),
  };
}
