import type { BranchedMessage, Tx } from "../db/records.js";
import type { ConversationRepository, MessageRepository } from "../db/repositories/index.js";
import type { Notifier } from "../conversations/notifier.js";
import { toMessageResource } from "../conversations/resources.js";
import type { Logger } from "../observability/logger.js";
import type { AnswerLeases } from "./answer-leases.js";
import type { LocalAnswers } from "./local-answers.js";
import type { TurnReports } from "./turn-reports.js";

const INTERRUPTED = {
  code: "interrupted",
  message: "the server writing this answer stopped before it was finished",
};

export interface RecoveryDeps {
  repositories: {
    messages: Pick<MessageRepository, "stale" | "markInterrupted">;
    conversations: Pick<ConversationRepository, "ownersOf">;
  };
  /** This node's answers: never taken for a dead node's. */
  answers: Pick<LocalAnswers, "all">;
  notifier: Notifier;
  leases: AnswerLeases;
  reports: Pick<TurnReports, "ended">;
  logger: Logger;
  /** A streaming answer not checkpointed for this long belongs to a dead node. */
  leaseMs: number;
}

/**
 * No answer stays `streaming`: one whose writer stopped renewing its lease is stored `interrupted`
 * with its checkpointed text, and its room is told with `assistant:error`. The lease is the
 * checkpoint's time in the database and, when the nodes share Redis, a key their writers renew
 * whether or not the database answers: an answer whose checkpoints failed during a database outage
 * is alive as long as its writer renews that key, and its writer stores it when the database is back.
 */
export class Recovery {
  constructor(private readonly deps: RecoveryDeps) {}

  /**
   * Marks `interrupted` every answer whose lease has run out (only this conversation's, inside this
   * transaction, when given: `send` uses it inline). Returns the rows, for `announce`.
   */
  async interruptStale(tx?: Tx, conversationId?: string): Promise<BranchedMessage[]> {
    const { messages } = this.deps.repositories;
    const live = new Set(this.deps.answers.all().map((g) => g.messageId));
    const stale = await messages.stale(this.deps.leaseMs / 1000, conversationId, tx);
    const candidates = stale.filter((r) => !live.has(r.id));
    if (candidates.length === 0) return [];
    let leased = new Set<string>();
    try {
      leased = await this.deps.leases.live(
        candidates.map((r) => ({ conversationId: r.conversationId, messageId: r.id })),
      );
    } catch (err) {
      // Redis cannot tell: the database's lease decides, so that no answer stays streaming.
      this.deps.logger.warn({ err }, "could not read the writers' leases; using the checkpoints alone");
    }
    const ids = candidates.map((r) => r.id).filter((id) => !leased.has(id));
    if (ids.length === 0) return [];
    return messages.markInterrupted(ids, INTERRUPTED, tx);
  }

  /** The sweep every node runs: interrupt dead nodes' answers and tell their rooms. */
  async sweep(): Promise<number> {
    const rows = await this.interruptStale();
    for (const row of rows) {
      await this.deps.leases
        .release({ conversationId: row.conversationId, messageId: row.id })
        .catch(() => undefined);
    }
    this.announce(rows);
    return rows.length;
  }

  /** Tells the rooms (and the operators) about answers just marked interrupted. */
  announce(rows: BranchedMessage[]): void {
    if (rows.length === 0) return;
    void this.ownersOf(rows.map((r) => r.conversationId)).then((owners) => {
      for (const row of rows) {
        const resource = toMessageResource(row);
        this.deps.notifier.assistantError(resource, row.error ?? INTERRUPTED);
        const userId = owners.get(row.conversationId);
        if (userId) this.deps.reports.ended(userId, resource, { model: row.modelUsed ?? "unknown" });
      }
    });
  }

  private async ownersOf(conversationIds: string[]): Promise<Map<string, string>> {
    try {
      return await this.deps.repositories.conversations.ownersOf([...new Set(conversationIds)]);
    } catch (err) {
      this.deps.logger.warn({ err }, "could not look up the owners of interrupted answers");
      return new Map();
    }
  }
}
