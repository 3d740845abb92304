import { QueryTypes, UniqueConstraintError } from "sequelize";
import type { Models } from "../models/index.js";
import type { AdminStats, FilePart, MessagePart } from "../../protocol/index.js";
import {
  inTx,
  type BranchedMessage,
  type ConversationRecord,
  type MessageRecord,
  type Tx,
} from "../records.js";
import { columnsOf, recordOf } from "../row-mapping.js";

/** The fields of a window's or a transcript's message: what the model is sent, and its count. */
export type MessageText = Pick<
  MessageRecord,
  "seq" | "role" | "content" | "contentTokens" | "status" | "authorId" | "authorName"
> & {
  /** The window's answers carry their parts (tool calls go back to the model); a transcript's need not. */
  parts?: MessageRecord["parts"];
};

/** A message of the tree without its text. */
export type TreeRow = Pick<MessageRecord, "id" | "parentId" | "seq" | "role" | "status" | "createdAt"> & {
  branch: { index: number; count: number };
};

/**
 * A message's place among its siblings (same parent), for the row aliased `m`: by the index of the
 * parent's children (parent_id, seq), or of the conversation's roots. Never a scan of the conversation.
 */
const BRANCH_COLUMNS = `
  CASE WHEN m.parent_id IS NULL
    THEN (SELECT count(*) FROM messages s WHERE s.conversation_id = m.conversation_id AND s.parent_id IS NULL AND s.seq <= m.seq)
    ELSE (SELECT count(*) FROM messages s WHERE s.parent_id = m.parent_id AND s.seq <= m.seq) END AS "branchIndex",
  CASE WHEN m.parent_id IS NULL
    THEN (SELECT count(*) FROM messages s WHERE s.conversation_id = m.conversation_id AND s.parent_id IS NULL)
    ELSE (SELECT count(*) FROM messages s WHERE s.parent_id = m.parent_id) END AS "branchCount"`;

/**
 * The parts of the row `m` with every tool call that has not ended made an error: what is stored
 * when its answer ends without it (a dead node).
 */
const UNSETTLED_TOOLS_FAILED = `(
  SELECT COALESCE(jsonb_agg(
           CASE WHEN p->>'type' = 'tool' AND p->>'state' NOT IN ('output-available', 'output-error', 'denied')
                THEN p || '{"state": "output-error", "error": "the answer was interrupted"}'::jsonb ELSE p END
           ORDER BY i), '[]'::jsonb)
    FROM jsonb_array_elements(m.parts) WITH ORDINALITY AS x(p, i))`;

/** A turn to store: its question (none when an answer is regenerated) and its answer (if one starts). */
export interface NewTurn {
  conversationId: string;
  /** The `seq` of its first new message. */
  seq: number;
  question?: {
    parentId: string | null;
    content: string;
    clientMessageId: string | null;
    contentTokens: number;
    /** The files it sends, before its text. */
    fileParts?: FilePart[];
    metadata: Record<string, unknown>;
    author: { id: string; name: string | null };
  };
  /** The answer's parent when there is no new question (a regenerated answer). */
  answerParentId?: string;
  /** Absent when the question starts no answer (`assistantMode` manual or off). */
  answer?: { modelUsed: string; llmProvider: string; temperature: number };
}

/** A turn as stored, and its conversation moved on. */
export interface StoredTurn {
  question: BranchedMessage | null;
  answer: BranchedMessage | null;
  conversation: ConversationRecord;
}

/**
 * Turns' rows, in one statement (each turn in a conversation of its own): `v` holds every value, one
 * row per turn, bound as typed arrays (a turn without a question or without an answer binds nulls for
 * that part); a turn's question is inserted when `stores_question`, its answer when `starts_answer`,
 * and each conversation moves on to the last of them. Returns the new messages (by conversation, then
 * ascending) with their conversation, under the prefixes `m_` and `c_` of the column lists given (the
 * models' columns, known once the models are set up).
 */
