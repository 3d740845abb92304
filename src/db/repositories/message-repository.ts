import { Op, QueryTypes, UniqueConstraintError } from "sequelize";
import type { Models } from "../models/index.js";
import type { AdminStats } from "../../protocol/index.js";
import { inTx, type ConversationRecord, type MessageRecord, type Tx } from "../records.js";
import { columnsOf, recordOf } from "../row-mapping.js";

/** The fields of a window's or a transcript's message: what the model is sent, and its count. */
export type MessageText = Pick<MessageRecord, "seq" | "role" | "content" | "contentTokens" | "status">;

/**
 * The `messages` table. Since `seq` has no gaps, every read of a conversation's messages is a closed
 * range of the (conversation_id, seq) index: it touches only the rows it returns, whatever plan
 * PostgreSQL picks and however long the conversation is (test/integration/history-window.test.ts
 * counts a turn's queries and rows at 2,000 and 6,000 messages).
 */
export class MessageRepository {
  /** Rows the history window has read, for the test that checks a turn's cost stays flat. */
  rowsRead = 0;

  constructor(private readonly models: Models) {}

  private get sequelize() {
    return this.models.Message.sequelize!;
  }

  async findById(id: string, tx?: Tx): Promise<MessageRecord | null> {
    return (await this.models.Message.findByPk(id, inTx(tx)))?.get({ plain: true }) ?? null;
  }

  /** Messages with `from <= seq < to`, ascending. */
  async range(conversationId: string, from: number, to: number): Promise<MessageRecord[]> {
    const rows = await this.models.Message.findAll({
      where: { conversationId, seq: { [Op.gte]: from, [Op.lt]: to } },
      order: [["seq", "ASC"]],
    });
    return rows.map((m) => m.get({ plain: true }));
  }

  /** Every message after `afterSeq`, ascending. */
  async after(conversationId: string, afterSeq: number): Promise<MessageRecord[]> {
    const rows = await this.models.Message.findAll({
      where: { conversationId, seq: { [Op.gt]: afterSeq } },
      order: [["seq", "ASC"]],
    });
    return rows.map((m) => m.get({ plain: true }));
  }

  /** The whole conversation, ascending (export). */
  all(conversationId: string): Promise<MessageRecord[]> {
    return this.after(conversationId, 0);
  }

  /**
   * The text of the messages with `from <= seq < to`, newest first or oldest first, without the rows'
   * other fields; `endedOnly` keeps complete and cancelled ones only.
   */
  async texts(
    conversationId: string,
    from: number,
    to: number,
    options: { order: "ASC" | "DESC"; endedOnly?: boolean },
  ): Promise<MessageText[]> {
    const rows = await this.models.Message.findAll({
      attributes: ["seq", "role", "content", "contentTokens", "status"],
      where: {
        conversationId,
        seq: { [Op.gte]: from, [Op.lt]: to },
        ...(options.endedOnly ? { status: ["complete", "cancelled"] } : {}),
      },
      order: [["seq", options.order]],
    });
    return rows.map((m) => m.get({ plain: true }));
  }

  async findByClientMessageId(
    conversationId: string,
    clientMessageId: string,
    tx?: Tx,
  ): Promise<MessageRecord | null> {
    const row = await this.models.Message.findOne({
      where: { conversationId, clientMessageId },
      ...inTx(tx),
    });
    return row?.get({ plain: true }) ?? null;
  }

  /** The message with this `seq`. */
  async atSeq(conversationId: string, seq: number): Promise<MessageRecord | null> {
    const row = await this.models.Message.findOne({ where: { conversationId, seq } });
    return row?.get({ plain: true }) ?? null;
  }

  /** The answer stored right after the user message with this `seq`. */
  async answerTo(conversationId: string, seq: number): Promise<MessageRecord | null> {
    const row = await this.models.Message.findOne({
      where: { conversationId, seq: seq + 1, role: "assistant" },
    });
    return row?.get({ plain: true }) ?? null;
  }

  /** How many answers are being written, in one conversation or in all of them. */
  countStreaming(conversationId?: string, tx?: Tx): Promise<number> {
    return this.models.Message.count({
      where: { status: "streaming", ...(conversationId ? { conversationId } : {}) },
      ...inTx(tx),
    });
  }

  count(): Promise<number> {
    return this.models.Message.count();
  }

