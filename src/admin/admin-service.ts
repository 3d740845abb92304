import { Op, QueryTypes } from "sequelize";
import type { Models } from "../db/models/index.js";
import { toUserResource, type UserResource } from "../conversations/resources.js";
import {
  pageOf,
  type ConversationDetail,
  type ConversationList,
  type ConversationService,
} from "../conversations/conversation-service.js";
import { notFound } from "../errors.js";
import type { AdminConversationsQuery } from "./admin-inputs.js";

export interface AdminStats {
  users: number;
  conversations: { active: number; archived: number; deleted: number; total: number };
  messages: number;
  tokens: {
    total: number;
    byModel: {
      provider: string;
      model: string;
      inputTokens: number;
      outputTokens: number;
      totalTokens: number;
    }[];
  };
  activeGenerations: number;
  connectedSockets: number;
  /** True when some node could not be asked (Redis is away): `connectedSockets` is then this node's. */
  partial: boolean;
}

export interface AdminServiceDeps {
  models: Models;
  conversations: ConversationService;
  /** Sockets connected to /chat on every node; partial when some node could not be asked. */
  connectedSockets: () => Promise<{ count: number; partial: boolean }>;
  /** Stops the answers being written in these conversations, on whichever node writes them. */
  stopAnswers: (conversationIds: string[]) => Promise<void>;
  /** Closes every socket of the user, on every node. */
  disconnectUser: (userId: string) => void;
  /** Forgets what this node remembers of the user. */
  forgetUser: (userId: string) => void;
}

/** What operators see and do: totals, users, any conversation, erasure and retention. */
export class AdminService {
  constructor(private readonly deps: AdminServiceDeps) {}

  private get sequelize() {
    return this.deps.models.User.sequelize!;
  }

  async stats(): Promise<AdminStats> {
    const q = <T extends object>(sql: string) => this.sequelize.query<T>(sql, { type: QueryTypes.SELECT });
    const [users, byStatus, messages, byModel, active, sockets] = await Promise.all([
      q<{ n: string }>(`SELECT count(*) AS n FROM users`),
      q<{ status: string; n: string }>(`SELECT status, count(*) AS n FROM conversations GROUP BY status`),
      q<{ n: string }>(`SELECT count(*) AS n FROM messages`),
      q<{ provider: string; model: string; input: string; output: string; total: string }>(
        `SELECT llm_provider AS provider, model_used AS model,
                COALESCE(sum(input_tokens), 0) AS input, COALESCE(sum(output_tokens), 0) AS output,
                COALESCE(sum(total_tokens), 0) AS total
           FROM messages WHERE role = 'assistant' AND llm_provider IS NOT NULL
          GROUP BY llm_provider, model_used ORDER BY sum(total_tokens) DESC NULLS LAST`,
      ),
      q<{ n: string }>(`SELECT count(*) AS n FROM messages WHERE status = 'streaming'`),
      this.deps.connectedSockets(),
    ]);
    const count = (status: string) => Number(byStatus.find((r) => r.status === status)?.n ?? 0);
    const models = byModel.map((r) => ({
      provider: r.provider,
      model: r.model,
      inputTokens: Number(r.input),
      outputTokens: Number(r.output),
      totalTokens: Number(r.total),
    }));
    return {
      users: Number(users[0]?.n ?? 0),
      conversations: {
        active: count("active"),
        archived: count("archived"),
        deleted: count("deleted"),
        total: count("active") + count("archived") + count("deleted"),
      },
      messages: Number(messages[0]?.n ?? 0),
      tokens: { total: models.reduce((n, m) => n + m.totalTokens, 0), byModel: models },
      activeGenerations: Number(active[0]?.n ?? 0),
      connectedSockets: sockets.count,
      partial: sockets.partial,
    };
  }