const CREATE_TURNS = (returned: { message: string; conversation: string }) => `
  WITH v AS MATERIALIZED (
    SELECT gen_random_uuid() AS question, gen_random_uuid() AS answer, x.*
      FROM unnest($conversationIds::uuid[], $seqs::int[], $storesQuestion::boolean[], $startsAnswer::boolean[],
                  $parentIds::uuid[], $contents::text[], $clientMessageIds::text[], $contentTokens::int[],
                  $metadata::jsonb[], $fileParts::jsonb[], $authorIds::text[], $authorNames::text[],
                  $modelsUsed::text[], $llmProviders::text[], $temperatures::float8[])
        AS x(conversation_id, seq, stores_question, starts_answer, parent_id, content, client_message_id,
             content_tokens, metadata, file_parts, author_id, author_name, model_used, llm_provider, temperature)
  ), inserted AS (
    INSERT INTO messages (id, conversation_id, parent_id, seq, role, content, parts, status, client_message_id,
                          content_tokens, metadata, model_used, llm_provider, temperature, author_id, author_name)
    SELECT question, conversation_id, parent_id, seq, 'user', content,
           file_parts || CASE WHEN content = '' THEN '[]'::jsonb
                              ELSE jsonb_build_array(jsonb_build_object('type', 'text', 'text', content)) END,
           'complete', client_message_id,
           content_tokens, metadata, NULL::text, NULL::text, NULL::float8, author_id, author_name
      FROM v WHERE stores_question
    UNION ALL
    SELECT answer, conversation_id, CASE WHEN stores_question THEN question ELSE parent_id END,
           seq + stores_question::int, 'assistant', '', '[]'::jsonb, 'streaming', NULL::text,
           0, '{}'::jsonb, model_used, llm_provider, temperature, NULL::text, NULL::text
      FROM v WHERE starts_answer
    RETURNING *
  ), moved AS (
    UPDATE conversations c
       SET total_messages = v.seq + (v.stores_question AND v.starts_answer)::int,
           head_id = CASE WHEN v.starts_answer THEN v.answer ELSE v.question END,
           last_message_at = now(), updated_at = now()
      FROM v
     WHERE c.id = v.conversation_id RETURNING c.*
  )
  SELECT ${returned.message}, ${returned.conversation},
         -- The new messages are the newest of their siblings: the statement's snapshot does not see
         -- them, so count the others and add one.
         CASE WHEN m.parent_id IS NULL
           THEN (SELECT count(*) FROM messages s WHERE s.conversation_id = m.conversation_id AND s.parent_id IS NULL)
           ELSE (SELECT count(*) FROM messages s WHERE s.parent_id = m.parent_id) END + 1 AS "branchCount"
    FROM inserted m JOIN moved c ON c.id = m.conversation_id ORDER BY m.conversation_id, m.seq`;

/** The values of `CREATE_TURNS`, by name, one array element per turn; a part a turn does not store is null. */
function turnParameters(turns: NewTurn[]) {
  const each = <T>(value: (turn: NewTurn) => T) => turns.map(value);
  return {
    conversationIds: each((t) => t.conversationId),
    seqs: each((t) => t.seq),
    storesQuestion: each((t) => t.question !== undefined),
    startsAnswer: each((t) => t.answer !== undefined),
    parentIds: each((t) => t.question?.parentId ?? t.answerParentId ?? null),
    contents: each((t) => t.question?.content ?? null),
    clientMessageIds: each((t) => t.question?.clientMessageId ?? null),
    contentTokens: each((t) => t.question?.contentTokens ?? 0),
    metadata: each((t) => JSON.stringify(t.question?.metadata ?? {})),
    fileParts: each((t) => JSON.stringify(t.question?.fileParts ?? [])),
    authorIds: each((t) => t.question?.author.id ?? null),
    authorNames: each((t) => t.question?.author.name ?? null),
    modelsUsed: each((t) => t.answer?.modelUsed ?? null),
    llmProviders: each((t) => t.answer?.llmProvider ?? null),
    temperatures: each((t) => t.answer?.temperature ?? null),
  };
}

