import type { Principal } from "../../../src/auth/claims.js";
import type { AgentRecord, ConversationRecord, MessageRecord } from "../../../src/db/records.js";

let counter = 0;

/** A fresh id, unique in the test run (the fakes do not check the UUID format). */
export function newId(prefix: string): string {
  counter += 1;
  return `${prefix}-${counter}`;
}

export function principal(userId: string): Principal {
  return { userId, role: "user", expiresAt: new Date(Date.now() + 3_600_000) };
}

export function agentRecord(overrides: Partial<AgentRecord> = {}): AgentRecord {
  const at = new Date(0);
  return {
    id: newId("agent"),
    name: "Helper",
    description: "",
    provider: "demo",
    model: "demo-1",
    systemPrompt: "",
    temperature: 0.5,
    maxConversationTokens: 100_000,
    contextTokens: 4_000,
    conversationMemoryEnabled: true,
    autoGenerateSummary: false,
    active: true,
    starters: [],
    toolIds: [],
    maxSteps: 5,
    reasoning: null,
    acceptsFiles: ["text/plain"],
    createdAt: at,
    updatedAt: at,
    ...overrides,
  };
}

export function conversationRecord(
  fields: Pick<ConversationRecord, "userId" | "agentId"> & Partial<ConversationRecord>,
): ConversationRecord {
  const at = new Date(0);
  return {
    id: newId("conversation"),
    title: "New conversation",
    status: "active",
    totalMessages: 0,
    totalTokensUsed: 0,
    summary: null,
    summaryThroughSeq: 0,
    summaryThroughId: null,
    headId: null,
    assistantMode: "auto",
    toolApproval: "participant",
    tags: [],
    metadata: {},
    createdAt: at,
    updatedAt: at,
    lastMessageAt: null,
    archivedAt: null,
    deletedAt: null,
    ...fields,
  };
}

export function messageRecord(
  fields: Pick<MessageRecord, "conversationId" | "seq" | "role" | "status"> & Partial<MessageRecord>,
  at: Date,
): MessageRecord {
  return {
    id: newId("message"),
    parentId: null,
    authorId: null,
    authorName: null,
    content: "",
    parts: [],
    streamSeq: 0,
    answerState: null,
    clientMessageId: null,
    contentTokens: 0,
    inputTokens: null,
    outputTokens: null,
    totalTokens: null,
    modelUsed: null,
    llmProvider: null,
    temperature: null,
    responseTimeMs: null,
    timeToFirstTokenMs: null,
    finishReason: null,
    error: null,
    metadata: {},
    createdAt: at,
    updatedAt: at,
    ...fields,
  };
}
