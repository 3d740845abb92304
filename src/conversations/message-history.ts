import type { MessageRecord } from "../db/records.js";
import type { MessageRepository, MessageText } from "../db/repositories/index.js";
import { MESSAGE_OVERHEAD_TOKENS } from "../tokens/token-counter.js";

/** A page of stored messages (the REST answer is the protocol's `MessagePage`, of resources). */
export interface StoredPage {
  /** Ascending `seq`. */
  messages: MessageRecord[];
  hasMore: boolean;
}

/**
 * Reads a conversation's messages by `seq`. Since `seq` has no gaps, every read is a closed range of
 * the (conversation_id, seq) index: it touches only the rows it returns, whatever plan PostgreSQL
 * picks and however long the conversation is.
 */
export class MessageHistory {
  constructor(private readonly messages: MessageRepository) {}

  /**
   * The `limit` messages before `beforeSeq` (or the newest), ascending, and whether older ones exist.
   * `newestSeq` is the conversation's `totalMessages`.
   */
  async page(
    conversationId: string,
    newestSeq: number,
    limit: number,
    beforeSeq?: number,
  ): Promise<StoredPage> {
    const end = Math.min(beforeSeq ?? newestSeq + 1, newestSeq + 1);
    const start = Math.max(1, end - limit);
    return { messages: await this.messages.range(conversationId, start, end), hasMore: start > 1 };
  }

  /**
   * Whether the newest message (`seq` = `newestSeq`) is an answer still streaming, read from `page`
   * when it holds it.
   */
  async newestIsStreaming(
    conversationId: string,
    newestSeq: number,
    page: MessageRecord[],
  ): Promise<boolean> {
    if (newestSeq === 0) return false;
    const newest =
      page.find((m) => m.seq === newestSeq) ?? (await this.messages.atSeq(conversationId, newestSeq));
    return newest?.status === "streaming";
  }

  /** Every message after `afterSeq`, ascending. */
  after(conversationId: string, afterSeq: number): Promise<MessageRecord[]> {
    return this.messages.after(conversationId, afterSeq);
  }

  /**
   * The newest complete turns before `beforeSeq` that fit in `budgetTokens`, oldest first, in one
   * statement whose cost follows the budget, not the conversation's length. Failed and interrupted
   * answers are left out; cancelled ones are kept as the user saw them.
   */
  async window(
    conversationId: string,
    beforeSeq: number,
    budgetTokens: number,
  ): Promise<{
    messages: MessageText[];
    reachedStart: boolean;
    /** The tokens of the window's messages, framing included, from their stored counts. */
    tokens: number;
  }> {
    const { messages: newestFirst, excluded } = await this.messages.window(
      conversationId,
      beforeSeq,
      budgetTokens,
      MESSAGE_OVERHEAD_TOKENS,
    );
    const messages = trimToTurns(newestFirst);
    const tokens = messages.reduce((n, m) => n + m.contentTokens + MESSAGE_OVERHEAD_TOKENS, 0);
    return { messages, reachedStart: !excluded, tokens };
  }
}

/** A window starts with a user message: an answer whose question fell out is dropped too. */
function trimToTurns<T extends { role: string }>(messages: T[]): T[] {
  let start = 0;
  while (start < messages.length && messages[start]?.role === "assistant") start++;
  return messages.slice(start);
}