/**
 * The `messages` table. A conversation is a tree (each message follows a parent), and reads follow
 * a path up from a message through the `(parent_id)` links: a page, the window, a summary's
 * transcript each read only the rows they return, however long the conversation and however many
 * its branches (test/integration/history-window.test.ts counts a turn's queries and rows).
 */
export class MessageRepository {
  /** Rows the history window has read, for the test that checks a turn's cost stays flat. */
  rowsRead = 0;

  constructor(private readonly models: Models) {}

  private get sequelize() {
    return this.models.Message.sequelize!;
  }

  private branched(row: Record<string, unknown>): BranchedMessage {
    return {
      ...recordOf<MessageRecord>(this.models.Message, row, "m_")!,
      branch: { index: Number(row.branchIndex), count: Number(row.branchCount) },
    };
  }

  async findById(id: string, tx?: Tx): Promise<MessageRecord | null> {
    return (await this.models.Message.findByPk(id, inTx(tx)))?.get({ plain: true }) ?? null;
  }

  /** The message with its branch. */
  async findBranched(id: string, tx?: Tx): Promise<BranchedMessage | null> {
    return (await this.withBranches([id], tx))[0] ?? null;
  }

  /** These messages with their branches, in `seq` order. */
  async withBranches(ids: string[], tx?: Tx): Promise<BranchedMessage[]> {
    if (ids.length === 0) return [];
    const rows = await this.sequelize.query<Record<string, unknown>>(
      `SELECT ${columnsOf(this.models.Message, "m", "m_")}, ${BRANCH_COLUMNS}
         FROM messages m WHERE m.id = ANY($1::uuid[]) ORDER BY m.seq`,
      { bind: [ids], type: QueryTypes.SELECT, ...inTx(tx) },
    );
    return rows.map((r) => this.branched(r));
  }

  /**
   * The `limit` messages of the path ending at `leafId` (included), ascending, and whether the path
   * goes on above them.
   */
  async path(leafId: string, limit: number): Promise<{ messages: BranchedMessage[]; hasMore: boolean }> {
    const rows = await this.sequelize.query<Record<string, unknown>>(
      `WITH RECURSIVE up AS (
         SELECT id, parent_id, 1 AS depth FROM messages WHERE id = $1
         UNION ALL
         SELECT p.id, p.parent_id, up.depth + 1 FROM up JOIN messages p ON p.id = up.parent_id WHERE up.depth < $2
       )
       SELECT ${columnsOf(this.models.Message, "m", "m_")}, ${BRANCH_COLUMNS}
         FROM up JOIN messages m ON m.id = up.id ORDER BY m.seq`,
      { bind: [leafId, limit], type: QueryTypes.SELECT },
    );
    const messages = rows.map((r) => this.branched(r));
    return { messages, hasMore: messages.length === limit && messages[0]?.parentId !== null };
  }

  /** The message with this `seq` in the conversation. */
  async atSeq(conversationId: string, seq: number): Promise<MessageRecord | null> {
    const row = await this.models.Message.findOne({ where: { conversationId, seq } });
    return row?.get({ plain: true }) ?? null;
  }

  /** Every message after `afterSeq`, on every branch, ascending. */
  async after(conversationId: string, afterSeq: number): Promise<BranchedMessage[]> {
    const rows = await this.sequelize.query<Record<string, unknown>>(
      `SELECT ${columnsOf(this.models.Message, "m", "m_")}, ${BRANCH_COLUMNS}
         FROM messages m WHERE m.conversation_id = $1 AND m.seq > $2 ORDER BY m.seq`,
      { bind: [conversationId, afterSeq], type: QueryTypes.SELECT },
    );
    return rows.map((r) => this.branched(r));
  }

