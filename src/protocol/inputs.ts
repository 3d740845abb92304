import { z } from "zod";
import { metadata } from "./metadata.js";
import {
  ASSISTANT_MODES,
  CONVERSATION_STATUSES,
  MEMBER_ROLES,
  MESSAGE_ROLES,
  PROVIDERS,
  TOOL_APPROVERS,
} from "./resources.js";
import { textProblem } from "./text.js";
import { FILE_MEDIA_TYPES, MAX_FILES_PER_MESSAGE } from "./files.js";

/**
 * What clients may send (PROTOCOL.md section 4, input limits), shared by REST and Socket.IO. Objects
 * are strict: an unknown field is a `validation_failed` naming it, never silently ignored.
 */
export const id = z.guid({ message: "must be a UUID" });

/**
 * A string of at most `max` characters that PostgreSQL stores exactly as sent: no NUL (it cannot
 * hold one) and no lone surrogate (it would silently become U+FFFD). Either is refused up front.
 */
export const text = (max: number) =>
  z
    .string()
    .max(max)
    .superRefine((s, ctx) => {
      const problem = textProblem(s);
      if (problem) ctx.addIssue({ code: "custom", message: problem });
    });

const notBlank = (max: number) => text(max).refine((s) => s.trim().length > 0, "must not be blank");
const notEmpty = (max: number) => text(max).refine((s) => s.length > 0, "must not be empty");

export const content = text(10_000)
  .refine((s) => s.length > 0, "must not be empty")
  .refine((s) => s.trim().length > 0, "must not be blank");

export const title = notBlank(255);
export const tags = z.array(notEmpty(50)).max(20);
export const clientMessageId = notEmpty(255);
export { metadata };

/** A query-string integer: digits only, so "1e2", " 5" or "" are refused rather than coerced. */
const queryInt = (min: number, max: number) =>
  z
    .string()
    .regex(/^\d{1,9}$/, "must be a whole number")
    .transform(Number)
    .pipe(z.number().int().min(min).max(max));

export const limit = queryInt(1, 100);
export const offset = queryInt(0, 1_000_000_000);

// --- REST: conversations ----------------------------------------------------------------------

/** With `agentId`, or with `templateId` (the template's agent, title and first messages). */
export const createConversationBody = z
  .strictObject({
    agentId: id.optional(),
    templateId: id.optional(),
    title: title.optional(),
    initialMessage: content.optional(),
    metadata: metadata.optional(),
  })
  .refine((b) => (b.agentId === undefined) !== (b.templateId === undefined), {
    message: "give either agentId or templateId",
    path: ["agentId"],
  });

/** A user's lists never show deleted conversations. */
export const listConversationsQuery = z.strictObject({
  status: z.enum(CONVERSATION_STATUSES).exclude(["deleted"]).optional(),
  role: z.enum(MEMBER_ROLES).optional(),
  agentId: id.optional(),
  limit: limit.default(50),
  offset: offset.default(0),
});

/** A page of the path ending at `leaf` (default: the head), before the message with seq `before`. */
export const messagesQuery = z.strictObject({
  before: queryInt(1, 2_000_000_000).optional(),
  leaf: id.optional(),
  limit: limit.default(50),
});

const messageFields = {
  /** May be empty when the message carries files. */
  content: text(10_000),
  clientMessageId: clientMessageId.optional(),
  metadata: metadata.optional(),
  /** In `manual` mode, whether this message asks the assistant to answer. */
  askAssistant: z.boolean().optional(),
  /** Files uploaded to the conversation and not sent yet: each becomes a `file` part. */
  fileIds: z
    .array(id)
    .max(MAX_FILES_PER_MESSAGE)
    .refine((ids) => new Set(ids).size === ids.length, "must not repeat a file")
    .optional(),
};
/** A message says something: its text is not blank, or it carries files. */
const saysSomething = (m: { content: string; fileIds?: string[] | undefined }, ctx: z.RefinementCtx) => {
  if (m.content.trim().length > 0 || (m.fileIds?.length ?? 0) > 0) return;
  ctx.addIssue({
    code: "custom",
    path: ["content"],
    message: m.content.length === 0 ? "must not be empty" : "must not be blank",
  });
};
const sendFields = { conversationId: id, ...messageFields };

