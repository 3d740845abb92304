import { z } from "zod";
import {
  decideBody,
  toolPart,
  acceptedInvite,
  addMemberBody,
  adminConversationDetail,
  createdInvite,
  createInviteBody,
  inviteList,
  memberList,
  memberResource,
  patchMemberBody,
  adminConversationsQuery,
  adminStats,
  adminUserList,
  adminUsersQuery,
  agentList,
  agentResource,
  archiveBody,
  checkoutBody,
  checkoutResult,
  conversationDetail,
  conversationExport,
  conversationList,
  conversationResource,
  createAgentBody,
  createConversationBody,
  createTemplateBody,
  devToken,
  devTokenBody,
  editBody,
  fileLink,
  fileList,
  signedFileQuery,
  uploadedFile,
  errorBody,
  exportQuery,
  listConversationsQuery,
  messagePage,
  messagesQuery,
  patchAgentBody,
  patchConversationBody,
  patchTemplateBody,
  postMessageBody,
  purgeBody,
  purgeResult,
  regenerateResult,
  stopResult,
  summaryResult,
  templateList,
  templateResource,
  treeResult,
  turnResult,
  userResource,
  userStats,
  createdTool,
  createMcpServerBody,
  createToolBody,
  importMcpToolsBody,
  mcpServerResource,
  offeredTool,
  patchMcpServerBody,
  patchToolBody,
  toolResource,
} from "../protocol/index.js";

/**
 * The OpenAPI 3 document of the REST API, generated from the zod schemas that validate the requests
 * and type the responses. A test checks that it lists exactly the routes Express serves.
 */
interface Operation {
  method: "get" | "post" | "patch" | "delete";
  /** Express syntax (`/conversations/:id`), under `/api/v1`. */
  path: string;
  summary: string;
  admin?: true;
  public?: true;
  body?: z.ZodType;
  /** A multipart upload of one file in field `file` (instead of a JSON body). */
  upload?: true;
  query?: z.ZodObject;
  /** The success response: its status and schema (none for 204). */
  ok: [number, z.ZodType | null, string?];
}

const toolList = z.object({ tools: z.array(toolResource) });
const mcpServerList = z.object({ mcpServers: z.array(mcpServerResource) });
const offeredTools = z.object({ tools: z.array(offeredTool) });

/** `/admin/tools` and `/admin/mcp-servers` (PROTOCOL.md: tools). */
const TOOL_OPERATIONS: Operation[] = [
  { method: "get", path: "/admin/tools", summary: "All tools", admin: true, ok: [200, toolList] },
  {
    method: "post",
    path: "/admin/tools",
    summary: "Define a tool (a webhook tool's secret is in this answer only)",
    admin: true,
    body: createToolBody,
    ok: [201, createdTool],
  },
  {
    method: "patch",
    path: "/admin/tools/:id",
    summary: "Change a tool",
    admin: true,
    body: patchToolBody,
    ok: [200, createdTool],
  },
  { method: "delete", path: "/admin/tools/:id", summary: "Delete a tool", admin: true, ok: [204, null] },
  {
    method: "post",
    path: "/admin/tools/:id/rotate-secret",
    summary: "A new signing secret for a webhook tool (shown in this answer only)",
    admin: true,
    ok: [200, createdTool],
  },
  {
    method: "get",
    path: "/admin/mcp-servers",
    summary: "All MCP servers (header values are never returned)",
    admin: true,
    ok: [200, mcpServerList],
  },
  {
    method: "post",
    path: "/admin/mcp-servers",
    summary: "Register an MCP server (Streamable HTTP)",
    admin: true,
    body: createMcpServerBody,
    ok: [201, mcpServerResource],
  },
  {
    method: "patch",
    path: "/admin/mcp-servers/:id",
    summary: "Change an MCP server",
    admin: true,
    body: patchMcpServerBody,
    ok: [200, mcpServerResource],
  },
  {
    method: "delete",
    path: "/admin/mcp-servers/:id",
    summary: "Delete an MCP server and the tools imported from it",
    admin: true,
    ok: [204, null],
  },
  {
    method: "get",
    path: "/admin/mcp-servers/:id/tools",
    summary: "The tools the MCP server offers",
    admin: true,
    ok: [200, offeredTools],
  },
  {
    method: "post",
    path: "/admin/mcp-servers/:id/import",
    summary: "Make tools of the MCP server's tools",
    admin: true,
    body: importMcpToolsBody,
    ok: [200, toolList],
  },
];

