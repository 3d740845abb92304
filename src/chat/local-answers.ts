import type { MessageRepository } from "../db/repositories/index.js";
import type { Logger } from "../observability/logger.js";
import { OutageLog } from "../observability/outage-log.js";
import type { GenerationSnapshot } from "../protocol/index.js";
import type { AnswerLeases } from "./answer-leases.js";
import type { Answer } from "./answer.js";
import { Periodic } from "./periodic.js";

export interface LocalAnswersDeps {
  messages: Pick<MessageRepository, "checkpoint">;
  leases: AnswerLeases;
  /** CHECKPOINT_MS: how often the text of every answer being written is saved, and leases renewed. */
  intervalMs: number;
  logger: Logger;
}

/**
 * The answers this node is writing or still has to store: the one owner of them on the node. Once an
 * interval it saves the text of all those being written in one statement (which also renews their
 * leases in the database), and renews all their leases in Redis in one round trip: nothing per token,
 * nothing per answer. Two clocks, so that a database call that hangs cannot starve the leases. It
 * also holds the node's shutdown: once it stops them all, an answer that starts is stopped at once,
 * and once it gives up, answers still waiting for the database are left to recovery.
 */
export class LocalAnswers {
  private readonly byConversation = new Map<string, Answer>();
  private readonly checkpoints: Periodic;
  private readonly renewals: Periodic;
  private readonly checkpointErrors: OutageLog;
  private readonly leaseErrors: OutageLog;
  private stoppingAll = false;
  private readonly giveUpController = new AbortController();

  constructor(private readonly deps: LocalAnswersDeps) {
    this.checkpointErrors = new OutageLog(deps.logger, "checkpoint failed", {});
    this.leaseErrors = new OutageLog(deps.logger, "answer leases could not be renewed", {});
    this.checkpoints = new Periodic(deps.intervalMs, () => this.checkpoint());
    this.renewals = new Periodic(deps.intervalMs, () => this.renew());
  }

  add(answer: Answer): void {
    this.byConversation.set(answer.conversationId, answer);
    if (this.stoppingAll) answer.stop("shutdown"); // started as shutdown stopped the others
  }

  remove(answer: Answer): void {
    if (this.byConversation.get(answer.conversationId) === answer) {
      this.byConversation.delete(answer.conversationId);
    }
  }

  get(conversationId: string): Answer | undefined {
    return this.byConversation.get(conversationId);
  }

  get size(): number {
    return this.byConversation.size;
  }

  all(): Answer[] {
    return [...this.byConversation.values()];
  }

  /** The answer this node writes in the conversation, as its tabs have been sent it. */
  snapshot(conversationId: string): GenerationSnapshot | undefined {
    return this.byConversation.get(conversationId)?.snapshot();
  }

  /** Shutdown: stops every answer being written, and any that starts from now on. */
  stopAll(): void {
    this.stoppingAll = true;
    for (const answer of this.all()) answer.stop("shutdown");
  }

  /** Aborted when shutdown stops waiting for the database. */
  get giveUp(): AbortSignal {
    return this.giveUpController.signal;
  }

  close(): void {
    this.giveUpController.abort();
    this.checkpoints.cancel();
    this.renewals.cancel();
  }

  private async checkpoint(): Promise<void> {
    const writing = this.all().filter((g) => !g.ended && !g.stopped);
    if (writing.length === 0) return;
    for (const g of writing) g.flush();
    try {
      const streaming = await this.deps.messages.checkpoint(
        writing.map((g) => {
          const { content, parts, seq } = g.snapshot();
          return { id: g.messageId, content, parts, seq };
        }),
      );
      this.checkpointErrors.recovered();
      // Another node declared these writers dead and stored the answers interrupted: its word stands.
      for (const g of writing) if (!streaming.has(g.messageId)) g.stop("shutdown");
    } catch (err) {
      this.checkpointErrors.failed(err);
    }
  }

  private async renew(): Promise<void> {
    const held = this.all();
    if (held.length === 0) return;
    try {
      await this.deps.leases.renew(
        held.map((g) => ({ conversationId: g.conversationId, messageId: g.messageId })),
      );
      this.leaseErrors.recovered();
    } catch (err) {
      this.leaseErrors.failed(err);
    }
  }
}