  /** The whole tree, with text (export). */
  all(conversationId: string): Promise<BranchedMessage[]> {
    return this.after(conversationId, 0);
  }

  /** The whole tree without text, in `seq` order. */
  async tree(conversationId: string): Promise<TreeRow[]> {
    const rows = await this.sequelize.query<Record<string, unknown>>(
      `SELECT id, parent_id AS "parentId", seq, role, status, created_at AS "createdAt",
              row_number() OVER (PARTITION BY parent_id ORDER BY seq) AS "branchIndex",
              count(*) OVER (PARTITION BY parent_id) AS "branchCount"
         FROM messages WHERE conversation_id = $1 ORDER BY seq`,
      { bind: [conversationId], type: QueryTypes.SELECT },
    );
    return rows.map(({ branchIndex, branchCount, ...row }) => ({
      ...(row as Omit<TreeRow, "branch">),
      branch: { index: Number(branchIndex), count: Number(branchCount) },
    }));
  }

  /**
   * The newest message under `fromId` (itself if it has no child), following at each step the child
   * with the largest `seq`: where a checkout moves the head.
   */
  async newestUnder(fromId: string, tx?: Tx): Promise<string> {
    const [row] = await this.sequelize.query<{ id: string }>(
      `WITH RECURSIVE down AS (
         SELECT id, seq FROM messages WHERE id = $1
         UNION ALL
         SELECT c.id, c.seq FROM down
           CROSS JOIN LATERAL (SELECT id, seq FROM messages m WHERE m.parent_id = down.id ORDER BY seq DESC LIMIT 1) c
       )
       SELECT id FROM down ORDER BY seq DESC LIMIT 1`,
      { bind: [fromId], type: QueryTypes.SELECT, ...inTx(tx) },
    );
    return row?.id ?? fromId;
  }

  /**
   * The ancestors of `fromId` (itself included) with `seq` above `aboveSeq`, newest first, at most
   * `limit`, without the rows' other fields: a summary's transcript along a path.
   */
  async pathTexts(
    fromId: string,
    aboveSeq: number,
    limit: number,
  ): Promise<(MessageText & { id: string })[]> {
    return this.sequelize.query<MessageText & { id: string }>(
      `WITH RECURSIVE up AS (
         SELECT id, parent_id, seq, 1 AS depth FROM messages WHERE id = $1 AND seq > $2
         UNION ALL
         SELECT p.id, p.parent_id, p.seq, up.depth + 1 FROM up JOIN messages p ON p.id = up.parent_id
          WHERE p.seq > $2 AND up.depth < $3
       )
       SELECT m.id, m.seq, m.role, m.content, m.content_tokens AS "contentTokens", m.status
         FROM up JOIN messages m ON m.id = up.id ORDER BY m.seq DESC`,
      { bind: [fromId, aboveSeq, limit], type: QueryTypes.SELECT },
    );
  }