const errorResponse = z.object({ error: errorBody.omit({ retryAfterMs: true }) }).meta({ id: "Error" });

export const OPERATIONS: Operation[] = [
  { method: "get", path: "/openapi.json", summary: "This document", public: true, ok: [200, null] },
  {
    method: "post",
    path: "/dev/token",
    summary: "Development only: a role `user` token for any sub",
    public: true,
    body: devTokenBody,
    ok: [200, devToken],
  },
  { method: "get", path: "/me", summary: "The caller", ok: [200, userResource] },
  { method: "get", path: "/agents", summary: "The active agents", ok: [200, agentList] },
  {
    method: "get",
    path: "/templates",
    summary: "The active templates a conversation can start from",
    ok: [200, templateList],
  },
  {
    method: "post",
    path: "/conversations",
    summary: "Start a conversation (with initialMessage, its first turn starts as with message:send)",
    body: createConversationBody,
    ok: [201, conversationResource],
  },
  {
    method: "get",
    path: "/conversations",
    summary: "The caller's conversations, newest activity first",
    query: listConversationsQuery,
    ok: [200, conversationList],
  },
  {
    method: "get",
    path: "/conversations/:id",
    summary: "A conversation with its latest 50 messages",
    ok: [200, conversationDetail],
  },
  {
    method: "get",
    path: "/conversations/:id/messages",
    summary: "A page of the path ending at leaf (default: the head), before a seq, ascending",
    query: messagesQuery,
    ok: [200, messagePage],
  },
  {
    method: "post",
    path: "/conversations/:id/messages",
    summary:
      "Run a whole turn (also streamed to the room); 200 with duplicate: true for a repeated clientMessageId",
    body: postMessageBody,
    ok: [201, turnResult],
  },
  {
    method: "post",
    path: "/conversations/:id/messages/:messageId/edit",
    summary: "A new version of a user message (same parent), then its answer; the head moves to it",
    body: editBody,
    ok: [201, turnResult],
  },
  {
    method: "post",
    path: "/conversations/:id/messages/:messageId/regenerate",
    summary: "A new answer beside an ended one, sent the history of its path",
    ok: [201, regenerateResult],
  },
  {
    method: "post",
    path: "/conversations/:id/messages/:messageId/tools/:toolCallId/decision",
    summary: "Approve or deny a tool call waiting for approval; the first decision wins (409 conflict after)",
    body: decideBody,
    ok: [200, z.object({ part: toolPart })],
  },
  {
    method: "post",
    path: "/conversations/:id/files",
    summary: "Upload a file (multipart, field file; at most FILE_MAX_BYTES; type read from the bytes)",
    upload: true,
    ok: [201, uploadedFile],
  },
  {
    method: "get",
    path: "/conversations/:id/files",
    summary: "The conversation's files, oldest first",
    ok: [200, fileList],
  },
  {
    method: "get",
    path: "/files/:id/content",
    summary:
      "The file's bytes, to members; or with expires and signature (a signed link), to anyone holding the link",
    query: signedFileQuery,
    ok: [200, null, "the file's bytes, with its stored media type"],
  },
  {
    method: "get",
    path: "/files/:id/url",
    summary: "A signed link to the file's bytes, valid for 5 minutes, that needs no token",
    ok: [200, fileLink],
  },
  {
    method: "post",
    path: "/conversations/:id/checkout",
    summary: "Move the head to the newest message under messageId",
    body: checkoutBody,
    ok: [200, checkoutResult],
  },
  {
    method: "get",
    path: "/conversations/:id/members",
    summary: "The members, the owner first",
    ok: [200, memberList],
  },
  {
    method: "post",
    path: "/conversations/:id/members",
    summary: "Add a member (participant or viewer), or change its role (owner only)",
    body: addMemberBody,
    ok: [201, memberResource, "200 when the member existed and its role changed"],
  },
  {
    method: "patch",
    path: "/conversations/:id/members/:userId",
    summary: "Change a member's role; owner hands ownership on (owner only)",
    body: patchMemberBody,
    ok: [200, memberResource],
  },
  {
    method: "delete",
    path: "/conversations/:id/members/:userId",
    summary: "Remove a member (the owner), or leave (the member itself)",
    ok: [204, null],
  },
  {
    method: "post",
    path: "/conversations/:id/invites",
    summary: "Create an invite link (owner only); its token is shown once",
    body: createInviteBody,
    ok: [201, createdInvite],
  },
  {
    method: "get",
    path: "/conversations/:id/invites",
    summary: "The conversation's invites, without tokens (owner only)",
    ok: [200, inviteList],
  },
  {
    method: "delete",
    path: "/conversations/:id/invites/:inviteId",
    summary: "Revoke an invite (owner only)",
    ok: [204, null],
  },
  {
    method: "post",
    path: "/invites/:token/accept",
    summary: "Become a member with the invite's role",
    ok: [200, acceptedInvite],
  },
  {
    method: "get",
    path: "/conversations/:id/tree",
    summary: "Every message without its text, in seq order",
    ok: [200, treeResult],
  },
  {
    method: "post",
    path: "/conversations/:id/stop",
    summary: "Stop the answer being written",
    ok: [200, stopResult],
  },
  {
    method: "patch",
    path: "/conversations/:id",
    summary: "Rename, tag, set metadata",
    body: patchConversationBody,
    ok: [200, conversationResource],
  },
  {
    method: "post",
    path: "/conversations/:id/archive",
    summary: "Archive or unarchive",
    body: archiveBody,
    ok: [200, conversationResource],
  },
  { method: "delete", path: "/conversations/:id", summary: "Soft delete", ok: [204, null] },
  {
    method: "post",
    path: "/conversations/:id/summary",
    summary: "Have the conversation's agent write a summary",
    ok: [200, summaryResult],
  },
  {
    method: "get",
    path: "/conversations/:id/export",
    summary: "The whole tree as JSON; the path as Markdown or PDF",
    query: exportQuery,
    ok: [200, conversationExport],
  },
  {
    method: "get",
    path: "/stats",
    summary: "The caller's totals",
    ok: [200, userStats],
  },
  {
    method: "get",
    path: "/admin/stats",
    summary: "Totals across all nodes",
    admin: true,
    ok: [200, adminStats],
  },
  {
    method: "get",
    path: "/admin/users",
    summary: "Users with their conversation and token counts",
    admin: true,
    query: adminUsersQuery,
    ok: [200, adminUserList],
  },
  {
    method: "delete",
    path: "/admin/users/:id",
    summary: "Erase a user and all their data, and disconnect them",
    admin: true,
    ok: [204, null],
  },
  {
    method: "get",
    path: "/admin/conversations",
    summary: "Any user's conversations",
    admin: true,
    query: adminConversationsQuery,
    ok: [200, conversationList],
  },
  {
    method: "get",
    path: "/admin/conversations/:id",
    summary: "Any conversation with its latest 50 messages and its members",
    admin: true,
    ok: [200, adminConversationDetail],
  },
  {
    method: "get",
    path: "/admin/agents",
    summary: "All agents",
    admin: true,
    ok: [200, agentList],
  },
  {
    method: "post",
    path: "/admin/agents",
    summary: "Create an agent",
    admin: true,
    body: createAgentBody,
    ok: [201, agentResource],
  },
  {
    method: "patch",
    path: "/admin/agents/:id",
    summary: "Change an agent",
    admin: true,
    body: patchAgentBody,
    ok: [200, agentResource],
  },
  {
    method: "delete",
    path: "/admin/agents/:id",
    summary: "Deactivate an agent",
    admin: true,
    ok: [204, null],
  },
  {
    method: "get",
    path: "/admin/templates",
    summary: "All templates",
    admin: true,
    ok: [200, templateList],
  },
  {
    method: "post",
    path: "/admin/templates",
    summary: "Create a template",
    admin: true,
    body: createTemplateBody,
    ok: [201, templateResource],
  },
  {
    method: "patch",
    path: "/admin/templates/:id",
    summary: "Change a template",
    admin: true,
    body: patchTemplateBody,
    ok: [200, templateResource],
  },
  {
    method: "delete",
    path: "/admin/templates/:id",
    summary: "Deactivate a template",
    admin: true,
    ok: [204, null],
  },
  {
    method: "post",
    path: "/admin/maintenance/purge",
    summary: "Hard-delete conversations soft-deleted before olderThanDays",
    admin: true,
    body: purgeBody,
    ok: [200, purgeResult],
  },
  ...TOOL_OPERATIONS,
];

