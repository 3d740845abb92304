import type { PromptHistory } from "../../../src/chat/prompt.js";
import type {
  AgentRecord,
  BranchedMessage,
  ConversationRecord,
  MemberConversation,
  MessageRecord,
  Tx,
} from "../../../src/db/records.js";
import {
  DuplicateClientMessageId,
  type ConversationRepository,
  type MessageRepository,
  type NewTurn,
  type StoredTurn,
} from "../../../src/db/repositories/index.js";
import type { MemberRole, MessagePart } from "../../../src/protocol/index.js";
import { MESSAGE_OVERHEAD_TOKENS } from "../../../src/tokens/token-counter.js";
import { agentRecord, conversationRecord, messageRecord } from "./records.js";

/** The transaction the fake hands on: repositories only pass it along. */
const TX = {} as Tx;

type FakeConversations = Pick<
  ConversationRepository,
  "lock" | "turnContext" | "findById" | "ownersOf" | "findVisibleFor" | "setHead"
>;
type FakeMessages = Pick<
  MessageRepository,
  | "createTurn"
  | "findBranched"
  | "findByClientMessageId"
  | "answerTo"
  | "countStreaming"
  | "checkpoint"
  | "finish"
  | "awaitApproval"
  | "stale"
  | "markInterrupted"
  | "newestUnder"
>;

/**
 * The rows a turn touches, in memory, behind the repository methods the chat's services call. It
 * keeps the rules the SQL keeps: a turn moves its conversation on (count, head), a `clientMessageId`
 * is unique in its conversation, only a streaming answer is ended or interrupted, a checkpoint
 * renews the lease, and a transaction that throws leaves nothing behind. `now` is the database's
 * clock (what `updated_at` is set from and leases are compared with), moved by the tests.
 */
export class FakeChatStore {
  now = Date.UTC(2026, 0, 1);
  readonly conversationRows = new Map<string, ConversationRecord>();
  readonly agentRows = new Map<string, AgentRecord>();
  readonly messageRows = new Map<string, MessageRecord>();
  private readonly roles = new Map<string, MemberRole>();
  private readonly names = new Map<string, string>();
  /** What the next calls of `finish` throw, one each (the database away, a deadlock). */
  readonly finishFailures: unknown[] = [];
  /** What the next calls of `checkpoint` throw, one each. */
  readonly checkpointFailures: unknown[] = [];
  /** Every call of `checkpoint`, with the answers it was given. */
  readonly checkpointCalls: { id: string; content: string; parts: MessagePart[]; seq: number }[][] = [];
  /** How many transactions were begun. */
  transactions = 0;

  agent(overrides: Partial<AgentRecord> = {}): AgentRecord {
    const agent = agentRecord(overrides);
    this.agentRows.set(agent.id, agent);
    return agent;
  }

  /** A conversation with its agent, owned by `ownerId`. */
  conversation(
    ownerId: string,
    overrides: Partial<ConversationRecord> = {},
    agent: AgentRecord = this.agent(),
  ): ConversationRecord {
    const conversation = conversationRecord({ userId: ownerId, agentId: agent.id, ...overrides });
    this.conversationRows.set(conversation.id, conversation);
    this.member(conversation.id, ownerId, "owner");
    return conversation;
  }

  member(conversationId: string, userId: string, role: MemberRole, name?: string): void {
    this.roles.set(`${conversationId}:${userId}`, role);
    if (name !== undefined) this.names.set(userId, name);
  }

  /**
   * A conversation of `ownerId`'s with one turn on its path: a question, and its answer as `answer`
   * says (ended, or left streaming by a node that died).
   */
  seedTurn(
    ownerId: string,
    answer: Pick<MessageRecord, "status"> & Partial<MessageRecord>,
    overrides: Partial<ConversationRecord> = {},
  ): { conversation: ConversationRecord; question: MessageRecord; answer: MessageRecord } {
    const conversation = this.conversation(ownerId, overrides);
    const question = this.seed({ conversationId: conversation.id, seq: 1, role: "user", status: "complete" });
    const stored = this.seed({
      conversationId: conversation.id,
      seq: 2,
      role: "assistant",
      parentId: question.id,
      ...answer,
    });
    return { conversation: this.conversationRows.get(conversation.id)!, question, answer: stored };
  }

  /** A message stored as it is, moving its conversation on to it. */
  seed(fields: Parameters<typeof messageRecord>[0]): MessageRecord {
    const message = messageRecord(fields, new Date(this.now));
    this.messageRows.set(message.id, message);
    const conversation = this.conversationRows.get(message.conversationId)!;
    this.conversationRows.set(conversation.id, {
      ...conversation,
      totalMessages: Math.max(conversation.totalMessages, message.seq),
      headId: message.id,
    });
    return message;
  }

  message(id: string): MessageRecord | undefined {
    return this.messageRows.get(id);
  }