  /**
   * Whether `ancestor` is on the path ending at `fromId` (itself included). The walk up stops at the
   * ancestor's `seq` (a parent's is always lower) and after `maxSteps`: it costs the distance between
   * the two, never the conversation's length.
   */
  async isAncestor(
    ancestor: { id: string; seq: number },
    fromId: string,
    maxSteps: number,
  ): Promise<boolean> {
    const [row] = await this.sequelize.query<{ found: boolean }>(
      `WITH RECURSIVE up AS (
         SELECT id, parent_id, seq, 0 AS depth FROM messages WHERE id = $2
         UNION ALL
         SELECT p.id, p.parent_id, p.seq, up.depth + 1 FROM up JOIN messages p ON p.id = up.parent_id
          WHERE up.seq > $3 AND up.depth < $4
       )
       SELECT EXISTS (SELECT 1 FROM up WHERE id = $1) AS found`,
      { bind: [ancestor.id, fromId, ancestor.seq, maxSteps], type: QueryTypes.SELECT },
    );
    return row?.found === true;
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

  /** The first answer to this user message. */
  async answerTo(questionId: string): Promise<MessageRecord | null> {
    const row = await this.models.Message.findOne({
      where: { parentId: questionId, role: "assistant" },
      order: [["seq", "ASC"]],
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
   * Stores a turn in one statement: a user message after `question.parentId` (none for a
   * regenerated answer) and its answer row (`streaming`) after it, or after `answerParentId`; moves
   * the conversation's `totalMessages`, `lastMessageAt` and head (to the answer). Throws
   * `DuplicateClientMessageId` when the unique index finds the `clientMessageId` already there.
   */
  async createTurn(turn: NewTurn, tx: Tx): Promise<StoredTurn> {
    const [stored] = await this.createTurns([turn], tx);
    return stored!;
  }

  /**
   * Stores several turns in one statement, each in a conversation of its own (locked by the caller),
   * in the order given. A repeated `clientMessageId` fails them all (`DuplicateClientMessageId`).
   */
  async createTurns(turns: NewTurn[], tx: Tx): Promise<StoredTurn[]> {
    const { Message, Conversation } = this.models;
    const returned = {
      message: columnsOf(Message, "m", "m_"),
      conversation: columnsOf(Conversation, "c", "c_"),
    };
    try {
      const rows = await this.sequelize.query<Record<string, unknown>>(CREATE_TURNS(returned), {
        bind: turnParameters(turns),
        type: QueryTypes.SELECT,
        transaction: tx,
      });
      const byConversation = new Map<string, Record<string, unknown>[]>();
      for (const r of rows) {
        const id = r.m_conversationId as string;
        byConversation.set(id, [...(byConversation.get(id) ?? []), r]);
      }
      return turns.map((turn) => {
        const own = byConversation.get(turn.conversationId)!;
        const messages = own.map((r) => this.branched({ ...r, branchIndex: r.branchCount }));
        return {
          question: turn.question ? messages[0]! : null,
          answer: turn.answer ? messages.at(-1)! : null,
          conversation: recordOf<ConversationRecord>(Conversation, own[0]!, "c_")!,
        };
      });
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
  async checkpoint(
    answers: { id: string; content: string; parts: MessagePart[]; seq: number }[],
  ): Promise<Set<string>> {
    if (answers.length === 0) return new Set();
    const rows = await this.sequelize.query<{ id: string }>(
      `UPDATE messages m SET content = v.content, parts = v.parts, stream_seq = v.seq, updated_at = now()
         FROM unnest($1::uuid[], $2::text[], $3::jsonb[], $4::int[]) AS v(id, content, parts, seq)
        WHERE m.id = v.id AND m.status = 'streaming'
       RETURNING m.id`,
      {
        bind: [
          answers.map((a) => a.id),
          answers.map((a) => a.content),
          answers.map((a) => JSON.stringify(a.parts)),
          answers.map((a) => a.seq),
        ],
        type: QueryTypes.SELECT,
      },
    );
    return new Set(rows.map((r) => r.id));
  }

  /**
   * Stores an answer that is still streaming as waiting for approval, with its parts and what its
   * next step needs; null when it no longer streams.
   */
  async awaitApproval(
    id: string,
    fields: Pick<MessageRecord, "content" | "parts" | "streamSeq" | "answerState">,
  ): Promise<BranchedMessage | null> {
    const rows = await this.sequelize.query<Record<string, unknown>>(
      `UPDATE messages m SET status = 'awaiting_approval', content = $2, parts = $3::jsonb, stream_seq = $4,
              answer_state = $5::jsonb, updated_at = now()
        WHERE m.id = $1 AND m.status = 'streaming'
       RETURNING ${columnsOf(this.models.Message, "m", "m_")}, ${BRANCH_COLUMNS}`,
      {
        bind: [
          id,
          fields.content,
          JSON.stringify(fields.parts),
          fields.streamSeq,
          JSON.stringify(fields.answerState),
        ],
        type: QueryTypes.SELECT,
      },
    );
    return rows[0] ? this.branched(rows[0]) : null;
  }

  /** The answer of the conversation that waits for approval, locked until the transaction ends. */
  async lockAwaiting(
    conversationId: string,
    messageId: string | null,
    tx: Tx,
  ): Promise<MessageRecord | null> {
    const row = await this.models.Message.findOne({
      where: {
        conversationId,
        status: "awaiting_approval",
        ...(messageId ? { id: messageId } : {}),
      },
      lock: tx.LOCK.UPDATE,
      transaction: tx,
    });
    return row?.get({ plain: true }) ?? null;
  }

  /**
   * Changes an answer that waits for approval: its parts and `seq`, and its status (`streaming` when
   * the last decision lets it go on: its lease starts now; `cancelled` when it was stopped).
   */
  async decide(
    id: string,
    fields: Pick<MessageRecord, "parts" | "streamSeq" | "status"> & { content?: string },
    tx: Tx,
  ): Promise<BranchedMessage> {
    const ended = fields.status === "cancelled";
    const rows = await this.sequelize.query<Record<string, unknown>>(
      `UPDATE messages m SET parts = $2::jsonb, stream_seq = $3, status = $4, updated_at = now()
              ${ended ? ", finish_reason = 'cancelled', answer_state = NULL" : ""}
        WHERE m.id = $1
       RETURNING ${columnsOf(this.models.Message, "m", "m_")}, ${BRANCH_COLUMNS}`,
      {
        bind: [id, JSON.stringify(fields.parts), fields.streamSeq, fields.status],
        type: QueryTypes.SELECT,
        transaction: tx,
      },
    );
    return this.branched(rows[0]!);
  }

  /** Answers that have waited for approval longer than `seconds`, oldest first. */
  async awaitingSince(seconds: number, limit: number): Promise<{ id: string; conversationId: string }[]> {
    return this.sequelize.query<{ id: string; conversationId: string }>(
      `SELECT id, conversation_id AS "conversationId" FROM messages
        WHERE status = 'awaiting_approval' AND updated_at < now() - make_interval(secs => $1)
        ORDER BY updated_at LIMIT $2`,
      { bind: [seconds, limit], type: QueryTypes.SELECT },
    );
  }

  /**
   * Stores the end of an answer that is still streaming and adds its cost to the conversation, in one
   * statement; null when the answer no longer streams (another node declared it interrupted).
   */
  async finish(
    id: string,
    fields: Partial<MessageRecord> & { totalTokens: number | null },
  ): Promise<{ message: BranchedMessage; conversation: ConversationRecord } | null> {
    const { Message, Conversation } = this.models;
    const attributes = Message.getAttributes();
    const set = Object.entries(fields).filter(([, v]) => v !== undefined);
    const json = (name: string) => ["error", "metadata", "parts", "answerState"].includes(name);
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
       SELECT ${columnsOf(Message, "m", "m_")}, ${columnsOf(Conversation, "c", "c_")}, ${BRANCH_COLUMNS}
         FROM done m CROSS JOIN conversation c`,
      { bind: [id, fields.totalTokens ?? 0, ...values], type: QueryTypes.SELECT },
    );
    if (!row) return null;
    return {
      message: this.branched(row),
      conversation: recordOf<ConversationRecord>(Conversation, row, "c_")!,
    };
  }

  /**
   * The newest complete or cancelled, non-empty messages of the path ending at `fromId` (included)
   * whose tokens (each with `overhead` added) fit in `budget`, ascending, in one statement that walks
   * up the parent links and stops at the budget: its cost follows the budget, never the
   * conversation's length or its branches. Failed answers cost nothing and are left out, but each is
   * a step: at most `maxSteps` are taken. `excluded`: whether older messages are left out.
   */
  async window(
    fromId: string,
    budget: number,
    overhead: number,
    maxSteps: number,
  ): Promise<{ messages: (MessageText & { id: string })[]; excluded: boolean }> {
    const rows = await this.sequelize.query<{
      id: string | null;
      seq: number | null;
      role: MessageText["role"];
      content: string;
      contentTokens: number;
      status: MessageText["status"];
      authorId: string | null;
      authorName: string | null;
      parts: MessageRecord["parts"] | null;
      used: string | null;
      more: boolean | null;
    }>(
      `WITH RECURSIVE up AS (
         SELECT id, parent_id, seq, 1 AS depth,
                CASE WHEN status IN ('complete', 'cancelled') AND content_tokens > 0 THEN content_tokens + $3 ELSE 0 END AS cost,
                CASE WHEN status IN ('complete', 'cancelled') AND content_tokens > 0 THEN content_tokens + $3 ELSE 0 END AS used
           FROM messages WHERE id = $1
         UNION ALL
         SELECT p.id, p.parent_id, p.seq, up.depth + 1,
                CASE WHEN p.status IN ('complete', 'cancelled') AND p.content_tokens > 0 THEN p.content_tokens + $3 ELSE 0 END,
                up.used + CASE WHEN p.status IN ('complete', 'cancelled') AND p.content_tokens > 0 THEN p.content_tokens + $3 ELSE 0 END
           FROM up JOIN messages p ON p.id = up.parent_id
          WHERE up.used <= $2 AND up.depth < $4
       )
       SELECT m.id, m.seq, m.role, m.content, m.content_tokens AS "contentTokens", m.status,
              m.author_id AS "authorId", m.author_name AS "authorName",
              -- Answers' parts (their tool calls) and a user message's when it sends files.
              CASE WHEN m.role = 'assistant' OR m.parts @> '[{"type": "file"}]'::jsonb THEN m.parts END AS parts,
              up.used,
              -- Left out: a message over the budget was reached, or the walk stopped before the start.
              (SELECT bool_or(u.used > $2 OR (u.parent_id IS NOT NULL AND u.depth >= $4)) FROM up u) AS more
         FROM (SELECT 1) AS one
         LEFT JOIN up ON up.used <= $2 AND up.cost > 0
         LEFT JOIN messages m ON m.id = up.id
        ORDER BY m.seq`,
      { bind: [fromId, budget, overhead, maxSteps], type: QueryTypes.SELECT },
    );
    const kept = rows.flatMap(({ id, seq, used: _used, more: _more, parts, ...m }) =>
      id === null || seq === null ? [] : [{ id, seq, ...m, ...(parts ? { parts } : {}) }],
    );
    this.rowsRead += kept.length;
    return { messages: kept, excluded: rows[0]?.more === true };
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

  /**
   * Marks these answers interrupted, if they are still streaming; returns those it marked. A tool call
   * that had not ended ends as an error: nobody knows whether it ran.
   */
  async markInterrupted(
    ids: string[],
    error: { code: string; message: string },
    tx?: Tx,
  ): Promise<BranchedMessage[]> {
    const rows = await this.sequelize.query<Record<string, unknown>>(
      `UPDATE messages m SET status = 'interrupted', finish_reason = 'interrupted', error = $2::jsonb,
              parts = ${UNSETTLED_TOOLS_FAILED}, stream_seq = m.stream_seq + 1, updated_at = now()
        WHERE m.id = ANY($1::uuid[]) AND m.status = 'streaming'
       RETURNING ${columnsOf(this.models.Message, "m", "m_")}, ${BRANCH_COLUMNS}`,
      { bind: [ids, JSON.stringify(error)], type: QueryTypes.SELECT, ...inTx(tx) },
    );
    return rows.map((r) => this.branched(r));
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
