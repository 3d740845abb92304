import { Op, QueryTypes, type WhereOptions } from "sequelize";
import type { Principal } from "../auth/claims.js";
import type { Agent, Conversation, Models } from "../db/models/index.js";
import { AppError, notFound } from "../errors.js";
import type { ListConversationsInput, PatchConversationInput } from "./inputs.js";
import { MessageHistory } from "./message-history.js";
import type { Notifier } from "./notifier.js";
import {
  toConversationResource,
  toMessageResource,
  type ConversationResource,
  type MessageResource,
} from "./resources.js";

export const DEFAULT_TITLE = "New conversation";

export interface Page {
  total: number;
  page: number;
  pageSize: number;
  hasMore: boolean;
}

/** The paging fields of every list: `page` is `offset / limit + 1`. */
export function pageOf(query: { limit: number; offset: number }, total: number, shown: number): Page {
  return {
    total,
    page: Math.floor(query.offset / query.limit) + 1,
    pageSize: query.limit,
    hasMore: query.offset + shown < total,
  };
}

export interface ConversationList extends Page {
  conversations: ConversationResource[];
}

export type ConversationDetail = ConversationResource & {
  messages: MessageResource[];
  hasMoreMessages: boolean;
};

export interface ConversationStats {
  totalConversations: number;
  activeConversations: number;
  archivedConversations: number;
  totalMessages: number;
  totalTokensUsed: number;
  averageMessagesPerConversation: number;
  mostActiveAgent: { id: string; name: string; conversations: number } | null;
}

/** The rules of a user's conversations: ownership, listing, changes, soft deletion, stats, export. */
export class ConversationService {
  readonly history: MessageHistory;

  constructor(private readonly deps: { models: Models; notifier: Notifier }) {
    this.history = new MessageHistory(deps.models);
  }

  private get models() {
    return this.deps.models;
  }

  /**
   * The caller's conversation, or `not_found`: another user's conversation and a deleted one are
   * indistinguishable from one that never existed.
   */
  async getOwned(principal: Principal, id: string): Promise<Conversation> {
    const conversation = await this.models.Conversation.findOne({
      where: { id, userId: principal.userId, status: { [Op.ne]: "deleted" } },
    });
    if (!conversation) throw notFound("conversation");
    return conversation;
  }

  async activeAgent(agentId: string): Promise<Agent> {
    const agent = await this.models.Agent.findByPk(agentId);
    if (!agent || !agent.active) throw notFound("agent");
    return agent;
  }

  async create(
    principal: Principal,
    input: { agentId: string; title?: string | undefined; metadata?: Record<string, unknown> | undefined },
  ): Promise<Conversation> {
    const agent = await this.activeAgent(input.agentId);
    const conversation = await this.models.Conversation.create({
      userId: principal.userId,
      agentId: agent.id,
      title: input.title?.trim() ?? DEFAULT_TITLE,
      metadata: input.metadata ?? {},
    });
    this.deps.notifier.conversationUpdated(toConversationResource(conversation));
    this.deps.notifier.activity({
      type: "conversation.created",
      at: new Date().toISOString(),
      userId: conversation.userId,
      conversationId: conversation.id,
      agentId: conversation.agentId,
    });
    return conversation;
  }

  async list(principal: Principal, query: ListConversationsInput): Promise<ConversationList> {
    return this.listWhere(
      {
        userId: principal.userId,
        status: query.status ?? { [Op.ne]: "deleted" },
        ...(query.agentId ? { agentId: query.agentId } : {}),
      },
      query,
    );
  }

  /** One page of the conversations matching `where`, newest activity first (users' and admins' lists). */
  async listWhere(where: WhereOptions, query: { limit: number; offset: number }): Promise<ConversationList> {
    const { rows, count } = await this.models.Conversation.findAndCountAll({
      where,
      // Newest activity first; a conversation with no message yet counts from its creation.
      order: [
        [this.models.Conversation.sequelize!.literal("COALESCE(last_message_at, created_at)"), "DESC"],
        ["id", "ASC"],
      ],
      limit: query.limit,
      offset: query.offset,
    });
    return { conversations: rows.map(toConversationResource), ...pageOf(query, count, rows.length) };
  }

  async detail(principal: Principal, id: string): Promise<ConversationDetail> {
    return this.withLatestMessages(await this.getOwned(principal, id));
  }

  /** The conversation with its latest 50 messages (users' and admins' detail). */
  async withLatestMessages(conversation: Conversation): Promise<ConversationDetail> {
    const page = await this.history.page(conversation.id, conversation.totalMessages, 50);
    return {
      ...toConversationResource(conversation),
      messages: page.messages.map(toMessageResource),
      hasMoreMessages: page.hasMore,
    };
  }

