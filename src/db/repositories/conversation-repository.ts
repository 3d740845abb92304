import { randomUUID } from "node:crypto";
import { Op, QueryTypes, type CreationAttributes, type WhereOptions } from "sequelize";
import type { Conversation, ConversationStatus, Models } from "../models/index.js";
import { columnsOf, recordOf } from "../row-mapping.js";
import type { UserStats } from "../../protocol/index.js";
import {
  inTx,
  type AgentRecord,
  type ConversationRecord,
  type MemberConversation,
  type MemberRecord,
  type MessageRecord,
  type Tx,
} from "../records.js";

/** Which conversations a list shows. */
export interface ConversationFilter {
  userId?: string | undefined;
  /** One status, or `undefined` for every status but `deleted`, or "any" for all of them. */
  status?: ConversationRecord["status"] | "any" | undefined;
  agentId?: string | undefined;
}

/** What a turn (or a checkout) asks of its locked conversation. */
export interface TurnLookup {
  /** Who starts the turn. */
  caller: string;
  /** A message already carrying it makes the turn a repeat. */
  clientMessageId: string | null;
  /** An answer still streaming whose last checkpoint is older than this may be a dead node's. */
  leaseSeconds: number;
  /** The message an edit, a regeneration or a checkout names. */
  targetId: string | null;
}

/** What `turnContext` reads. */
export interface TurnContextRecord {
  /** The caller's role in the conversation (null: no member), and its name. */
  role: MemberRecord["role"] | null;
  callerName: string | null;
  agent: AgentRecord | null;
  duplicateId: string | null;
  writing: { id: string; stale: boolean } | null;
  target: MessageRecord | null;
  targetParent: MessageRecord | null;
}

/**
 * What turns read of their locked conversations, in one statement (one row per turn, in the order
 * given): the agent, a repeat of the `clientMessageId`, the answer being written or waiting for
 * approval (one at most) and whether its lease ran out, the caller's role and name, and the message
 * the turn names with its parent, under the prefixes `a_`, `t_` and `p_` of the column lists given.
 */
const TURN_CONTEXTS = (selected: { agent: string; target: string; targetParent: string }) => `
  SELECT ${selected.agent}, ${selected.target}, ${selected.targetParent},
         (SELECT d.id FROM messages d
           WHERE d.conversation_id = x.conversation_id AND d.client_message_id = x.client_message_id) AS "duplicateId",
         w.id AS "writingId",
         w.status = 'streaming' AND w.updated_at < now() - make_interval(secs => $leaseSeconds) AS "writingStale",
         (SELECT cm.role FROM conversation_members cm
           WHERE cm.conversation_id = x.conversation_id AND cm.user_id = x.caller) AS "memberRole",
         (SELECT u.name FROM users u WHERE u.id = x.caller) AS "callerName"
    FROM unnest($conversationIds::uuid[], $agentIds::uuid[], $callers::text[], $clientMessageIds::text[],
                $targetIds::uuid[]) WITH ORDINALITY AS x(conversation_id, agent_id, caller, client_message_id, target_id, ord)
    LEFT JOIN agents a ON a.id = x.agent_id
    LEFT JOIN messages t ON t.id = x.target_id AND t.conversation_id = x.conversation_id
    LEFT JOIN messages p ON p.id = t.parent_id
    LEFT JOIN LATERAL (
      (SELECT id, status, updated_at FROM messages WHERE conversation_id = x.conversation_id AND status = 'streaming')
      UNION ALL
      (SELECT id, status, updated_at FROM messages
        WHERE conversation_id = x.conversation_id AND status = 'awaiting_approval')
      LIMIT 1) w ON true
   ORDER BY x.ord`;

/** The `conversations` table. */
export class ConversationRepository {
  constructor(private readonly models: Models) {}

  private get sequelize() {
    return this.models.Conversation.sequelize!;
  }

  async findById(id: string, tx?: Tx): Promise<ConversationRecord | null> {
    return (await this.models.Conversation.findByPk(id, inTx(tx)))?.get({ plain: true }) ?? null;
  }

