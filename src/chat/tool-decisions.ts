import type { Principal } from "../auth/claims.js";
import type { ConversationPolicy } from "../conversations/conversation-policy.js";
import type { Notifier } from "../conversations/notifier.js";
import { toMessageResource } from "../conversations/resources.js";
import type { BranchedMessage, MessageRecord, Tx } from "../db/records.js";
import type {
  AgentRepository,
  ConversationRepository,
  MessageRepository,
  Repositories,
  UserRepository,
} from "../db/repositories/index.js";
import { AppError, notFound } from "../errors.js";
import type { AssistantPartEvent, DecideInput, ToolPart } from "../protocol/index.js";
import { isPendingApproval } from "../protocol/index.js";
import type { Resumption, TurnContext } from "./answer-writer.js";
import type { TurnReports } from "./turn-reports.js";

export interface ToolDecisionsDeps {
  repositories: {
    messages: Pick<
      MessageRepository,
      "lockAwaiting" | "decide" | "findById" | "findBranched" | "awaitingSince"
    >;
    conversations: Pick<ConversationRepository, "findById">;
    agents: Pick<AgentRepository, "findById">;
    users: Pick<UserRepository, "findById">;
    transaction: Repositories["transaction"];
  };
  policy: Pick<ConversationPolicy, "require">;
  notifier: Notifier;
  reports: Pick<TurnReports, "tool">;
  /** Goes on writing an answer on this node once nothing of it waits for a decision. */
  resume(turn: TurnContext, from: Resumption): void;
}

/** A decision taken, and the answer as it now is. */
interface Decided {
  part: ToolPart;
  index: number;
  message: BranchedMessage;
}

/**
 * Tool calls decided by the people in a conversation (PROTOCOL.md: approval, shared). A decision is
 * taken under the answer's row lock: the first wins, a later one gets `conflict` with the decision
 * taken; the decision that leaves nothing pending makes the answer `streaming` again in the same
 * statement, so that exactly one node (the one that received it) goes on writing it.
 */
export class ToolDecisions {
  constructor(private readonly deps: ToolDecisionsDeps) {}

  async decide(principal: Principal, input: DecideInput): Promise<ToolPart> {
    const conversation = await this.deps.policy.require(principal, input.conversationId, "write");
    if (conversation.toolApproval === "owner" && conversation.role !== "owner") {
      throw new AppError("forbidden", "only the owner decides tool calls in this conversation");
    }
    const user = await this.deps.repositories.users.findById(principal.userId);
    const decidedBy = { id: principal.userId, name: user?.name ?? principal.userId };
    const decided = await this.deps.repositories.transaction((tx) =>
      this.decideLocked(tx, input, (part) => ({
        ...part,
        state: input.approved ? "approved" : "denied",
        approval: {
          decidedBy,
          decidedAt: new Date().toISOString(),
          approved: input.approved,
          ...(input.reason ? { reason: input.reason } : {}),
        },
      })),
    );
    this.announce(decided, conversation.userId);
    if (decided.message.status === "streaming") await this.goOn(decided.message);
    return decided.part;
  }

  /** Under the answer's lock: the decision, the answer's new parts and status. */
  private async decideLocked(
    tx: Tx,
    input: DecideInput,
    decision: (part: ToolPart) => ToolPart,
  ): Promise<Decided> {
    const { messages } = this.deps.repositories;
    const row = await messages.lockAwaiting(input.conversationId, input.messageId, tx);
    if (!row) return this.refusal(input);
    const index = row.parts.findIndex((p) => p.type === "tool" && p.toolCallId === input.toolCallId);
    const part = row.parts[index];
    if (!part || part.type !== "tool") throw notFound("tool call");
    if (part.state !== "approval-requested") throw decidedAlready(part);
    const decided = decision(part);
    const parts = row.parts.map((p, i) => (i === index ? decided : p));
    const status = parts.some(isPendingApproval) ? "awaiting_approval" : "streaming";
    const message = await messages.decide(row.id, { parts, streamSeq: row.streamSeq + 1, status }, tx);
    return { part: decided, index, message };
  }

  /** No answer of the conversation waits under that id: the call was decided, or never was. */
  private async refusal(input: DecideInput): Promise<never> {
    const row = await this.deps.repositories.messages.findById(input.messageId);
    const part = row?.conversationId === input.conversationId ? toolCall(row, input.toolCallId) : undefined;
    if (!part) throw notFound("tool call");
    throw decidedAlready(part);
  }