export const postMessageBody = z.strictObject(messageFields).superRefine(saysSomething);

/** `GET /files/:id/content` through a signed link (`GET /files/:id/url`). */
export const signedFileQuery = z.strictObject({
  expires: z.string().optional().describe("unix seconds"),
  signature: z.string().optional().describe("hex HMAC"),
});

export const patchConversationBody = z
  .strictObject({
    title: title.optional(),
    tags: tags.optional(),
    metadata: metadata.optional(),
    assistantMode: z.enum(ASSISTANT_MODES).optional(),
    toolApproval: z.enum(TOOL_APPROVERS).optional(),
  })
  .refine((b) => Object.values(b).some((v) => v !== undefined), {
    message: "give at least one of title, tags, metadata, assistantMode, toolApproval",
  });

// --- REST: members and invites ----------------------------------------------------------------

/** The role a member is given: ownership is handed on only with PATCH (`owner`). */
const grantedRole = z.enum(MEMBER_ROLES).exclude(["owner"]);
export const addMemberBody = z.strictObject({ userId: notEmpty(255), role: grantedRole });
export const patchMemberBody = z.strictObject({ role: z.enum(MEMBER_ROLES) });
export const createInviteBody = z.strictObject({
  role: grantedRole,
  expiresInHours: z.number().int().min(1).max(720).default(168),
  maxUses: z.number().int().min(1).max(1000).optional(),
});
/** An invite's token, as a link carries it: 43 characters of base64url (256 random bits). */
export const inviteToken = z.string().regex(/^[A-Za-z0-9_-]{20,100}$/, "must be an invite token");

export const editBody = z.strictObject(messageFields).superRefine(saysSomething);

export const checkoutBody = z.strictObject({ messageId: id });

/** A request that takes no body (`POST …/regenerate`): nothing, or `{}`. */
export const emptyBody = z.strictObject({});

export const archiveBody = z.strictObject({ archive: z.boolean() });

export const exportQuery = z.strictObject({ format: z.enum(["json", "markdown", "pdf"]).default("json") });

export const devTokenBody = z.strictObject({ sub: notEmpty(255), name: notEmpty(255).optional() });

// --- REST: admin ------------------------------------------------------------------------------

export const userId = notEmpty(255);

export const adminUsersQuery = z.strictObject({ limit: limit.default(50), offset: offset.default(0) });

export const adminConversationsQuery = z.strictObject({
  userId: userId.optional(),
  status: z.enum(CONVERSATION_STATUSES).optional(),
  agentId: id.optional(),
  limit: limit.default(50),
  offset: offset.default(0),
});

export const purgeBody = z.strictObject({
  olderThanDays: z.number().int().min(0).max(36_500).default(90),
});

const budget = z.number().int().positive().max(10_000_000);

const agentFields = {
  name: notBlank(255),
  description: text(2000),
  provider: z.enum(PROVIDERS),
  model: notBlank(255),
  systemPrompt: text(20_000),
  temperature: z.number().min(0).max(2),
  maxConversationTokens: budget,
  contextTokens: budget,
  conversationMemoryEnabled: z.boolean(),
  autoGenerateSummary: z.boolean(),
  active: z.boolean(),
  starters: z.array(notBlank(200)).max(6),
  toolIds: z.array(id).max(64),
  maxSteps: z.number().int().min(1).max(50),
  reasoning: z.strictObject({ budgetTokens: z.number().int().min(1024).max(128_000) }).nullable(),
  acceptsFiles: z
    .array(z.enum(FILE_MEDIA_TYPES))
    .max(FILE_MEDIA_TYPES.length)
    .refine((types) => new Set(types).size === types.length, "must not repeat a media type"),
};

