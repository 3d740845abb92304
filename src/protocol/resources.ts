import { z } from "zod";
import { messagePart } from "./parts.js";

/**
 * The JSON shapes of PROTOCOL.md section 3, as clients receive them. Written once, as zod schemas:
 * the TypeScript types and the OpenAPI document both come from them.
 */
const isoTime = z.string().describe("ISO 8601 time");
const nullableIso = isoTime.nullable();

export const PROVIDERS = ["openai", "anthropic", "groq", "demo"] as const;
export type ProviderName = (typeof PROVIDERS)[number];

export const ROLES = ["user", "admin"] as const;
export const CONVERSATION_STATUSES = ["active", "archived", "deleted"] as const;
export const MESSAGE_ROLES = ["user", "assistant", "system"] as const;
export const MESSAGE_STATUSES = [
  "complete",
  "streaming",
  "awaiting_approval",
  "cancelled",
  "error",
  "interrupted",
] as const;
/** Who may decide a tool call in a conversation: any participant (and the owner), or only the owner. */
export const TOOL_APPROVERS = ["participant", "owner"] as const;
export type ToolApprover = (typeof TOOL_APPROVERS)[number];
/** A member's role in a conversation, from the least to the most it may do. */
export const MEMBER_ROLES = ["viewer", "participant", "owner"] as const;
export type MemberRole = (typeof MEMBER_ROLES)[number];
/** Who answers in a conversation: each user message, only when asked, or nobody. */
export const ASSISTANT_MODES = ["auto", "manual", "off"] as const;
export type AssistantMode = (typeof ASSISTANT_MODES)[number];

export const userResource = z
  .object({
    id: z.string().describe("the `sub` of the user's tokens"),
    name: z.string().nullable(),
    email: z.string().nullable(),
    role: z.enum(ROLES),
    createdAt: isoTime,
  })
  .meta({ id: "User" });

export const agentResource = z
  .object({
    id: z.string(),
    name: z.string(),
    description: z.string(),
    provider: z.enum(PROVIDERS),
    model: z.string(),
    systemPrompt: z.string(),
    temperature: z.number(),
    maxConversationTokens: z.number().int(),
    contextTokens: z.number().int(),
    conversationMemoryEnabled: z.boolean(),
    autoGenerateSummary: z.boolean(),
    active: z.boolean(),
    starters: z.array(z.string()).describe("prompts a widget offers on an empty conversation"),
    toolIds: z.array(z.string()).describe("the tools the agent may call"),
    maxSteps: z.number().int().describe("model calls per answer"),
    reasoning: z
      .object({ budgetTokens: z.number().int() })
      .nullable()
      .describe("extended thinking, where the vendor has it (Anthropic)"),
    acceptsFiles: z.array(z.string()).describe("the media types of files the agent's model reads"),
  })
  .meta({ id: "Agent" });

export const conversationResource = z
  .object({
    id: z.string(),
    userId: z.string(),
    agentId: z.string(),
    title: z.string(),
    status: z.enum(CONVERSATION_STATUSES),
    totalMessages: z.number().int(),
    totalTokensUsed: z.number().int(),
    summary: z.string().nullable(),
    tags: z.array(z.string()),
    createdAt: isoTime,
    updatedAt: isoTime,
    lastMessageAt: nullableIso,
    archivedAt: nullableIso,
    metadata: z.record(z.string(), z.unknown()),
    headId: z.string().nullable().describe("the newest message of the path the conversation shows"),
    role: z
      .enum(MEMBER_ROLES)
      .nullable()
      .describe("the caller's role in the conversation; null only in /admin answers (an admin is no member)"),
    assistantMode: z.enum(ASSISTANT_MODES),
    toolApproval: z.enum(TOOL_APPROVERS).describe("who may decide the assistant's tool calls"),
  })
  .meta({ id: "Conversation" });

export const memberResource = z
  .object({
    userId: z.string(),
    name: z.string().describe("the user's name, or its id when it has none"),
    role: z.enum(MEMBER_ROLES),
    joinedAt: isoTime,
    online: z.boolean().describe("whether it has a tab joined to the conversation, on any node"),
  })
  .meta({ id: "Member" });

/** Someone with a tab joined to a conversation. */
export const presentUser = z.object({ userId: z.string(), name: z.string() });

