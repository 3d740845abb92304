import type { FileService } from "../files/file-service.js";
import type { Principal } from "../auth/claims.js";
import type { AgentRecord, ConversationRecord, MemberConversation, TemplateRecord } from "../db/records.js";
import type { Repositories } from "../db/repositories/index.js";
import type { ConversationFilter } from "../db/repositories/index.js";
import { AppError, notFound } from "../errors.js";
import type {
  ConversationDetail,
  ConversationExport,
  ConversationList,
  ConversationResource,
  ListConversationsInput,
  MemberRole,
  MessagePage,
  PatchConversationInput,
  TreeResult,
  UserStats,
} from "../protocol/index.js";
import { exportConversation } from "./conversation-export.js";
import type { ConversationAction, ConversationPolicy } from "./conversation-policy.js";
import { MessageHistory } from "./message-history.js";
import type { Notifier } from "./notifier.js";
import { toConversationResource, toMessageResource } from "./resources.js";
import { countTextTokens } from "../tokens/token-counter.js";

export const DEFAULT_TITLE = "New conversation";

/** The paging fields of every list: `page` is `offset / limit + 1`. */
export function pageOf(query: { limit: number; offset: number }, total: number, shown: number) {
  return {
    total,
    page: Math.floor(query.offset / query.limit) + 1,
    pageSize: query.limit,
    hasMore: query.offset + shown < total,
  };
}

export interface ConversationServiceDeps {
  repositories: Pick<Repositories, "conversations" | "messages" | "agents" | "templates">;
  policy: ConversationPolicy;
  notifier: Notifier;
  /** A deleted conversation's files go with it; none: no files. */
  files?: Pick<FileService, "deleteOfConversations" | "resourcesOf"> | undefined;
}

/** The rules of a user's conversations: listing, reading, changes, soft deletion, stats. */
export class ConversationService {
  readonly history: MessageHistory;

  constructor(private readonly deps: ConversationServiceDeps) {
    this.history = new MessageHistory({ messages: deps.repositories.messages });
  }

  private get repos() {
    return this.deps.repositories;
  }

  /** The conversation with the caller's role, if it may do `action` with it (the access policy decides). */
  require(
    principal: Principal,
    id: string,
    action: ConversationAction,
  ): Promise<ConversationRecord & { role: MemberRole }> {
    return this.deps.policy.require(principal, id, action);
  }

  async activeAgent(agentId: string): Promise<AgentRecord> {
    const agent = await this.repos.agents.findById(agentId);
    if (!agent || !agent.active) throw notFound("agent");
    return agent;
  }

  /**
   * A new conversation with an agent, or from a template: its agent, title and messages (a straight
   * path from `seq` 1, complete, costing nothing).
   */
  async create(
    principal: Principal,
    input: {
      agentId?: string | undefined;
      templateId?: string | undefined;
      title?: string | undefined;
      metadata?: Record<string, unknown> | undefined;
    },
  ): Promise<ConversationRecord & { role: MemberRole }> {
    const template = input.templateId ? await this.usableTemplate(input.templateId) : null;
    const agentId = template?.agentId ?? input.agentId;
    if (agentId === undefined) throw notFound("agent");
    const agent = await this.activeAgent(agentId);
    const fields = {
      userId: principal.userId,
      agentId: agent.id,
      title: input.title?.trim() ?? template?.title ?? DEFAULT_TITLE,
      metadata: input.metadata ?? {},
    };
    const conversation = template
      ? await this.repos.conversations.createWithMessages(
          fields,
          await Promise.all(
            template.messages.map(async (m) => ({ ...m, contentTokens: await countTextTokens(m.content) })),
          ),
        )
      : await this.repos.conversations.create(fields);
    this.deps.notifier.conversationUpdated(conversation);
    this.deps.notifier.activity({
      type: "conversation.created",
      at: new Date().toISOString(),
      userId: conversation.userId,
      conversationId: conversation.id,
      agentId: conversation.agentId,
    });
    return { ...conversation, role: "owner" };
  }

  private async usableTemplate(id: string): Promise<TemplateRecord> {
    const template = await this.repos.templates.findById(id);
    if (!template || !template.active) throw notFound("template");
    return template;
  }

  /** The conversations the caller is a member of, each with its role there. */
  async list(principal: Principal, query: ListConversationsInput): Promise<ConversationList> {
    const { memberId } = this.deps.policy.listScope(principal);
    const { rows, count } = await this.repos.conversations.listForMember(
      memberId,
      { status: query.status, agentId: query.agentId, role: query.role },
      query,
    );
    return {
      conversations: rows.map((c) => toConversationResource(c, c.role)),
      ...pageOf(query, count, rows.length),
    };
  }

  /** One page of the conversations matching `filter`, newest activity first (admins' lists: no role). */
  async listWhere(
    filter: ConversationFilter,
    query: { limit: number; offset: number },
  ): Promise<ConversationList> {
    const { rows, count } = await this.repos.conversations.list(filter, query);
    return {
      conversations: rows.map((c) => toConversationResource(c, null)),
      ...pageOf(query, count, rows.length),
    };
  }

  async detail(principal: Principal, id: string): Promise<ConversationDetail> {
    return this.withLatestMessages(await this.require(principal, id, "read"));
  }

