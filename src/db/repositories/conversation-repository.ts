import { Op, QueryTypes, type CreationAttributes, type WhereOptions } from "sequelize";
import type { Conversation, ConversationStatus, Models } from "../models/index.js";
import { columnsOf, recordOf } from "../row-mapping.js";
import type { UserStats } from "../../protocol/index.js";
import { inTx, type AgentRecord, type ConversationRecord, type Tx } from "../records.js";

/** Which conversations a list shows. */
export interface ConversationFilter {
  userId?: string | undefined;
  /** One status, or `undefined` for every status but `deleted`, or "any" for all of them. */
  status?: ConversationRecord["status"] | "any" | undefined;
  agentId?: string | undefined;
}

/** The `conversations` table. */
export class ConversationRepository {
  constructor(private readonly models: Models) {}

  private get sequelize() {
    return this.models.Conversation.sequelize!;
  }

  async findById(id: string, tx?: Tx): Promise<ConversationRecord | null> {
    return (await this.models.Conversation.findByPk(id, inTx(tx)))?.get({ plain: true }) ?? null;
  }

  /** The conversation unless it is deleted. */
  async findVisible(id: string): Promise<ConversationRecord | null> {
    const row = await this.models.Conversation.findOne({ where: { id, status: { [Op.ne]: "deleted" } } });
    return row?.get({ plain: true }) ?? null;
  }

  /**
   * What a new turn must know besides its locked conversation, in one statement run after the lock
   * (so that it sees what the turn it waited for committed): the agent, the message that already
   * carries this `clientMessageId` (a repeat), and the answer being written, if any, with whether
   * its lease (the last checkpoint) is older than `leaseSeconds`.
   */
  async turnContext(
    conversation: { id: string; agentId: string },
    clientMessageId: string | null,
    leaseSeconds: number,
    tx: Tx,
  ): Promise<{
    agent: AgentRecord | null;
    duplicateId: string | null;
    writing: { id: string; stale: boolean } | null;
  }> {
    const { Agent } = this.models;
    const [row] = await this.sequelize.query<Record<string, unknown>>(
      `SELECT ${columnsOf(Agent, "a", "a_")},
              (SELECT d.id FROM messages d WHERE d.conversation_id = $1 AND d.client_message_id = $3) AS "duplicateId",
              w.id AS "writingId", w.updated_at < now() - make_interval(secs => $4) AS "writingStale"
         FROM (SELECT 1) AS one
         LEFT JOIN agents a ON a.id = $2
         LEFT JOIN LATERAL (SELECT id, updated_at FROM messages
                             WHERE conversation_id = $1 AND status = 'streaming' LIMIT 1) w ON true`,
      {
        bind: [conversation.id, conversation.agentId, clientMessageId, leaseSeconds],
        type: QueryTypes.SELECT,
        transaction: tx,
      },
    );
    return {
      agent: row ? recordOf<AgentRecord>(Agent, row, "a_") : null,
      duplicateId: (row?.duplicateId as string | null | undefined) ?? null,
      writing: row?.writingId ? { id: row.writingId as string, stale: row.writingStale === true } : null,
    };
  }

  /** Reads the row and locks it for the rest of the transaction (`FOR UPDATE`). */
  async lock(id: string, tx: Tx): Promise<ConversationRecord | null> {
    const row = await this.models.Conversation.findByPk(id, { lock: tx.LOCK.UPDATE, transaction: tx });
    return row?.get({ plain: true }) ?? null;
  }

  async create(fields: CreationAttributes<Conversation>): Promise<ConversationRecord> {
    return (await this.models.Conversation.create(fields)).get({ plain: true });
  }

  /** Changes the row (its `updatedAt` too) and returns it; null when it is gone. */
  async update(
    id: string,
    changes: Partial<ConversationRecord>,
    tx?: Tx,
  ): Promise<ConversationRecord | null> {
    const [, rows] = await this.models.Conversation.update(changes, {
      where: { id },
      returning: true,
      ...inTx(tx),
    });
    return rows[0]?.get({ plain: true }) ?? null;
  }

  /** Sets a generated title only if the conversation still has `defaultTitle`; null when it had not. */
  async replaceDefaultTitle(
    id: string,
    defaultTitle: string,
    title: string,
  ): Promise<ConversationRecord | null> {
    const [, rows] = await this.models.Conversation.update(
      { title },
      { where: { id, title: defaultTitle }, returning: true },
    );
    return rows[0]?.get({ plain: true }) ?? null;
  }

