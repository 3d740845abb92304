import type { Agent, Conversation, Message, User } from "../db/models/index.js";

/** The JSON shapes of PROTOCOL.md section 3, as clients receive them. */
export interface UserResource {
  id: string;
  name: string | null;
  email: string | null;
  role: "user" | "admin";
  createdAt: string;
}

export interface AgentResource {
  id: string;
  name: string;
  description: string;
  provider: "openai" | "anthropic" | "groq" | "demo";
  model: string;
  systemPrompt: string;
  temperature: number;
  maxConversationTokens: number;
  contextTokens: number;
  conversationMemoryEnabled: boolean;
  autoGenerateSummary: boolean;
  active: boolean;
}

export interface ConversationResource {
  id: string;
  userId: string;
  agentId: string;
  title: string;
  status: "active" | "archived" | "deleted";
  totalMessages: number;
  totalTokensUsed: number;
  summary: string | null;
  tags: string[];
  createdAt: string;
  updatedAt: string;
  lastMessageAt: string | null;
  archivedAt: string | null;
  metadata: Record<string, unknown>;
}

export interface MessageResource {
  id: string;
  conversationId: string;
  seq: number;
  role: "user" | "assistant" | "system";
  content: string;
  status: "complete" | "streaming" | "cancelled" | "error" | "interrupted";
  clientMessageId: string | null;
  inputTokens: number | null;
  outputTokens: number | null;
  totalTokens: number | null;
  modelUsed: string | null;
  llmProvider: string | null;
  temperature: number | null;
  responseTimeMs: number | null;
  timeToFirstTokenMs: number | null;
  finishReason: string | null;
  error: { code: string; message: string } | null;
  createdAt: string;
  metadata: Record<string, unknown>;
}

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