  async users(query: { limit: number; offset: number }) {
    const [rows, totals] = await Promise.all([
      this.sequelize.query<{
        id: string;
        conversations: string;
        tokens: string;
      }>(
        `SELECT u.id, count(c.id) FILTER (WHERE c.status <> 'deleted') AS conversations,
                COALESCE(sum(c.total_tokens_used), 0) AS tokens
           FROM users u LEFT JOIN conversations c ON c.user_id = u.id
          GROUP BY u.id ORDER BY u.created_at DESC, u.id LIMIT :limit OFFSET :offset`,
        { replacements: query, type: QueryTypes.SELECT },
      ),
      this.deps.models.User.count(),
    ]);
    const users = await this.deps.models.User.findAll({ where: { id: rows.map((r) => r.id) } });
    const byId = new Map(users.map((u) => [u.id, u]));
    const list: (UserResource & { conversations: number; totalTokensUsed: number })[] = rows.flatMap((r) => {
      const user = byId.get(r.id);
      return user
        ? [
            {
              ...toUserResource(user),
              conversations: Number(r.conversations),
              totalTokensUsed: Number(r.tokens),
            },
          ]
        : [];
    });
    return { users: list, ...pageOf(query, totals, list.length) };
  }

  /** Erases the user and everything of theirs (conversations, messages), and closes their sockets. */
  async eraseUser(userId: string): Promise<void> {
    const { User } = this.deps.models;
    const user = await User.findByPk(userId);
    if (!user) throw notFound("user");
    // Their answers being written are stopped and stored first, so that nothing writes while they
    // are deleted: found in one query, however many conversations the user has.
    const writing = await this.sequelize.query<{ id: string }>(
      `SELECT DISTINCT m.conversation_id AS id FROM messages m JOIN conversations c ON c.id = m.conversation_id
        WHERE c.user_id = :userId AND m.status = 'streaming'`,
      { replacements: { userId }, type: QueryTypes.SELECT },
    );
    await this.deps.stopAnswers(writing.map((c) => c.id));
    // Conversations and their messages go with the user (ON DELETE CASCADE), in one statement. Its
    // locks are taken in the same order as every other writer's; should PostgreSQL still pick it as
    // a deadlock victim (against a recovery sweep, say), it is run again.
    for (let attempt = 1; ; attempt++) {
      try {
        await User.destroy({ where: { id: userId } });
        break;
      } catch (err) {
        if (attempt >= 3 || !isDeadlock(err)) throw err;
      }
    }
    this.deps.forgetUser(userId);
    this.deps.disconnectUser(userId);
  }

  conversations(query: AdminConversationsQuery): Promise<ConversationList> {
    return this.deps.conversations.listWhere(
      {
        ...(query.userId ? { userId: query.userId } : {}),
        ...(query.status ? { status: query.status } : {}),
        ...(query.agentId ? { agentId: query.agentId } : {}),
      },
      query,
    );
  }

  /** Any conversation, deleted ones included, with its latest 50 messages. */
  async conversation(id: string): Promise<ConversationDetail> {
    const conversation = await this.deps.models.Conversation.findByPk(id);
    if (!conversation) throw notFound("conversation");
    return this.deps.conversations.withLatestMessages(conversation);
  }

  /** Hard-deletes the conversations soft-deleted more than `olderThanDays` ago. */
  async purge(olderThanDays: number): Promise<number> {
    return this.deps.models.Conversation.destroy({
      where: {
        status: "deleted",
        deletedAt: { [Op.lt]: new Date(Date.now() - olderThanDays * 86_400_000) },
      },
    });
  }

  /**
   * The daily purge: whichever node first finds the job due claims it with one conditional update,
   * so the purge runs once per period however many nodes there are.
   */
  async purgeIfDue(olderThanDays: number, periodMs: number): Promise<number | null> {
    const claimed = await this.sequelize.query<{ name: string }>(
      `UPDATE maintenance_jobs SET last_run_at = now()
        WHERE name = 'purge' AND last_run_at < now() - make_interval(secs => :seconds)
        RETURNING name`,
      { replacements: { seconds: periodMs / 1000 }, type: QueryTypes.SELECT },
    );
    if (claimed.length !== 1) return null;
    return this.purge(olderThanDays);
  }
}

/** PostgreSQL chose this transaction as the victim of a deadlock (SQLSTATE 40P01). */
function isDeadlock(err: unknown): boolean {
  const driver = (err as { parent?: { code?: unknown } } | null)?.parent;
  return driver?.code === "40P01";
}
