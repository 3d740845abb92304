import type { BranchedMessage, ConversationRecord, MessageRecord } from "../db/records.js";
import type { MessageRepository, MessageText } from "../db/repositories/index.js";
import { notFound } from "../errors.js";
import { MESSAGE_OVERHEAD_TOKENS } from "../tokens/token-counter.js";

/** A page of stored messages (the REST answer is the protocol's `MessagePage`, of resources). */
export interface StoredPage {
  /** Ascending `seq`: a stretch of one path. */
  messages: BranchedMessage[];
  hasMore: boolean;
}

/** A message of the window the model is sent. */
export type WindowMessage = MessageText & { id: string };

export interface MessageHistoryDeps {
  messages: MessageRepository;
}

/**
 * Reads a conversation's messages. A conversation is a tree, and what a tab shows is the path ending
 * at the head: pages walk up that path through the parent links, so each read touches only the rows
 * it returns, however long the conversation and however many its branches.
 */
export class MessageHistory {
  constructor(private readonly deps: MessageHistoryDeps) {}

  /**
   * The `limit` messages of the path ending at `leafId` (default: the head), ascending, and whether
   * the path goes on above them. With `beforeSeq`, the path above the message with that seq (the
   * oldest a client shows): each page costs the rows it returns, however deep it goes. A `leafId`
   * that is not a message of this conversation is `not_found`.
   */
  async page(
    conversation: Pick<ConversationRecord, "id" | "headId">,
    limit: number,
    options: { beforeSeq?: number | undefined; leafId?: string | undefined } = {},
  ): Promise<StoredPage> {
    const empty = { messages: [], hasMore: false };
    if (options.leafId !== undefined) {
      const leaf = await this.deps.messages.findById(options.leafId);
      if (!leaf || leaf.conversationId !== conversation.id) throw notFound("message");
    }
    if (options.beforeSeq !== undefined) {
      const before = await this.deps.messages.atSeq(conversation.id, options.beforeSeq);
      if (before) return before.parentId ? this.deps.messages.path(before.parentId, limit) : empty;
      // No message has that seq (it is past the newest): the whole path ending at the leaf.
    }
    const leafId = options.leafId ?? conversation.headId;
    if (!leafId) return empty;
    return this.deps.messages.path(leafId, limit);
  }

  /** The head when it is an answer being written or waiting for approval (read from `page` when it holds it). */
  async writingHead(
    conversation: Pick<ConversationRecord, "headId">,
    page: BranchedMessage[],
  ): Promise<MessageRecord | null> {
    const { headId } = conversation;
    if (!headId) return null;
    const head = page.find((m) => m.id === headId) ?? (await this.deps.messages.findById(headId));
    return head?.status === "streaming" || head?.status === "awaiting_approval" ? head : null;
  }

  /** Every message after `afterSeq`, on every branch, ascending. */
  after(conversationId: string, afterSeq: number): Promise<BranchedMessage[]> {
    return this.deps.messages.after(conversationId, afterSeq);
  }

  /**
   * Whether `ancestor` is on the path ending at `fromId`, looking at most `maxSteps` messages up (a
   * summary is used only on a path that holds the message it covers up to).
   */
  onPath(ancestor: { id: string; seq: number }, fromId: string, maxSteps = 1024): Promise<boolean> {
    return this.deps.messages.isAncestor(ancestor, fromId, maxSteps);
  }

  /**
   * The newest complete turns of the path ending at `fromId` (included; none when null) that fit in
   * `budgetTokens`, oldest first, in one statement whose cost follows the budget, never the
   * conversation's length or its branches. Failed and interrupted answers are left out; cancelled
   * ones are kept as the user saw them.
   */
  async window(
    fromId: string | null,
    budgetTokens: number,
  ): Promise<{
    messages: WindowMessage[];
    reachedStart: boolean;
    /** The tokens of the window's messages, framing included, from their stored counts. */
    tokens: number;
  }> {
    if (fromId === null) return { messages: [], reachedStart: true, tokens: 0 };
    // Each message kept costs at least its framing plus a token; a path alternates questions and
    // answers, and an answer that failed costs nothing: the walk needs at most twice that many steps.
    const maxSteps = 2 * Math.floor(budgetTokens / (MESSAGE_OVERHEAD_TOKENS + 1)) + 2;
    const { messages: window, excluded } = await this.deps.messages.window(
      fromId,
      budgetTokens,
      MESSAGE_OVERHEAD_TOKENS,
      maxSteps,
    );
    // Cut short, the window starts with a question; whole, it keeps a template's opening answer.
    const messages = excluded ? trimToTurns(window) : window;
    const tokens = messages.reduce((n, m) => n + m.contentTokens + MESSAGE_OVERHEAD_TOKENS, 0);
    return { messages, reachedStart: !excluded, tokens };
  }
}

/** A window starts with a user or system message: an answer whose question fell out is dropped too. */
function trimToTurns<T extends { role: string }>(messages: T[]): T[] {
  let start = 0;
  while (start < messages.length && messages[start]?.role === "assistant") start++;
  return messages.slice(start);
}