/** `POST /admin/agents`: name, provider and model are required; the rest has the documented defaults. */
export const createAgentBody = z.strictObject({
  name: agentFields.name,
  provider: agentFields.provider,
  model: agentFields.model,
  description: agentFields.description.optional(),
  systemPrompt: agentFields.systemPrompt.optional(),
  temperature: agentFields.temperature.optional(),
  maxConversationTokens: agentFields.maxConversationTokens.optional(),
  contextTokens: agentFields.contextTokens.optional(),
  conversationMemoryEnabled: agentFields.conversationMemoryEnabled.optional(),
  autoGenerateSummary: agentFields.autoGenerateSummary.optional(),
  active: agentFields.active.optional(),
  starters: agentFields.starters.optional(),
  toolIds: agentFields.toolIds.optional(),
  maxSteps: agentFields.maxSteps.optional(),
  reasoning: agentFields.reasoning.optional(),
  acceptsFiles: agentFields.acceptsFiles.optional(),
});

export const patchAgentBody = z
  .strictObject(
    Object.fromEntries(Object.entries(agentFields).map(([k, v]) => [k, v.optional()])) as {
      [K in keyof typeof agentFields]: z.ZodOptional<(typeof agentFields)[K]>;
    },
  )
  .refine((b) => Object.values(b).some((v) => v !== undefined), {
    message: "give at least one field to change",
  });

const templateFields = {
  name: notBlank(255),
  description: text(2000),
  agentId: id,
  title,
  messages: z
    .array(
      z.strictObject({
        role: z.enum(MESSAGE_ROLES),
        content: text(10_000).refine((s) => s.trim().length > 0, "must not be blank"),
      }),
    )
    .max(50),
  active: z.boolean(),
};

/** `POST /admin/templates`: name, agentId and messages are required. */
export const createTemplateBody = z.strictObject({
  name: templateFields.name,
  agentId: templateFields.agentId,
  messages: templateFields.messages,
  description: templateFields.description.optional(),
  title: templateFields.title.optional(),
  active: templateFields.active.optional(),
});

export const patchTemplateBody = z
  .strictObject(
    Object.fromEntries(Object.entries(templateFields).map(([k, v]) => [k, v.optional()])) as {
      [K in keyof typeof templateFields]: z.ZodOptional<(typeof templateFields)[K]>;
    },
  )
  .refine((b) => Object.values(b).some((v) => v !== undefined), {
    message: "give at least one field to change",
  });

// --- Socket.IO payloads -------------------------------------------------------------------------

export const joinPayload = z.strictObject({
  conversationId: id,
  afterSeq: z.number().int().min(0).optional(),
});
export const conversationPayload = z.strictObject({ conversationId: id });
export const sendPayload = z.strictObject(sendFields).superRefine(saysSomething);
export const refreshPayload = z.strictObject({ token: z.string().min(1).max(16_384) });
/** `message:edit`: a new user message beside `messageId` (same parent), then its answer. */
export const editPayload = z.strictObject({ ...sendFields, messageId: id }).superRefine(saysSomething);
/** `message:regenerate`: a new answer beside `messageId` (an ended answer). */
export const regeneratePayload = z.strictObject({ conversationId: id, messageId: id });
/** `conversation:checkout`: the head becomes the newest message under `messageId`. */
export const checkoutPayload = z.strictObject({ conversationId: id, messageId: id });
/** `typing`: whether the sender's tab is typing in the conversation (no ack). */
export const typingPayload = z.strictObject({ conversationId: id, typing: z.boolean() });

export type CreateConversationInput = z.output<typeof createConversationBody>;
export type ListConversationsInput = z.output<typeof listConversationsQuery>;
export type PatchConversationInput = z.output<typeof patchConversationBody>;
export type CreateAgentInput = z.output<typeof createAgentBody>;
export type PatchAgentInput = z.output<typeof patchAgentBody>;
export type AdminConversationsQuery = z.output<typeof adminConversationsQuery>;
export type SendInput = z.output<typeof sendPayload>;
export type AddMemberInput = z.output<typeof addMemberBody>;
export type CreateInviteInput = z.output<typeof createInviteBody>;
export type EditInput = z.output<typeof editPayload>;
export type CreateTemplateInput = z.output<typeof createTemplateBody>;
export type PatchTemplateInput = z.output<typeof patchTemplateBody>;