  /** The conversation unless it is deleted, with the role `userId` has in it (null: no member). */
  async findVisibleFor(id: string, userId: string): Promise<MemberConversation | null> {
    const [row] = await this.sequelize.query<Record<string, unknown>>(
      `SELECT ${columnsOf(this.models.Conversation, "c", "c_")}, m.role AS "memberRole"
         FROM conversations c LEFT JOIN conversation_members m ON m.conversation_id = c.id AND m.user_id = $2
        WHERE c.id = $1 AND c.status <> 'deleted'`,
      { bind: [id, userId], type: QueryTypes.SELECT },
    );
    return row ? this.withRole(row) : null;
  }

  private withRole(row: Record<string, unknown>): MemberConversation {
    const conversation = recordOf<ConversationRecord>(this.models.Conversation, row, "c_")!;
    return { ...conversation, role: (row.memberRole as MemberRecord["role"] | null) ?? null };
  }

  /**
   * One page of the conversations `memberId` is a member of (with its role there, one role if
   * given), newest activity first, and how many match.
   */
  async listForMember(
    memberId: string,
    filter: {
      status?: ConversationRecord["status"] | undefined;
      agentId?: string | undefined;
      role?: MemberRecord["role"] | undefined;
    },
    page: { limit: number; offset: number },
  ): Promise<{ rows: MemberConversation[]; count: number }> {
    const where = `FROM conversations c JOIN conversation_members m ON m.conversation_id = c.id AND m.user_id = $1
       WHERE ($2::text IS NULL AND c.status <> 'deleted' OR c.status = $2::text)
         AND ($3::uuid IS NULL OR c.agent_id = $3::uuid) AND ($4::text IS NULL OR m.role = $4::text)`;
    const bind = [memberId, filter.status ?? null, filter.agentId ?? null, filter.role ?? null];
    const [rows, counted] = await Promise.all([
      this.sequelize.query<Record<string, unknown>>(
        `SELECT ${columnsOf(this.models.Conversation, "c", "c_")}, m.role AS "memberRole" ${where}
          ORDER BY COALESCE(c.last_message_at, c.created_at) DESC, c.id ASC LIMIT $5 OFFSET $6`,
        { bind: [...bind, page.limit, page.offset], type: QueryTypes.SELECT },
      ),
      this.sequelize.query<{ count: string }>(`SELECT count(*) AS count ${where}`, {
        bind,
        type: QueryTypes.SELECT,
      }),
    ]);
    return { rows: rows.map((r) => this.withRole(r)), count: Number(counted[0]?.count ?? 0) };
  }

  /** The conversation unless it is deleted. */
  async findVisible(id: string): Promise<ConversationRecord | null> {
    const row = await this.models.Conversation.findOne({ where: { id, status: { [Op.ne]: "deleted" } } });
    return row?.get({ plain: true }) ?? null;
  }

  /**
   * What a new turn must know besides its locked conversation, in one statement run after the lock
   * (so that it sees what the turn it waited for committed): the agent, the message that already
   * carries this `clientMessageId` (a repeat), the answer being written, if any, with whether its
   * lease (the last checkpoint) is older than `leaseSeconds`, and the message an edit or a
   * regeneration names (`targetId`, when it is in this conversation) with its parent.
   */
  async turnContext(
    conversation: { id: string; agentId: string },
    lookup: TurnLookup,
    tx: Tx,
  ): Promise<TurnContextRecord> {
    const [context] = await this.turnContexts([{ conversation, lookup }], tx);
    return context!;
  }

  /** What each turn reads of its locked conversation (`turnContext`), for several in one statement. */
  async turnContexts(
    turns: { conversation: { id: string; agentId: string }; lookup: TurnLookup }[],
    tx: Tx,
  ): Promise<TurnContextRecord[]> {
    const { Agent, Message } = this.models;
    const selected = {
      agent: columnsOf(Agent, "a", "a_"),
      target: columnsOf(Message, "t", "t_"),
      targetParent: columnsOf(Message, "p", "p_"),
    };
    const rows = await this.sequelize.query<Record<string, unknown>>(TURN_CONTEXTS(selected), {
      bind: {
        conversationIds: turns.map((t) => t.conversation.id),
        agentIds: turns.map((t) => t.conversation.agentId),
        callers: turns.map((t) => t.lookup.caller),
        clientMessageIds: turns.map((t) => t.lookup.clientMessageId),
        targetIds: turns.map((t) => t.lookup.targetId),
        leaseSeconds: turns[0]?.lookup.leaseSeconds ?? 0,
      },
      type: QueryTypes.SELECT,
      transaction: tx,
    });
    return rows.map((row) => ({
      role: (row.memberRole as MemberRecord["role"] | null | undefined) ?? null,
      callerName: (row.callerName as string | null | undefined) ?? null,
      agent: recordOf<AgentRecord>(Agent, row, "a_"),
      duplicateId: (row.duplicateId as string | null | undefined) ?? null,
      writing: row.writingId ? { id: row.writingId as string, stale: row.writingStale === true } : null,
      target: recordOf<MessageRecord>(Message, row, "t_"),
      targetParent: recordOf<MessageRecord>(Message, row, "p_"),
    }));
  }

