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

  /** Every message after `afterSeq`, ascending. */
  after(conversationId: string, afterSeq: number): Promise<MessageRecord[]> {
    return this.messages.after(conversationId, afterSeq);
  }

  /**
   * The newest complete turns before `beforeSeq` that fit in `budgetTokens`, oldest first. Reads
   * backwards from the newest in small batches and stops at the budget, so its cost follows the
   * window, not the conversation's length. Failed and interrupted answers are left out; cancelled
   * ones are kept as the user saw them.
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
    const kept: MessageText[] = [];
    let used = 0;
    const result = (reachedStart: boolean) => {
      const messages = trimToTurns(kept.reverse());
      const tokens = messages.reduce((n, m) => n + m.contentTokens + MESSAGE_OVERHEAD_TOKENS, 0);
      return { messages, reachedStart, tokens };
    };
    let cursor = beforeSeq;
    // Small first (most windows are short), then larger, so a full window takes a few queries.
    for (let batchSize = 64; ; batchSize = Math.min(batchSize * 2, 1024)) {
      const from = Math.max(1, cursor - batchSize);
      const batch = await this.messages.texts(conversationId, from, cursor, { order: "DESC" });
      for (const m of batch) {
        if (m.role === "system") continue;
        if (m.status !== "complete" && m.status !== "cancelled") continue;
        if (m.content.length === 0) continue;
        const cost = m.contentTokens + MESSAGE_OVERHEAD_TOKENS;
        if (used + cost > budgetTokens) return result(false);
        used += cost;
        kept.push(m);
      }
      cursor = from;
      if (from === 1) return result(true);
    }
  }
}

/** A window starts with a user message: an answer whose question fell out is dropped too. */
function trimToTurns<T extends { role: string }>(messages: T[]): T[] {
  let start = 0;
  while (start < messages.length && messages[start]?.role === "assistant") start++;
  return messages.slice(start);
}
