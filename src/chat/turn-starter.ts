import type { Principal } from "../auth/claims.js";
import type { ConversationPolicy } from "../conversations/conversation-policy.js";
import { ConversationService } from "../conversations/conversation-service.js";
import type { MessageRecord } from "../db/records.js";
import { DuplicateClientMessageId, type Repositories } from "../db/repositories/index.js";
import { AppError, notFound } from "../errors.js";
import type { RateLimits } from "../limits/rate-limits.js";
import type { SendInput } from "../protocol/index.js";
import { countTextTokens } from "../tokens/token-counter.js";
import type { TurnContext } from "./answer-writer.js";
import type { Recovery } from "./recovery.js";

export interface TurnStarterDeps {
  repositories: Pick<Repositories, "conversations" | "messages" | "transaction">;
  policy: ConversationPolicy;
  recovery: Recovery;
  /** The per-user message limit, shared by sockets and REST. */
  limits?: RateLimits | undefined;
  /** GENERATION_LEASE_MS: an answer not checkpointed this long may belong to a dead node. */
  leaseMs: number;
}

/** A turn either starts, or repeats one (the same `clientMessageId`) that started before. */
export type TurnBeginning =
  | { kind: "started"; turn: TurnContext; interrupted: MessageRecord[] }
  | { kind: "repeat"; first: MessageRecord };

/**
 * Starts a turn in one short transaction: one statement locks the conversation; one reads its agent,
 * a repeat of the `clientMessageId` and the answer being written; one stores the user message and
 * its answer row and moves the conversation on. Everything else (the rate limit, counting the
 * message's tokens) happens before it, so no lock is held while anything but the database works.
 */
export class TurnStarter {
  constructor(private readonly deps: TurnStarterDeps) {}

  /** `onAllowed` runs as soon as the caller is known to be allowed to send, before anything is stored. */
  async begin(
    principal: Principal,
    input: SendInput,
    onAllowed: () => void | Promise<void> = () => undefined,
  ): Promise<TurnBeginning> {
    const { limits } = this.deps;
    await limits?.consume("message", principal.userId);
    // Counted before the transaction (and never inside it): the count may yield to other clients.
    const contentTokens = await countTextTokens(input.content);
    // A send that starts nothing (a repeat, or refused while an answer is written) costs no message,
    // up to a bound: past it, such sends count as messages again (each cost a count and a lock).
    const refund = async () => {
      if (limits && (await limits.tryConsume("refusedSend", principal.userId)))
        await limits.refund("message", principal.userId);
    };
    try {
      return await this.deps.repositories.transaction(async (tx) => {
        const { conversations, messages } = this.deps.repositories;
        const conversation = await conversations.lock(input.conversationId, tx);
        if (!conversation) throw notFound("conversation");
        this.deps.policy.check(principal, conversation, "write");
        await onAllowed();
        // A statement of its own, after the lock: it sees what a turn it waited for has committed.
        const { agent, duplicateId, writing } = await conversations.turnContext(
          conversation,
          input.clientMessageId ?? null,
          this.deps.leaseMs / 1000,
          tx,
        );
        // PROTOCOL.md guarantee 6: to its owner, a deleted conversation refuses turns as not active.
        if (conversation.status === "deleted") {
          throw new AppError("conversation_not_active", "the conversation is deleted");
        }
        if (duplicateId) throw new RepeatedSend(duplicateId);
        ConversationService.assertAcceptsTurns(conversation, agent);
        if (conversation.totalTokensUsed >= agent!.maxConversationTokens) {
          throw new AppError(
            "token_limit_reached",
            `the conversation has used ${conversation.totalTokensUsed} of its ${agent!.maxConversationTokens} tokens`,
          );
        }
        // An answer still streaming whose lease ran out may be a dead node's: recovery decides.
        const interrupted = writing?.stale
          ? await this.deps.recovery.interruptStale(tx, conversation.id)
          : [];
        if (writing && !interrupted.some((m) => m.id === writing.id)) {
          throw new AppError("generation_in_progress", "an answer is being written in this conversation");
        }
        const created = await messages.createTurn(
          {
            conversationId: conversation.id,
            seq: conversation.totalMessages + 1,
            content: input.content,
            clientMessageId: input.clientMessageId ?? null,
            contentTokens,
            metadata: input.metadata ?? {},
            answer: {
              modelUsed: agent!.model,
              llmProvider: agent!.provider,
              temperature: agent!.temperature,
            },
          },
          tx,
        );
        const turn = {
          conversation: created.conversation,
          agent: agent!,
          userMessage: created.question,
          assistant: created.answer,
        };
        return { kind: "started" as const, turn, interrupted };
      });
    } catch (err) {
      if (err instanceof RepeatedSend) {
        await refund();
        const first = await this.deps.repositories.messages.findById(err.firstId);
        if (first) return { kind: "repeat", first };
      }
      if (err instanceof DuplicateClientMessageId && input.clientMessageId) {
        // Two nodes raced with the same clientMessageId: the unique index decided, the loser answers as a repeat.
        const first = await this.deps.repositories.messages.findByClientMessageId(
          input.conversationId,
          input.clientMessageId,
        );
        if (first) {
          await refund();
          return { kind: "repeat", first };
        }
      }
      if (err instanceof AppError && err.code === "generation_in_progress") await refund();
      throw err;
    }
  }
}

/** Thrown inside the send transaction to end it early when the clientMessageId was seen before. */
class RepeatedSend extends Error {
  constructor(readonly firstId: string) {
    super("repeated send");
  }
}