  /** Moves the head (a checkout) and returns the conversation. */
  async setHead(id: string, headId: string, tx: Tx): Promise<ConversationRecord | null> {
    return this.update(id, { headId }, tx);
  }

  /**
   * Reads these rows and locks them for the rest of the transaction (`FOR UPDATE`), in the order of
   * their ids (two transactions locking several never wait for each other in a circle). Missing
   * ones are left out.
   */
  async lockAll(ids: string[], tx: Tx): Promise<ConversationRecord[]> {
    const { Conversation } = this.models;
    const rows = await this.sequelize.query<Record<string, unknown>>(
      `SELECT ${columnsOf(Conversation, "c", "c_")} FROM conversations c
        WHERE c.id = ANY($1::uuid[]) ORDER BY c.id FOR UPDATE`,
      { bind: [ids], type: QueryTypes.SELECT, transaction: tx },
    );
    return rows.map((r) => recordOf<ConversationRecord>(Conversation, r, "c_")!);
  }

  /** Reads the row and locks it for the rest of the transaction (`FOR UPDATE`). */
  async lock(id: string, tx: Tx): Promise<ConversationRecord | null> {
    const row = await this.models.Conversation.findByPk(id, { lock: tx.LOCK.UPDATE, transaction: tx });
    return row?.get({ plain: true }) ?? null;
  }

  /** A new conversation, its creator (`userId`) its owner. */
  async create(fields: CreationAttributes<Conversation>): Promise<ConversationRecord> {
    return this.sequelize.transaction(async (transaction) => {
      const conversation = (await this.models.Conversation.create(fields, { transaction })).get({
        plain: true,
      });
      await this.models.Member.create(
        { conversationId: conversation.id, userId: conversation.userId, role: "owner" },
        { transaction },
      );
      return conversation;
    });
  }

  /**
   * Creates a conversation holding these messages (a template's) as a straight path from `seq` 1,
   * complete, with their token counts but costing nothing, its head at the last one; one transaction.
   */
  async createWithMessages(
    fields: CreationAttributes<Conversation>,
    messages: { role: MessageRecord["role"]; content: string; contentTokens: number }[],
  ): Promise<ConversationRecord> {
    return this.sequelize.transaction(async (transaction) => {
      const conversation = await this.models.Conversation.create(fields, { transaction });
      await this.models.Member.create(
        { conversationId: conversation.id, userId: conversation.userId, role: "owner" },
        { transaction },
      );
      if (messages.length === 0) return conversation.get({ plain: true });
      const ids = messages.map(() => randomUUID());
      await this.models.Message.bulkCreate(
        messages.map((m, i) => ({
          id: ids[i]!,
          conversationId: conversation.id,
          parentId: i === 0 ? null : ids[i - 1]!,
          seq: i + 1,
          role: m.role,
          content: m.content,
          parts: [{ type: "text" as const, text: m.content }],
          contentTokens: m.contentTokens,
          status: "complete" as const,
          metadata: {},
        })),
        { transaction },
      );
      const [, rows] = await this.models.Conversation.update(
        { headId: ids.at(-1)!, totalMessages: messages.length, lastMessageAt: new Date() },
        { where: { id: conversation.id }, returning: true, transaction },
      );
      return rows[0]!.get({ plain: true });
    });
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
   * Extends the summary only if no other writer did since it was read (it still ends at
   * `fromThroughId`): one refresh wins across nodes. Null when another did.
   */
  async extendSummary(
    id: string,
    fromThroughId: string | null,
    summary: string,
    through: { id: string; seq: number },
  ): Promise<ConversationRecord | null> {
    const [, rows] = await this.models.Conversation.update(
      { summary, summaryThroughId: through.id, summaryThroughSeq: through.seq },
      { where: { id, summaryThroughId: fromThroughId }, returning: true },
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
