import type { Principal } from "../auth/claims.js";
import type { ConversationPolicy } from "../conversations/conversation-policy.js";
import type { ConversationRecord } from "../db/records.js";
import type { MemberRole } from "../protocol/index.js";
import type { ConversationRepository, MessageRepository, Repositories } from "../db/repositories/index.js";
import { AppError, notFound } from "../errors.js";
import type { Recovery } from "./recovery.js";

export interface BranchCheckoutDeps {
  repositories: {
    conversations: Pick<ConversationRepository, "lock" | "turnContext" | "setHead">;
    messages: Pick<MessageRepository, "newestUnder">;
    transaction: Repositories["transaction"];
  };
  policy: Pick<ConversationPolicy, "check">;
  recovery: Pick<Recovery, "interruptStale">;
  /** GENERATION_LEASE_MS: an answer not checkpointed this long may belong to a dead node. */
  leaseMs: number;
}

/**
 * Moves a conversation's head to another branch (`conversation:checkout`): to the newest message
 * under the one named, following at each step the child with the largest `seq`. Under the
 * conversation's lock, like a turn, so that it never races one; refused while an answer is written,
 * whose path the head must stay on.
 */
export class BranchCheckout {
  constructor(private readonly deps: BranchCheckoutDeps) {}

  /** The conversation with its new head, and the answers found dead on the way (to announce). */
  async checkout(
    principal: Principal,
    conversationId: string,
    messageId: string,
  ): Promise<{
    conversation: ConversationRecord;
    /** The caller's role in it. */
    role: MemberRole;
    interrupted: Awaited<ReturnType<Recovery["interruptStale"]>>;
  }> {
    return this.deps.repositories.transaction(async (tx) => {
      const { conversations, messages } = this.deps.repositories;
      const conversation = await conversations.lock(conversationId, tx);
      if (!conversation) throw notFound("conversation");
      const { target, writing, role } = await conversations.turnContext(
        conversation,
        {
          caller: principal.userId,
          clientMessageId: null,
          leaseSeconds: this.deps.leaseMs / 1000,
          targetId: messageId,
        },
        tx,
      );
      const callerRole = this.deps.policy.check(role, "write");
      // The head is the conversation's: only an active one moves it, like a turn.
      if (conversation.status !== "active") {
        throw new AppError("conversation_not_active", `the conversation is ${conversation.status}`);
      }
      if (!target) throw notFound("message");
      const interrupted = writing?.stale ? await this.deps.recovery.interruptStale(tx, conversation.id) : [];
      if (writing && !interrupted.some((m) => m.id === writing.id)) {
        throw new AppError("generation_in_progress", "an answer is being written in this conversation");
      }
      const headId = await messages.newestUnder(target.id, tx);
      if (headId === conversation.headId) return { conversation, role: callerRole, interrupted };
      const moved = await conversations.setHead(conversation.id, headId, tx);
      if (!moved) throw notFound("conversation");
      return { conversation: moved, role: callerRole, interrupted };
    });
  }
}