type JsonSchema = Record<string, unknown>;

/** zod to OpenAPI 3.0 JSON Schema, with named schemas moved into `components.schemas`. */
function jsonSchema(
  schema: z.ZodType,
  io: "input" | "output",
  components: Record<string, unknown>,
): JsonSchema {
  const converted = z.toJSONSchema(schema, {
    target: "openapi-3.0",
    io,
    unrepresentable: "any",
  }) as JsonSchema;
  const text = JSON.stringify(converted).replaceAll('"#/definitions/', '"#/components/schemas/');
  const { definitions, ...rest } = JSON.parse(text) as JsonSchema & { definitions?: Record<string, unknown> };
  Object.assign(components, definitions ?? {});
  const id = (schema.meta() as { id?: string } | undefined)?.id;
  if (id) {
    components[id] = rest;
    return { $ref: `#/components/schemas/${id}` };
  }
  return rest;
}

let cached: JsonSchema | undefined;

/** One operation of the document: its parameters, request body and responses. */
function operationObject(op: Operation, components: Record<string, unknown>, errorRef: JsonSchema) {
  const parameters: unknown[] = [...op.path.matchAll(/:(\w+)/g)].map((m) => ({
    name: m[1],
    in: "path",
    required: true,
    schema: { type: "string" },
  }));
  if (op.query) {
    const query = jsonSchema(op.query, "input", components) as { properties?: Record<string, unknown> };
    for (const [name, schema] of Object.entries(query.properties ?? {})) {
      parameters.push({ name, in: "query", required: false, schema });
    }
  }
  const [status, schema, description] = op.ok;
  const responses: Record<string, unknown> = {
    [status]: {
      description: description ?? "OK",
      ...(schema
        ? { content: { "application/json": { schema: jsonSchema(schema, "output", components) } } }
        : {}),
    },
    default: { description: "An error", content: { "application/json": { schema: errorRef } } },
  };
  return {
    summary: op.summary,
    ...(op.admin ? { tags: ["admin"] } : {}),
    ...(op.public ? { security: [] } : {}),
    ...(parameters.length ? { parameters } : {}),
    ...(op.upload
      ? {
          requestBody: {
            required: true,
            content: {
              "multipart/form-data": {
                schema: {
                  type: "object",
                  required: ["file"],
                  properties: { file: { type: "string", format: "binary" } },
                },
              },
            },
          },
        }
      : {}),
    ...(op.body
      ? {
          requestBody: {
            required: true,
            content: { "application/json": { schema: jsonSchema(op.body, "input", components) } },
          },
        }
      : {}),
    responses,
  };
}

export function openApiDocument(): JsonSchema {
  if (cached) return cached;
  const components: Record<string, unknown> = {};
  const errorRef = jsonSchema(errorResponse, "output", components);
  const paths: Record<string, Record<string, unknown>> = {};
  for (const op of OPERATIONS) {
    const path = op.path.replace(/:(\w+)/g, "{$1}");
    (paths[path] ??= {})[op.method] = operationObject(op, components, errorRef);
  }
  cached = {
    openapi: "3.0.3",
    info: {
      title: "Confab REST API",
      version: "1",
      description:
        "Conversations between people and AI assistants. Live events are on Socket.IO (/chat, /admin).",
    },
    servers: [{ url: "/api/v1" }],
    security: [{ bearer: [] }],
    paths,
    components: {
      schemas: components,
      securitySchemes: { bearer: { type: "http", scheme: "bearer", bearerFormat: "JWT" } },
    },
  };
  return cached;
}