  messagesOf(conversationId: string): MessageRecord[] {
    return [...this.messageRows.values()]
      .filter((m) => m.conversationId === conversationId)
      .sort((a, b) => a.seq - b.seq);
  }

  async transaction<T>(work: (tx: Tx) => Promise<T>): Promise<T> {
    this.transactions += 1;
    const conversations = new Map(this.conversationRows);
    const messages = new Map(this.messageRows);
    try {
      return await work(TX);
    } catch (err) {
      restore(this.conversationRows, conversations);
      restore(this.messageRows, messages);
      throw err;
    }
  }

  readonly conversations: FakeConversations = {
    findById: (id) => later(() => copy(this.conversationRows.get(id))),
    lock: (id) => later(() => copy(this.conversationRows.get(id))),
    setHead: (id, headId) =>
      later(() => {
        const conversation = this.conversationRows.get(id);
        if (!conversation) return null;
        this.conversationRows.set(id, { ...conversation, headId });
        return { ...conversation, headId };
      }),
    ownersOf: (ids) =>
      later(
        () => new Map(ids.flatMap((id) => this.conversationRows.get(id) ?? []).map((c) => [c.id, c.userId])),
      ),
    findVisibleFor: (id, userId) =>
      later(() => {
        const conversation = this.conversationRows.get(id);
        if (!conversation || conversation.status === "deleted") return null;
        return { ...conversation, role: this.roleOf(id, userId) } satisfies MemberConversation;
      }),
    turnContext: (conversation, { caller, clientMessageId, leaseSeconds, targetId }) =>
      later(() => {
        const rows = this.messagesOf(conversation.id);
        const writing = rows.find((m) => m.status === "streaming");
        const target = rows.find((m) => m.id === targetId);
        const repeated = rows.find((m) => clientMessageId !== null && m.clientMessageId === clientMessageId);
        return {
          role: this.roleOf(conversation.id, caller),
          callerName: this.names.get(caller) ?? null,
          agent: copy(this.agentRows.get(conversation.agentId)),
          duplicateId: repeated?.id ?? null,
          writing: writing ? { id: writing.id, stale: this.isStale(writing, leaseSeconds) } : null,
          target: copy(target),
          targetParent: copy(target?.parentId ? this.messageRows.get(target.parentId) : undefined),
        };
      }),
  };

  readonly messages: FakeMessages = {
    createTurn: (turn) => later(() => this.createTurn(turn)),
    newestUnder: (fromId) => later(() => this.newestUnder(fromId)),
    findBranched: (id) => later(() => this.branchedOrNull(this.messageRows.get(id))),
    findByClientMessageId: (conversationId, clientMessageId) =>
      later(() => copy(this.messagesOf(conversationId).find((m) => m.clientMessageId === clientMessageId))),
    answerTo: (questionId) =>
      later(() =>
        copy(
          [...this.messageRows.values()]
            .filter((m) => m.parentId === questionId && m.role === "assistant")
            .sort((a, b) => a.seq - b.seq)[0],
        ),
      ),
    countStreaming: (conversationId) =>
      later(
        () =>
          [...this.messageRows.values()].filter(
            (m) =>
              m.status === "streaming" &&
              (conversationId === undefined || m.conversationId === conversationId),
          ).length,
      ),
    checkpoint: (answers) => later(() => this.checkpoint(answers)),
    finish: (id, fields) =>
      later(() => {
        if (this.finishFailures.length > 0) throw this.finishFailures.shift();
        return this.finish(id, fields);
      }),
    stale: (leaseSeconds, conversationId) =>
      later(() =>
        [...this.messageRows.values()]
          .filter((m) => m.status === "streaming" && this.isStale(m, leaseSeconds))
          .filter((m) => conversationId === undefined || m.conversationId === conversationId)
          .map((m) => ({ id: m.id, conversationId: m.conversationId })),
      ),
    markInterrupted: (ids, error) => later(() => this.markInterrupted(ids, error)),
    awaitApproval: (id, fields) =>
      later(() => {
        const row = this.messageRows.get(id);
        if (row?.status !== "streaming") return null;
        const waiting: MessageRecord = { ...row, ...fields, status: "awaiting_approval" };
        this.messageRows.set(id, waiting);
        return this.branched(waiting);
      }),
  };

  /** The history a prompt reads: every complete or cancelled message on the path, all of it. */
  readonly history: PromptHistory = {
    window: (fromId) =>
      later(() => {
        const path: MessageRecord[] = [];
        for (let m = fromId ? this.messageRows.get(fromId) : undefined; m;) {
          path.unshift(m);
          m = m.parentId ? this.messageRows.get(m.parentId) : undefined;
        }
        const kept = path.filter((m) => m.status === "complete" || m.status === "cancelled");
        return {
          messages: kept,
          reachedStart: true,
          tokens: kept.reduce((n, m) => n + m.contentTokens + MESSAGE_OVERHEAD_TOKENS, 0),
        };
      }),
    onPath: () => later(() => false),
  };

