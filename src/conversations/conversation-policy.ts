import type { Principal } from "../auth/claims.js";
import type { ConversationRecord } from "../db/records.js";
import type { ConversationRepository } from "../db/repositories/index.js";
import { notFound } from "../errors.js";

/**
 * What a caller wants to do with a conversation:
 * - `read`: see it and its messages, join it, watch answers live, export it;
 * - `write`: take part: send, stop an answer;
 * - `manage`: rename, tag, set metadata, archive, delete, summarize.
 */
export type ConversationAction = "read" | "write" | "manage";

/**
 * Who may do what with a conversation: every route and socket event asks here and nowhere else, and
 * the lists ask it which conversations are the caller's. Today the answer is ownership: the owner may
 * do everything, anyone else nothing, and a conversation one may not act on is `not_found` (never
 * `forbidden`: a stranger learns nothing of it).
 */
export class ConversationPolicy {
  constructor(private readonly conversations: ConversationRepository) {}

  /** The conversation, if it exists, is not deleted, and the caller may do `action` with it; else `not_found`. */
  async require(
    principal: Principal,
    conversationId: string,
    action: ConversationAction,
  ): Promise<ConversationRecord> {
    const conversation = await this.conversations.findVisible(conversationId);
    if (!conversation) throw notFound("conversation");
    this.check(principal, conversation, action);
    return conversation;
  }

  /**
   * The same rule on a conversation already read (inside a transaction), whatever its status: what a
   * deleted or archived conversation still allows is the caller's next question, not this one.
   */
  check(principal: Principal, conversation: ConversationRecord, _action: ConversationAction): void {
    if (conversation.userId !== principal.userId) throw notFound("conversation");
  }

  /** Which conversations the caller's lists and totals cover. */
  listScope(principal: Principal): { userId: string } {
    return { userId: principal.userId };
  }
}
