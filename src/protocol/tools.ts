import { z } from "zod";
import { id, text } from "./inputs.js";

/**
 * Tools an admin defines and gives to agents, and the MCP servers they may come from (PROTOCOL.md:
 * tools): their resources and the inputs that create, change and decide them.
 */
export const TOOL_APPROVALS = ["never", "always"] as const;
export type ToolApprovalMode = (typeof TOOL_APPROVALS)[number];

/** A name every vendor accepts for a function: letters, digits, `_` and `-`, at most 64. */
export const toolName = z.string().regex(/^[A-Za-z0-9_-]{1,64}$/, "must be 1-64 letters, digits, _ or -");

/** A JSON Schema for an object (a tool's input): checked to compile when the tool is saved. */
export const inputSchema = z
  .record(z.string(), z.unknown())
  .refine((s) => s.type === "object", 'must be a JSON Schema with type "object"');

const httpUrl = z
  .string()
  .max(2000)
  .refine((u) => {
    try {
      const { protocol } = new URL(u);
      return protocol === "http:" || protocol === "https:";
    } catch {
      return false;
    }
  }, "must be an http(s) URL");

export const toolExecution = z.discriminatedUnion("type", [
  z.strictObject({ type: z.literal("webhook"), url: httpUrl }),
  z.strictObject({ type: z.literal("mcp"), serverId: id, toolName: z.string().min(1).max(200) }),
  z.strictObject({ type: z.literal("builtin"), name: z.string().min(1).max(64) }),
]);
export type ToolExecution = z.output<typeof toolExecution>;

export const toolResource = z
  .object({
    id: z.string(),
    name: toolName,
    description: z.string(),
    inputSchema: z.record(z.string(), z.unknown()),
    execution: toolExecution,
    approval: z.enum(TOOL_APPROVALS),
    timeoutMs: z.number().int(),
    active: z.boolean(),
    createdAt: z.string(),
    updatedAt: z.string(),
  })
  .meta({ id: "Tool" });

/** A webhook tool as its creator receives it once (and after a rotation): with its signing secret. */
export const createdTool = toolResource.extend({ secret: z.string().optional() }).meta({ id: "CreatedTool" });

export const mcpServerResource = z
  .object({
    id: z.string(),
    name: z.string(),
    url: z.string(),
    /** The names of the headers set (their values are write-only). */
    headerNames: z.array(z.string()),
    active: z.boolean(),
    createdAt: z.string(),
    updatedAt: z.string(),
  })
  .meta({ id: "McpServer" });

/** A tool an MCP server offers (`GET /admin/mcp-servers/:id/tools`). */
export const offeredTool = z.object({
  name: z.string(),
  description: z.string(),
  inputSchema: z.record(z.string(), z.unknown()),
});

const toolFields = {
  name: toolName,
  description: text(2000),
  inputSchema,
  execution: toolExecution,
  approval: z.enum(TOOL_APPROVALS),
  timeoutMs: z.number().int().min(100).max(600_000),
  active: z.boolean(),
};

/** `POST /admin/tools`: name, inputSchema and execution are required. */
export const createToolBody = z.strictObject({
  name: toolFields.name,
  inputSchema: toolFields.inputSchema,
  execution: toolFields.execution,
  description: toolFields.description.optional(),
  approval: toolFields.approval.optional(),
  timeoutMs: toolFields.timeoutMs.optional(),
  active: toolFields.active.optional(),
});

export const patchToolBody = z
  .strictObject({
    name: toolFields.name.optional(),
    description: toolFields.description.optional(),
    inputSchema: toolFields.inputSchema.optional(),
    execution: toolFields.execution.optional(),
    approval: toolFields.approval.optional(),
    timeoutMs: toolFields.timeoutMs.optional(),
    active: toolFields.active.optional(),
  })
  .refine((b) => Object.values(b).some((v) => v !== undefined), {
    message: "give at least one field to change",
  });

const headers = z.record(z.string().regex(/^[A-Za-z0-9-]{1,100}$/), z.string().max(4000));

export const createMcpServerBody = z.strictObject({
  name: text(255).refine((s) => s.trim().length > 0, "must not be blank"),
  url: httpUrl,
  headers: headers.optional(),
  active: z.boolean().optional(),
});

export const patchMcpServerBody = z
  .strictObject({
    name: text(255)
      .refine((s) => s.trim().length > 0, "must not be blank")
      .optional(),
    url: httpUrl.optional(),
    headers: headers.optional(),
    active: z.boolean().optional(),
  })
  .refine((b) => Object.values(b).some((v) => v !== undefined), {
    message: "give at least one field to change",
  });

export const importMcpToolsBody = z.strictObject({
  toolNames: z.array(z.string().min(1).max(200)).max(100).optional(),
  approval: z.enum(TOOL_APPROVALS).default("always"),
});

/** `tool:decide`, and the body of its REST route (which takes the ids from the path). */
export const decideBody = z.strictObject({ approved: z.boolean(), reason: text(1000).optional() });
export const decidePayload = decideBody.extend({
  conversationId: id,
  messageId: id,
  toolCallId: z.string().min(1).max(200),
});

export type ToolResource = z.output<typeof toolResource>;
export type CreatedTool = z.output<typeof createdTool>;
export type McpServerResource = z.output<typeof mcpServerResource>;
export type OfferedTool = z.output<typeof offeredTool>;
export type CreateToolInput = z.output<typeof createToolBody>;
export type PatchToolInput = z.output<typeof patchToolBody>;
export type CreateMcpServerInput = z.output<typeof createMcpServerBody>;
export type PatchMcpServerInput = z.output<typeof patchMcpServerBody>;
export type ImportMcpToolsInput = z.output<typeof importMcpToolsBody>;
export type DecideInput = z.output<typeof decidePayload>;