  async messages(
    principal: Principal,
    id: string,
    query: { before?: number | undefined; limit: number },
  ): Promise<{ messages: MessageResource[]; hasMore: boolean }> {
    const conversation = await this.getOwned(principal, id);
    const page = await this.history.page(
      conversation.id,
      conversation.totalMessages,
      query.limit,
      query.before,
    );
    return { messages: page.messages.map(toMessageResource), hasMore: page.hasMore };
  }

  async update(
    principal: Principal,
    id: string,
    input: PatchConversationInput,
  ): Promise<ConversationResource> {
    const conversation = await this.getOwned(principal, id);
    if (input.title !== undefined) conversation.title = input.title.trim();
    if (input.tags !== undefined) conversation.tags = [...new Set(input.tags)];
    if (input.metadata !== undefined) conversation.metadata = input.metadata;
    conversation.changed("updatedAt", true);
    await conversation.save();
    return this.announce(conversation);
  }

  async archive(principal: Principal, id: string, archive: boolean): Promise<ConversationResource> {
    const conversation = await this.getOwned(principal, id);
    if ((conversation.status === "archived") !== archive) {
      conversation.status = archive ? "archived" : "active";
      conversation.archivedAt = archive ? new Date() : null;
      await conversation.save();
    }
    return this.announce(conversation);
  }

  /** Removes a conversation that was just created and never used, telling the user's tabs. */
  async discard(conversation: Conversation): Promise<void> {
    await conversation.destroy();
    this.deps.notifier.conversationDeleted(conversation.userId, conversation.id);
  }

  /** Soft delete: the conversation disappears for its user and is purged later by maintenance. */
  async remove(principal: Principal, id: string): Promise<void> {
    const conversation = await this.getOwned(principal, id);
    conversation.status = "deleted";
    conversation.deletedAt = new Date();
    await conversation.save();
    this.deps.notifier.conversationDeleted(conversation.userId, conversation.id);
    this.deps.notifier.activity({
      type: "conversation.deleted",
      at: new Date().toISOString(),
      userId: conversation.userId,
      conversationId: conversation.id,
    });
  }

  private announce(conversation: Conversation): ConversationResource {
    const resource = toConversationResource(conversation);
    this.deps.notifier.conversationUpdated(resource);
    return resource;
  }

  async stats(principal: Principal): Promise<ConversationStats> {
    const sequelize = this.models.Conversation.sequelize!;
    const [totals] = await sequelize.query<{
      total: string;
      active: string;
      archived: string;
      messages: string;
      tokens: string;
    }>(
      `SELECT count(*) AS total,
              count(*) FILTER (WHERE status = 'active') AS active,
              count(*) FILTER (WHERE status = 'archived') AS archived,
              COALESCE(sum(total_messages), 0) AS messages,
              COALESCE(sum(total_tokens_used), 0) AS tokens
         FROM conversations WHERE user_id = :userId AND status <> 'deleted'`,
      { replacements: { userId: principal.userId }, type: QueryTypes.SELECT },
    );
    const [top] = await sequelize.query<{ id: string; name: string; conversations: string }>(
      `SELECT a.id, a.name, count(*) AS conversations
         FROM conversations c JOIN agents a ON a.id = c.agent_id
        WHERE c.user_id = :userId AND c.status <> 'deleted'
        GROUP BY a.id, a.name ORDER BY count(*) DESC, a.name LIMIT 1`,
      { replacements: { userId: principal.userId }, type: QueryTypes.SELECT },
    );
    const total = Number(totals?.total ?? 0);
    const messages = Number(totals?.messages ?? 0);
    return {
      totalConversations: total,
      activeConversations: Number(totals?.active ?? 0),
      archivedConversations: Number(totals?.archived ?? 0),
      totalMessages: messages,
      totalTokensUsed: Number(totals?.tokens ?? 0),
      averageMessagesPerConversation: total === 0 ? 0 : Math.round((messages / total) * 100) / 100,
      mostActiveAgent: top ? { id: top.id, name: top.name, conversations: Number(top.conversations) } : null,
    };
  }

  /** Checks the conversation accepts a new turn (active, agent still active). */
  static assertAcceptsTurns(conversation: Conversation, agent: Agent | null): void {
    if (conversation.status !== "active") {
      throw new AppError("conversation_not_active", `the conversation is ${conversation.status}`);
    }
    if (!agent || !agent.active) {
      throw new AppError("conversation_not_active", "the conversation's agent is no longer active");
    }
  }
}
