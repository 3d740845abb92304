import type {
  AgentRecord,
  BranchedMessage,
  ConversationRecord,
  InviteRecord,
  NamedMember,
  TemplateRecord,
  UserRecord,
} from "../db/records.js";
import type {
  AgentResource,
  ConversationResource,
  InviteResource,
  MemberResource,
  MessageResource,
  TemplateResource,
  UserResource,
} from "../protocol/index.js";

export type { AgentResource, ConversationResource, MessageResource, UserResource };

/** Stored rows as clients receive them (the shapes of src/protocol/resources.ts). */
const iso = (d: Date | null | undefined) => (d ? d.toISOString() : null);

export function toUserResource(u: UserRecord): UserResource {
  return { id: u.id, name: u.name, email: u.email, role: u.role, createdAt: u.createdAt.toISOString() };
}

export function toAgentResource(a: AgentRecord): AgentResource {
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
    starters: a.starters,
    toolIds: a.toolIds,
    maxSteps: a.maxSteps,
    reasoning: a.reasoning ?? null,
    acceptsFiles: a.acceptsFiles,
  };
}

/** A conversation as a caller with this role sees it (null: an admin, who is no member). */
export function toConversationResource(
  c: ConversationRecord,
  role: ConversationResource["role"],
): ConversationResource {
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
    headId: c.headId ?? null,
    role,
    assistantMode: c.assistantMode,
    toolApproval: c.toolApproval,
  };
}

/** A member, with whether it has a tab joined anywhere (from presence, never the database). */
export function toMemberResource(m: NamedMember, online: boolean): MemberResource {
  return { userId: m.userId, name: m.name, role: m.role, joinedAt: m.joinedAt.toISOString(), online };
}

export function toInviteResource(i: InviteRecord): InviteResource {
  return {
    id: i.id,
    role: i.role,
    expiresAt: i.expiresAt.toISOString(),
    maxUses: i.maxUses ?? null,
    uses: i.uses,
    revoked: i.revokedAt !== null && i.revokedAt !== undefined,
    createdAt: i.createdAt.toISOString(),
  };
}

export function toMessageResource(m: BranchedMessage): MessageResource {
  return {
    id: m.id,
    conversationId: m.conversationId,
    seq: m.seq,
    parentId: m.parentId ?? null,
    branch: m.branch,
    role: m.role,
    author: m.authorId ? { id: m.authorId, name: m.authorName ?? m.authorId } : null,
    content: m.content,
    parts: m.parts,
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

export function toTemplateResource(t: TemplateRecord): TemplateResource {
  return {
    id: t.id,
    name: t.name,
    description: t.description,
    agentId: t.agentId,
    title: t.title,
    messages: t.messages,
    active: t.active,
  };
}