  /**
   * Stores a user message and its answer row (`streaming`), and moves the conversation's
   * `totalMessages` and `lastMessageAt` on, in one statement. Throws `DuplicateClientMessageId` when
   * the unique index finds the `clientMessageId` already in the conversation.
   */
  async createTurn(
    turn: {
      conversationId: string;
      seq: number;
      content: string;
      clientMessageId: string | null;
      contentTokens: number;
      metadata: Record<string, unknown>;
      answer: { modelUsed: string; llmProvider: string; temperature: number };
    },
    tx: Tx,
  ): Promise<{ question: MessageRecord; answer: MessageRecord; conversation: ConversationRecord }> {
    const { Message, Conversation } = this.models;
    try {
      const rows = await this.sequelize.query<Record<string, unknown>>(
        `WITH inserted AS (
           INSERT INTO messages (id, conversation_id, seq, role, content, status, client_message_id,
                                 content_tokens, metadata, model_used, llm_provider, temperature)
           VALUES (gen_random_uuid(), $1, $2, 'user', $3, 'complete', $4, $5, $6::jsonb, NULL, NULL, NULL),
                  (gen_random_uuid(), $1, $2 + 1, 'assistant', '', 'streaming', NULL, 0, '{}'::jsonb, $7, $8, $9)
           RETURNING *
         ), moved AS (
           UPDATE conversations SET total_messages = $2 + 1, last_message_at = now(), updated_at = now()
            WHERE id = $1 RETURNING *
         )
         SELECT ${columnsOf(Message, "i", "m_")}, ${columnsOf(Conversation, "c", "c_")}
           FROM inserted i CROSS JOIN moved c ORDER BY i.seq`,
        {
          bind: [
            turn.conversationId,
            turn.seq,
            turn.content,
            turn.clientMessageId,
            turn.contentTokens,
            JSON.stringify(turn.metadata),
            turn.answer.modelUsed,
            turn.answer.llmProvider,
            turn.answer.temperature,
          ],
          type: QueryTypes.SELECT,
          transaction: tx,
        },
      );
      const [first, second] = rows;
      return {
        question: recordOf<MessageRecord>(Message, first!, "m_")!,
        answer: recordOf<MessageRecord>(Message, second!, "m_")!,
        conversation: recordOf<ConversationRecord>(Conversation, first!, "c_")!,
      };
    } catch (err) {
      const index = (err as { parent?: { constraint?: unknown } }).parent?.constraint;
      if (err instanceof UniqueConstraintError && index === "messages_conversation_client_message_id")
        throw new DuplicateClientMessageId({ cause: err });
      throw err;
    }
  }

  /**
   * Saves the text of every answer this node is writing, in one statement, which also renews their
   * leases (`updated_at`). Returns the ids of those still streaming: one missing was declared
   * interrupted by another node. The text is bound, never written into the SQL, so it appears in no
   * statement and no error.
   */
  async checkpoint(answers: { id: string; content: string }[]): Promise<Set<string>> {
    if (answers.length === 0) return new Set();
    const rows = await this.sequelize.query<{ id: string }>(
      `UPDATE messages m SET content = v.content, updated_at = now()
         FROM unnest($1::uuid[], $2::text[]) AS v(id, content)
        WHERE m.id = v.id AND m.status = 'streaming'
       RETURNING m.id`,
      { bind: [answers.map((a) => a.id), answers.map((a) => a.content)], type: QueryTypes.SELECT },
    );
    return new Set(rows.map((r) => r.id));
  }

  /**
   * Stores the end of an answer that is still streaming and adds its cost to the conversation, in one
   * statement; null when the answer no longer streams (another node declared it interrupted).
   */
  async finish(
    id: string,
    fields: Partial<MessageRecord> & { totalTokens: number | null },
  ): Promise<{ message: MessageRecord; conversation: ConversationRecord } | null> {
    const { Message, Conversation } = this.models;
    const attributes = Message.getAttributes();
    const set = Object.entries(fields).filter(([, v]) => v !== undefined);
    const json = (name: string) => name === "error" || name === "metadata";
    const assignments = set.map(([name], i) => {
      const column = attributes[name as keyof typeof attributes]?.field ?? name;
      return `"${column}" = $${i + 3}${json(name) ? "::jsonb" : ""}`;
    });
    const values = set.map(([name, v]) => (json(name) ? JSON.stringify(v) : v));
    const [row] = await this.sequelize.query<Record<string, unknown>>(
      `WITH done AS (
         UPDATE messages SET ${assignments.join(", ")}, updated_at = now()
          WHERE id = $1 AND status = 'streaming' RETURNING *
       ), charged AS (
         UPDATE conversations c SET total_tokens_used = c.total_tokens_used + $2, updated_at = now()
           FROM done WHERE c.id = done.conversation_id AND $2 > 0 RETURNING c.*
       ), conversation AS (
         SELECT * FROM charged
          UNION ALL
         SELECT c.* FROM conversations c JOIN done ON c.id = done.conversation_id
          WHERE NOT EXISTS (SELECT 1 FROM charged)
       )
       SELECT ${columnsOf(Message, "d", "m_")}, ${columnsOf(Conversation, "c", "c_")}
         FROM done d CROSS JOIN conversation c`,
      { bind: [id, fields.totalTokens ?? 0, ...values], type: QueryTypes.SELECT },
    );
    if (!row) return null;
    return {
      message: recordOf<MessageRecord>(Message, row, "m_")!,
      conversation: recordOf<ConversationRecord>(Conversation, row, "c_")!,
    };
  }

