import { Op, QueryTypes, UniqueConstraintError, type CreationAttributes } from "sequelize";
import type { Message, Models } from "../models/index.js";
import type { AdminStats } from "../../protocol/index.js";
import { inTx, type MessageRecord, type Tx } from "../records.js";

/** The fields of a window's or a transcript's message: what the model is sent, and its count. */
export type MessageText = Pick<MessageRecord, "seq" | "role" | "content" | "contentTokens" | "status">;

/**
 * The `messages` table. Since `seq` has no gaps, every read of a conversation's messages is a closed
 * range of the (conversation_id, seq) index: it touches only the rows it returns, whatever plan
 * PostgreSQL picks and however long the conversation is (test/integration/history-window.test.ts
 * counts a turn's queries and rows at 2,000 and 6,000 messages).
 */
export class MessageRepository {
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
   * Stores a user message and its answer row, in this order. Throws `DuplicateClientMessageId` when
   * the unique index finds the user message's `clientMessageId` already in the conversation.
   */
  async createTurn(
    user: CreationAttributes<Message>,
    assistant: CreationAttributes<Message>,
    tx: Tx,
  ): Promise<[MessageRecord, MessageRecord]> {
    try {
      const question = await this.models.Message.create(user, { transaction: tx });
      const answer = await this.models.Message.create(assistant, { transaction: tx });
      return [question.get({ plain: true }), answer.get({ plain: true })];
    } catch (err) {
      const index = (err as { parent?: { constraint?: unknown } }).parent?.constraint;
      if (err instanceof UniqueConstraintError && index === "messages_conversation_client_message_id")
        throw new DuplicateClientMessageId({ cause: err });
      throw err;
    }
  }

  /**
   * Saves the text of an answer being written, which also renews its lease (`updated_at`). Returns
   * false when the answer is no longer streaming. The text is bound, never written into the SQL, so
   * it appears in no statement and no error.
   */
  async checkpoint(id: string, content: string): Promise<boolean> {
    const [, affected] = await this.sequelize.query(
      `UPDATE messages SET content = $1, updated_at = now() WHERE id = $2 AND status = 'streaming'`,
      { bind: [content, id], type: QueryTypes.UPDATE },
    );
    return affected > 0;
  }

  /** Stores the end of an answer that is still streaming; null when it no longer is. */
  async finishStreaming(id: string, fields: Partial<MessageRecord>, tx: Tx): Promise<MessageRecord | null> {
    const [count, rows] = await this.models.Message.update(fields, {
      where: { id, status: "streaming" },
      returning: true,
      transaction: tx,
    });
    return count === 0 ? null : (rows[0]?.get({ plain: true }) ?? null);
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