  /**
   * Extends the summary only if no other writer did since `fromThroughSeq` was read (one refresh wins
   * across nodes); null when another did.
   */
  async extendSummary(
    id: string,
    fromThroughSeq: number,
    summary: string,
    throughSeq: number,
  ): Promise<ConversationRecord | null> {
    const [, rows] = await this.models.Conversation.update(
      { summary, summaryThroughSeq: throughSeq },
      { where: { id, summaryThroughSeq: fromThroughSeq }, returning: true },
    );
    return rows[0]?.get({ plain: true }) ?? null;
  }

  async destroy(id: string): Promise<void> {
    await this.models.Conversation.destroy({ where: { id } });
  }

  /** One page of the conversations matching the filter, newest activity first, and how many match. */
  async list(
    filter: ConversationFilter,
    page: { limit: number; offset: number },
  ): Promise<{ rows: ConversationRecord[]; count: number }> {
    const where: WhereOptions = {
      ...(filter.userId !== undefined ? { userId: filter.userId } : {}),
      ...(filter.status === "any" ? {} : { status: filter.status ?? { [Op.ne]: "deleted" } }),
      ...(filter.agentId !== undefined ? { agentId: filter.agentId } : {}),
    };
    const { rows, count } = await this.models.Conversation.findAndCountAll({
      where,
      // Newest activity first; a conversation with no message yet counts from its creation.
      order: [
        [this.sequelize.literal("COALESCE(last_message_at, created_at)"), "DESC"],
        ["id", "ASC"],
      ],
      limit: page.limit,
      offset: page.offset,
    });
    return { rows: rows.map((c) => c.get({ plain: true })), count };
  }

  /** A user's totals over the conversations they can see, and the agent they talk to most. */
  async totalsOf(userId: string): Promise<{
    total: number;
    active: number;
    archived: number;
    messages: number;
    tokens: number;
    mostActiveAgent: UserStats["mostActiveAgent"];
  }> {
    const [totals] = await this.sequelize.query<
      Record<"total" | "active" | "archived" | "messages" | "tokens", string>
    >(
      `SELECT count(*) AS total,
              count(*) FILTER (WHERE status = 'active') AS active,
              count(*) FILTER (WHERE status = 'archived') AS archived,
              COALESCE(sum(total_messages), 0) AS messages,
              COALESCE(sum(total_tokens_used), 0) AS tokens
         FROM conversations WHERE user_id = $1 AND status <> 'deleted'`,
      { bind: [userId], type: QueryTypes.SELECT },
    );
    const [top] = await this.sequelize.query<{ id: string; name: string; conversations: string }>(
      `SELECT a.id, a.name, count(*) AS conversations
         FROM conversations c JOIN agents a ON a.id = c.agent_id
        WHERE c.user_id = $1 AND c.status <> 'deleted'
        GROUP BY a.id, a.name ORDER BY count(*) DESC, a.name LIMIT 1`,
      { bind: [userId], type: QueryTypes.SELECT },
    );
    return {
      total: Number(totals?.total ?? 0),
      active: Number(totals?.active ?? 0),
      archived: Number(totals?.archived ?? 0),
      messages: Number(totals?.messages ?? 0),
      tokens: Number(totals?.tokens ?? 0),
      mostActiveAgent: top ? { id: top.id, name: top.name, conversations: Number(top.conversations) } : null,
    };
  }

  /** How many conversations have each status. */
  async countByStatus(): Promise<Record<ConversationStatus, number>> {
    const rows = await this.sequelize.query<{ status: ConversationStatus; n: string }>(
      `SELECT status, count(*) AS n FROM conversations GROUP BY status`,
      { type: QueryTypes.SELECT },
    );
    const counts: Record<ConversationStatus, number> = { active: 0, archived: 0, deleted: 0 };
    for (const r of rows) counts[r.status] = Number(r.n);
    return counts;
  }

  /** The owner of each of these conversations. */
  async ownersOf(ids: string[]): Promise<Map<string, string>> {
    const rows = await this.models.Conversation.findAll({ attributes: ["id", "userId"], where: { id: ids } });
    return new Map(rows.map((c) => [c.id, c.userId]));
  }

  /** The user's conversations in which an answer is being written. */
  async writingOf(userId: string): Promise<string[]> {
    const rows = await this.sequelize.query<{ id: string }>(
      `SELECT DISTINCT m.conversation_id AS id
         FROM messages m JOIN conversations c ON c.id = m.conversation_id
        WHERE c.user_id = $1 AND m.status = 'streaming'`,
      { bind: [userId], type: QueryTypes.SELECT },
    );
    return rows.map((r) => r.id);
  }

  /** Hard-deletes the conversations soft-deleted before `before` (their messages go with them). */
  purgeDeletedBefore(before: Date): Promise<number> {
    return this.models.Conversation.destroy({ where: { status: "deleted", deletedAt: { [Op.lt]: before } } });
  }
}
