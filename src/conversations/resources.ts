import { z } from "zod";
import type { Agent, Conversation, Message, User } from "../db/models/index.js";

/**
 * The JSON shapes of PROTOCOL.md section 3, as clients receive them. Written as zod schemas so that
 * the OpenAPI document is generated from the same definitions the types come from.
 */
const isoTime = z.string().describe("ISO 8601 time");
const nullableIso = isoTime.nullable();

export const userResource = z
  .object({
    id: z.string().describe("the `sub` of the user's tokens"),
    name: z.string().nullable(),
    email: z.string().nullable(),
    role: z.enum(["user", "admin"]),
    createdAt: isoTime,
  })
  .meta({ id: "User" });

export const agentResource = z
  .object({
    id: z.string(),
    name: z.string(),
    description: z.string(),
    provider: z.enum(["openai", "anthropic", "groq", "demo"]),
    model: z.string(),
    systemPrompt: z.string(),
    temperature: z.number(),
    maxConversationTokens: z.number().int(),
    contextTokens: z.number().int(),
    conversationMemoryEnabled: z.boolean(),
    autoGenerateSummary: z.boolean(),
    active: z.boolean(),
  })
  .meta({ id: "Agent" });

export const conversationResource = z
  .object({
    id: z.string(),
    userId: z.string(),
    agentId: z.string(),
    title: z.string(),
    status: z.enum(["active", "archived", "deleted"]),
    totalMessages: z.number().int(),
    totalTokensUsed: z.number().int(),
    summary: z.string().nullable(),
    tags: z.array(z.string()),
    createdAt: isoTime,
    updatedAt: isoTime,
    lastMessageAt: nullableIso,
    archivedAt: nullableIso,
    metadata: z.record(z.string(), z.unknown()),
  })
  .meta({ id: "Conversation" });

export const messageResource = z
  .object({
    id: z.string(),
    conversationId: z.string(),
    seq: z.number().int(),
    role: z.enum(["user", "assistant", "system"]),
    content: z.string(),
    status: z.enum(["complete", "streaming", "cancelled", "error", "interrupted"]),
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
    error: z.object({ code: z.string(), message: z.string() }).nullable(),
    createdAt: isoTime,
    metadata: z.record(z.string(), z.unknown()),
  })
  .meta({ id: "Message" });

export type UserResource = z.infer<typeof userResource>;
export type AgentResource = z.infer<typeof agentResource>;
export type ConversationResource = z.infer<typeof conversationResource>;
export type MessageResource = z.infer<typeof messageResource>;

const iso = (d: Date | null | undefined) => (d ? d.toISOString() : null);

export function toUserResource(u: User): UserResource {
  return { id: u.id, name: u.name, email: u.email, role: u.role, createdAt: u.createdAt.toISOString() };
}

export function toAgentResource(a: Agent): AgentResource {
  return {
    id: a.id,
    name: a.name,
    description: a.description,
    provider: a.provider,
    model: a.model,
    systemPrompt: a.systemPrompt,
    temperature: a.temperature,
    maxConversationTokens: a.maxConversationTokens,
    contextTokens: a.contextTokens,
    conversationMemoryEnabled: a.conversationMemoryEnabled,
    autoGenerateSummary: a.autoGenerateSummary,
    active: a.active,
  };
}

export function toConversationResource(c: Conversation): ConversationResource {
  return {
    id: c.id,
    userId: c.userId,
    agentId: c.agentId,
    title: c.title,
    status: c.status,
    totalMessages: c.totalMessages,
    totalTokensUsed: c.totalTokensUsed,
    summary: c.summary ?? null,
    tags: c.tags,
    createdAt: c.createdAt.toISOString(),
    updatedAt: c.updatedAt.toISOString(),
    lastMessageAt: iso(c.lastMessageAt),
    archivedAt: iso(c.archivedAt),
    metadata: c.metadata,
  };
}

export function toMessageResource(m: Message): MessageResource {
  return {
    id: m.id,
    conversationId: m.conversationId,
    seq: m.seq,
    role: m.role,
    content: m.content,
    status: m.status,
    clientMessageId: m.clientMessageId ?? null,
    inputTokens: m.inputTokens ?? null,
    outputTokens: m.outputTokens ?? null,
    totalTokens: m.totalTokens ?? null,
    modelUsed: m.modelUsed ?? null,
    llmProvider: m.llmProvider ?? null,
    temperature: m.temperature ?? null,
    responseTimeMs: m.responseTimeMs ?? null,
    timeToFirstTokenMs: m.timeToFirstTokenMs ?? null,
    finishReason: m.finishReason ?? null,
    error: m.error ?? null,
    createdAt: m.createdAt.toISOString(),
    metadata: m.metadata,
  };
}