  /**
   * The newest complete or cancelled, non-empty user and assistant messages before `beforeSeq` whose
   * tokens (each with `overhead` added) fit in `budget`, ascending, in one statement. A message costs
   * at least `overhead + 1`, so no more than `budget / (overhead + 1) + 1` messages are read: the cost
   * follows the budget, never the conversation's length. `excluded`: whether older messages are left
   * out (true too, to be safe, when the range read does not reach the start).
   */
  async window(
    conversationId: string,
    beforeSeq: number,
    budget: number,
    overhead: number,
  ): Promise<{ messages: MessageText[]; excluded: boolean }> {
    const from = Math.max(1, beforeSeq - Math.floor(budget / (overhead + 1)) - 1);
    const rows = await this.sequelize.query<{
      seq: number | null;
      role: MessageText["role"];
      content: string;
      contentTokens: number;
      status: MessageText["status"];
      over: string;
    }>(
      `WITH eligible AS (
         SELECT seq, sum(content_tokens + $5) OVER (ORDER BY seq DESC) AS used
           FROM messages
          WHERE conversation_id = $1 AND seq >= $2 AND seq < $3
            AND role <> 'system' AND status IN ('complete', 'cancelled') AND content_tokens > 0
       )
       SELECT m.seq, m.role, m.content, m.content_tokens AS "contentTokens", m.status,
              (SELECT count(*) FROM eligible WHERE used > $4) AS over
         FROM (SELECT 1) AS one
         LEFT JOIN eligible e ON e.used <= $4
         LEFT JOIN messages m ON m.conversation_id = $1 AND m.seq = e.seq
        ORDER BY m.seq`,
      { bind: [conversationId, from, beforeSeq, budget, overhead], type: QueryTypes.SELECT },
    );
    const kept = rows.flatMap(({ over: _over, seq, ...m }) => (seq === null ? [] : [{ seq, ...m }]));
    this.rowsRead += kept.length;
    const excluded = from > 1 || Number(rows[0]?.over ?? 0) > 0;
    return { messages: kept, excluded };
  }

  /**
   * Answers still streaming whose lease (`updated_at`) is older than `leaseSeconds`, in one
   * conversation or in all.
   */
  stale(
    leaseSeconds: number,
    conversationId?: string,
    tx?: Tx,
  ): Promise<{ id: string; conversationId: string }[]> {
    return this.sequelize.query<{ id: string; conversationId: string }>(
      `SELECT id, conversation_id AS "conversationId" FROM messages
        WHERE status = 'streaming' AND updated_at < now() - make_interval(secs => $1)
          ${conversationId ? "AND conversation_id = $2" : ""}`,
      {
        bind: conversationId ? [leaseSeconds, conversationId] : [leaseSeconds],
        type: QueryTypes.SELECT,
        ...inTx(tx),
      },
    );
  }

  /** Marks these answers interrupted, if they are still streaming; returns those it marked. */
  async markInterrupted(
    ids: string[],
    error: { code: string; message: string },
    tx?: Tx,
  ): Promise<MessageRecord[]> {
    const [, rows] = await this.models.Message.update(
      { status: "interrupted", finishReason: "interrupted", error },
      { where: { id: ids, status: "streaming" }, returning: true, ...inTx(tx) },
    );
    return rows.map((m) => m.get({ plain: true }));
  }

  /** Tokens of every answer, by provider and model, the most used first. */
  async tokensByModel(): Promise<AdminStats["tokens"]["byModel"]> {
    const rows = await this.sequelize.query<{
      provider: string;
      model: string;
      input: string;
      output: string;
      total: string;
    }>(
      `SELECT llm_provider AS provider, model_used AS model,
              COALESCE(sum(input_tokens), 0) AS input, COALESCE(sum(output_tokens), 0) AS output,
              COALESCE(sum(total_tokens), 0) AS total
         FROM messages WHERE role = 'assistant' AND llm_provider IS NOT NULL
        GROUP BY llm_provider, model_used ORDER BY sum(total_tokens) DESC NULLS LAST`,
      { type: QueryTypes.SELECT },
    );
    return rows.map((r) => ({
      provider: r.provider,
      model: r.model,
      inputTokens: Number(r.input),
      outputTokens: Number(r.output),
      totalTokens: Number(r.total),
    }));
  }
}

/** Another send with the same `clientMessageId` stored its message first (two nodes raced). */
export class DuplicateClientMessageId extends Error {
  constructor(options: { cause: unknown }) {
    super("a message with this clientMessageId exists", options);
    this.name = "DuplicateClientMessageId";
  }
}