  private newestUnder(fromId: string): string {
    let id = fromId;
    for (;;) {
      const children = [...this.messageRows.values()].filter((m) => m.parentId === id);
      const newest = children.sort((a, b) => b.seq - a.seq)[0];
      if (!newest) return id;
      id = newest.id;
    }
  }

  private checkpoint(
    answers: { id: string; content: string; parts: MessagePart[]; seq: number }[],
  ): Set<string> {
    this.checkpointCalls.push(answers);
    if (this.checkpointFailures.length > 0) throw this.checkpointFailures.shift();
    const saved = new Set<string>();
    for (const { id, content, parts, seq } of answers) {
      const row = this.messageRows.get(id);
      if (row?.status !== "streaming") continue;
      this.messageRows.set(id, { ...row, content, parts, streamSeq: seq, updatedAt: new Date(this.now) });
      saved.add(id);
    }
    return saved;
  }

  private markInterrupted(ids: string[], error: { code: string; message: string }): BranchedMessage[] {
    return ids.flatMap((id) => {
      const row = this.messageRows.get(id);
      if (row?.status !== "streaming") return [];
      const interrupted: MessageRecord = {
        ...row,
        status: "interrupted",
        finishReason: "interrupted",
        error,
        updatedAt: new Date(this.now),
      };
      this.messageRows.set(id, interrupted);
      return [this.branched(interrupted)];
    });
  }

  private roleOf(conversationId: string, userId: string): MemberRole | null {
    return this.roles.get(`${conversationId}:${userId}`) ?? null;
  }

  private isStale(message: MessageRecord, leaseSeconds: number): boolean {
    return message.updatedAt.getTime() < this.now - leaseSeconds * 1000;
  }

  private createTurn(turn: NewTurn): StoredTurn {
    const { question: q, answer: a, conversationId } = turn;
    const taken = this.messagesOf(conversationId).some(
      (m) => q?.clientMessageId && m.clientMessageId === q.clientMessageId,
    );
    if (taken) throw new DuplicateClientMessageId({ cause: new Error("unique violation") });
    const at = new Date(this.now);
    const question = q
      ? messageRecord(
          {
            conversationId,
            seq: turn.seq,
            role: "user",
            status: "complete",
            parentId: q.parentId,
            content: q.content,
            clientMessageId: q.clientMessageId,
            contentTokens: q.contentTokens,
            metadata: q.metadata,
            authorId: q.author.id,
            authorName: q.author.name,
          },
          at,
        )
      : null;
    const answer = a
      ? messageRecord(
          {
            conversationId,
            seq: question ? turn.seq + 1 : turn.seq,
            role: "assistant",
            status: "streaming",
            parentId: question?.id ?? turn.answerParentId ?? null,
            ...a,
          },
          at,
        )
      : null;
    const last = (answer ?? question)!;
    for (const m of [question, answer]) if (m) this.messageRows.set(m.id, m);
    const moved = {
      ...this.conversationRows.get(conversationId)!,
      totalMessages: last.seq,
      lastMessageAt: at,
      updatedAt: at,
      headId: last.id,
    };
    this.conversationRows.set(conversationId, moved);
    return {
      question: question && this.branched(question),
      answer: answer && this.branched(answer),
      conversation: { ...moved },
    };
  }

  private finish(id: string, fields: Partial<MessageRecord> & { totalTokens: number | null }) {
    const row = this.messageRows.get(id);
    if (row?.status !== "streaming") return null;
    const set = Object.fromEntries(Object.entries(fields).filter(([, v]) => v !== undefined));
    const ended: MessageRecord = { ...row, ...set, updatedAt: new Date(this.now) };
    this.messageRows.set(id, ended);
    const conversation = this.conversationRows.get(row.conversationId)!;
    const charged = {
      ...conversation,
      totalTokensUsed: conversation.totalTokensUsed + Math.max(0, fields.totalTokens ?? 0),
    };
    this.conversationRows.set(charged.id, charged);
    return { message: this.branched(ended), conversation: { ...charged } };
  }

  private branchedOrNull(message: MessageRecord | undefined): BranchedMessage | null {
    return message ? this.branched(message) : null;
  }

  private branched(message: MessageRecord): BranchedMessage {
    const siblings = this.messagesOf(message.conversationId).filter((m) => m.parentId === message.parentId);
    return {
      ...message,
      branch: { index: siblings.filter((m) => m.seq <= message.seq).length, count: siblings.length },
    };
  }
}

/** Runs `work` as a query would: later, its error a rejection. */
function later<T>(work: () => T): Promise<T> {
  return Promise.resolve().then(work);
}

function copy<T extends object>(row: T | undefined): T | null {
  return row ? { ...row } : null;
}

function restore<K, V>(target: Map<K, V>, saved: Map<K, V>): void {
  target.clear();
  for (const [key, value] of saved) target.set(key, value);
}