export const inviteResource = z
  .object({
    id: z.string(),
    role: z.enum(MEMBER_ROLES).exclude(["owner"]),
    expiresAt: isoTime,
    maxUses: z.number().int().nullable(),
    uses: z.number().int(),
    revoked: z.boolean(),
    createdAt: isoTime,
  })
  .meta({ id: "Invite" });

/** An invite as its creator receives it once: with the token a link carries (never stored). */
export const createdInvite = inviteResource.extend({ token: z.string() }).meta({ id: "CreatedInvite" });

/** Who wrote a user message. */
export const author = z.object({ id: z.string(), name: z.string() });

export const messageError = z.object({ code: z.string(), message: z.string() });

/** A message's place among the messages that share its parent: 1-based, in `seq` order. */
export const branch = z.object({ index: z.number().int(), count: z.number().int() });

export const messageResource = z
  .object({
    id: z.string(),
    conversationId: z.string(),
    seq: z.number().int(),
    parentId: z.string().nullable().describe("the message it follows on its path"),
    branch,
    role: z.enum(MESSAGE_ROLES),
    author: author
      .nullable()
      .describe(
        "the member who wrote a user message; null for answers, a template's messages, an erased user",
      ),
    content: z.string().describe("the text of its text parts"),
    parts: z.array(messagePart),
    status: z.enum(MESSAGE_STATUSES),
    clientMessageId: z.string().nullable(),
    inputTokens: z.number().int().nullable(),
    outputTokens: z.number().int().nullable(),
    totalTokens: z.number().int().nullable(),
    modelUsed: z.string().nullable(),
    llmProvider: z.string().nullable(),
    temperature: z.number().nullable(),
    responseTimeMs: z.number().int().nullable(),
    timeToFirstTokenMs: z.number().int().nullable(),
    finishReason: z.string().nullable(),
    error: messageError.nullable(),
    createdAt: isoTime,
    metadata: z.record(z.string(), z.unknown()),
  })
  .meta({ id: "Message" });

/** A file uploaded to a conversation (PROTOCOL.md: files). */
export const fileResource = z
  .object({
    id: z.string(),
    conversationId: z.string(),
    name: z.string().describe("the name it was uploaded with: a display name, never a path"),
    mediaType: z.string().describe("read from its bytes"),
    size: z.number().int(),
    sha256: z.string().describe("hex"),
    width: z.number().int().optional().describe("an image's width in pixels"),
    height: z.number().int().optional().describe("an image's height in pixels"),
    uploadedBy: author,
    /** The user message it was sent with; null until it is sent. */
    messageId: z.string().nullable(),
    createdAt: isoTime,
  })
  .meta({ id: "File" });

/** A message of the tree, without its text (`GET /conversations/:id/tree`). */
export const treeNode = z.object({
  id: z.string(),
  parentId: z.string().nullable(),
  seq: z.number().int(),
  role: z.enum(MESSAGE_ROLES),
  status: z.enum(MESSAGE_STATUSES),
  createdAt: isoTime,
  branch,
});

export const templateMessage = z.object({ role: z.enum(MESSAGE_ROLES), content: z.string() });

export const templateResource = z
  .object({
    id: z.string(),
    name: z.string(),
    description: z.string(),
    agentId: z.string(),
    title: z.string(),
    messages: z.array(templateMessage),
    active: z.boolean(),
  })
  .meta({ id: "Template" });

/**
 * An answer still being written (or waiting for approval): its text and parts so far, which cover its
 * events up to `seq`.
 */
export const generationSnapshot = z.object({
  messageId: z.string(),
  seq: z.number().int(),
  content: z.string(),
  parts: z.array(messagePart),
});

export type UserResource = z.output<typeof userResource>;
export type AgentResource = z.output<typeof agentResource>;
export type ConversationResource = z.output<typeof conversationResource>;
export type MessageResource = z.output<typeof messageResource>;
export type FileResource = z.output<typeof fileResource>;
export type MessageStatus = MessageResource["status"];
export type GenerationSnapshot = z.output<typeof generationSnapshot>;
export type Branch = z.output<typeof branch>;
export type TreeNode = z.output<typeof treeNode>;
export type TemplateMessage = z.output<typeof templateMessage>;
export type TemplateResource = z.output<typeof templateResource>;
export type MemberResource = z.output<typeof memberResource>;
export type PresentUser = z.output<typeof presentUser>;
export type InviteResource = z.output<typeof inviteResource>;
export type CreatedInvite = z.output<typeof createdInvite>;
export type Author = z.output<typeof author>;