  /**
   * The conversation with the latest 50 messages of the path ending at its head (users' detail with
   * their role, admins' with none).
   */
  async withLatestMessages(conversation: MemberConversation): Promise<ConversationDetail> {
    const page = await this.history.page(conversation, 50);
    return {
      ...toConversationResource(conversation, conversation.role),
      messages: page.messages.map(toMessageResource),
      hasMoreMessages: page.hasMore,
    };
  }

  /** A page of the path ending at `leaf` (default: the head), before the message with seq `before`. */
  async messages(
    principal: Principal,
    id: string,
    query: { before?: number | undefined; leaf?: string | undefined; limit: number },
  ): Promise<MessagePage> {
    const conversation = await this.require(principal, id, "read");
    const page = await this.history.page(conversation, query.limit, {
      beforeSeq: query.before,
      leafId: query.leaf,
    });
    return { messages: page.messages.map(toMessageResource), hasMore: page.hasMore };
  }

  /** Every message of the conversation without its text, in `seq` order. */
  async tree(principal: Principal, id: string): Promise<TreeResult> {
    const conversation = await this.require(principal, id, "read");
    const rows = await this.repos.messages.tree(conversation.id);
    return {
      messages: rows.map((m) => ({
        id: m.id,
        parentId: m.parentId ?? null,
        seq: m.seq,
        role: m.role,
        status: m.status,
        createdAt: m.createdAt.toISOString(),
        branch: m.branch,
      })),
    };
  }

  async update(
    principal: Principal,
    id: string,
    input: PatchConversationInput,
  ): Promise<ConversationResource> {
    const { role } = await this.require(principal, id, "manage");
    const changes: Partial<ConversationRecord> = {};
    if (input.title !== undefined) changes.title = input.title.trim();
    if (input.tags !== undefined) changes.tags = [...new Set(input.tags)];
    if (input.metadata !== undefined) changes.metadata = input.metadata;
    if (input.assistantMode !== undefined) changes.assistantMode = input.assistantMode;
    if (input.toolApproval !== undefined) changes.toolApproval = input.toolApproval;
    return this.announce(await this.changed(id, changes), role);
  }

  async archive(principal: Principal, id: string, archive: boolean): Promise<ConversationResource> {
    const conversation = await this.require(principal, id, "manage");
    if ((conversation.status === "archived") === archive)
      return this.announce(conversation, conversation.role);
    return this.announce(
      await this.changed(id, {
        status: archive ? "archived" : "active",
        archivedAt: archive ? new Date() : null,
      }),
      conversation.role,
    );
  }

  /** Removes a conversation that was just created and never used, telling the user's tabs. */
  async discard(conversation: ConversationRecord): Promise<void> {
    await this.repos.conversations.destroy(conversation.id);
    // Its only member was its creator (its member row went with it).
    this.deps.notifier.memberRemoved(conversation.id, conversation.userId);
  }

  /** Soft delete: the conversation disappears for its user and is purged later by maintenance. */
  async remove(principal: Principal, id: string): Promise<void> {
    const conversation = await this.require(principal, id, "manage");
    await this.changed(id, { status: "deleted", deletedAt: new Date() });
    // Its files go now (PROTOCOL.md: files); should the store be away, the purge deletes them later.
    await this.deps.files?.deleteOfConversations([id]).catch(() => undefined);
    this.deps.notifier.conversationDeleted(conversation);
    this.deps.notifier.activity({
      type: "conversation.deleted",
      at: new Date().toISOString(),
      userId: conversation.userId,
      conversationId: conversation.id,
    });
  }

  private async changed(id: string, changes: Partial<ConversationRecord>): Promise<ConversationRecord> {
    const conversation = await this.repos.conversations.update(id, changes);
    if (!conversation) throw notFound("conversation");
    return conversation;
  }

  /** Tells every member's tabs, and answers the caller with its role. */
  private announce(conversation: ConversationRecord, role: MemberRole): ConversationResource {
    this.deps.notifier.conversationUpdated(conversation);
    return toConversationResource(conversation, role);
  }

  /** The conversation to export (the caller may read it): its whole tree, or the path it shows. */
  async exportOf(principal: Principal, id: string, scope: "tree" | "path"): Promise<ConversationExport> {
    const conversation = await this.require(principal, id, "read");
    const files = (await this.deps.files?.resourcesOf(id)) ?? [];
    return exportConversation(this.repos.messages, conversation, scope, files);
  }

  async stats(principal: Principal): Promise<UserStats> {
    // Totals of the conversations the caller owns (what it spends), not of those it was invited to.
    const totals = await this.repos.conversations.totalsOf(principal.userId);
    return {
      totalConversations: totals.total,
      activeConversations: totals.active,
      archivedConversations: totals.archived,
      totalMessages: totals.messages,
      totalTokensUsed: totals.tokens,
      averageMessagesPerConversation:
        totals.total === 0 ? 0 : Math.round((totals.messages / totals.total) * 100) / 100,
      mostActiveAgent: totals.mostActiveAgent,
    };
  }

  /** Checks the conversation accepts a new turn (active, agent still active). */
  static assertAcceptsTurns(conversation: ConversationRecord, agent: AgentRecord | null): void {
    if (conversation.status !== "active") {
      throw new AppError("conversation_not_active", `the conversation is ${conversation.status}`);
    }
    if (!agent || !agent.active) {
      throw new AppError("conversation_not_active", "the conversation's agent is no longer active");
    }
  }
}