  private announce({ part, index, message }: Decided, ownerId: string): void {
    const { notifier } = this.deps;
    notifier.assistantPart({
      conversationId: message.conversationId,
      messageId: message.id,
      seq: message.streamSeq,
      index,
      part,
    });
    this.deps.reports.tool(ownerId, { conversationId: message.conversationId, messageId: message.id }, part);
  }

  /** Nothing waits any more: this node goes on writing the answer. */
  async goOn(message: BranchedMessage): Promise<void> {
    const { repositories } = this.deps;
    const conversation = await repositories.conversations.findById(message.conversationId);
    const question = message.parentId ? await repositories.messages.findById(message.parentId) : null;
    const agent = conversation ? await repositories.agents.findById(conversation.agentId) : null;
    if (!conversation || !question || !agent || !message.answerState) {
      throw new AppError("internal", "the answer cannot go on: its conversation changed");
    }
    this.deps.resume(
      { conversation, agent, question, newQuestion: null, assistant: message },
      { seq: message.streamSeq, parts: message.parts, state: message.answerState },
    );
  }

  /**
   * Denies the calls nobody decided within `ttlSeconds` (`decidedBy: null`); each answer so freed
   * goes on, on this node. Returns how many answers it freed.
   */
  async expire(ttlSeconds: number): Promise<number> {
    const overdue = await this.deps.repositories.messages.awaitingSince(ttlSeconds, 20);
    let freed = 0;
    for (const { id, conversationId } of overdue) {
      const decided = await this.deps.repositories.transaction((tx) =>
        this.denyPending(
          tx,
          { conversationId, messageId: id },
          { decidedBy: null, reason: "no decision in time" },
          "streaming",
        ),
      );
      if (!decided) continue;
      for (const change of decided.changed) this.deps.notifier.assistantPart(change);
      freed += 1;
      await this.goOn(decided.message);
    }
    return freed;
  }

  /**
   * Under the answer's lock (the one waiting in the conversation, or `messageId`): every pending call
   * denied by `decidedBy` (null: nobody, the time ran out) for `reason`, the answer moved to `status`.
   * Null when no answer waits.
   */
  private async denyPending(
    tx: Tx,
    target: { conversationId: string; messageId: string | null },
    denial: { decidedBy: { id: string; name: string } | null; reason: string },
    status: "streaming" | "cancelled",
  ) {
    const { conversationId } = target;
    const { messages } = this.deps.repositories;
    const row = await messages.lockAwaiting(conversationId, target.messageId, tx);
    if (!row) return null;
    const decidedAt = new Date().toISOString();
    let seq = row.streamSeq;
    const changed: AssistantPartEvent[] = [];
    const parts = row.parts.map((p, index) => {
      if (!isPendingApproval(p)) return p;
      const part: ToolPart = { ...p, state: "denied", approval: { ...denial, decidedAt, approved: false } };
      changed.push({ conversationId, messageId: row.id, seq: ++seq, index, part });
      return part;
    });
    const message = await messages.decide(row.id, { parts, streamSeq: seq, status }, tx);
    return { message, changed };
  }

  /**
   * Stop on an answer waiting for approval: what is pending is denied (by whoever stopped it; null
   * when the server did) and the answer ends `cancelled`. False when no answer waits.
   */
  async cancel(conversationId: string, byUserId: string | null): Promise<boolean> {
    const user = byUserId ? await this.deps.repositories.users.findById(byUserId) : null;
    const decidedBy = byUserId ? { id: byUserId, name: user?.name ?? byUserId } : null;
    const ended = await this.deps.repositories.transaction((tx) =>
      this.denyPending(
        tx,
        { conversationId, messageId: null },
        { decidedBy, reason: "the answer was stopped" },
        "cancelled",
      ),
    );
    if (!ended) return false;
    for (const change of ended.changed) this.deps.notifier.assistantPart(change);
    this.deps.notifier.assistantDone(toMessageResource(ended.message));
    const conversation = await this.deps.repositories.conversations.findById(conversationId);
    if (conversation) this.deps.notifier.conversationUpdated(conversation);
    return true;
  }
}

function toolCall(row: MessageRecord, toolCallId: string): ToolPart | undefined {
  const part = row.parts.find((p) => p.type === "tool" && p.toolCallId === toolCallId);
  return part?.type === "tool" ? part : undefined;
}

function decidedAlready(part: ToolPart): AppError {
  return new AppError("conflict", "this tool call was decided already", { details: { part } });
}
