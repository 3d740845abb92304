import { setTimeout as sleep } from "node:timers/promises";
import type { Principal } from "../auth/claims.js";
import type { ConversationPolicy } from "../conversations/conversation-policy.js";
import type { Notifier } from "../conversations/notifier.js";
import { toConversationResource, toMessageResource } from "../conversations/resources.js";
import type { BranchedMessage } from "../db/records.js";
import type { MessageRepository } from "../db/repositories/index.js";
import { AppError, notFound } from "../errors.js";
import type { Logger } from "../observability/logger.js";
import type {
  ConversationResource,
  EditInput,
  GenerationSnapshot,
  MessageResource,
  SendInput,
} from "../protocol/index.js";
import type { AnswerWriter, Resumption, TurnContext } from "./answer-writer.js";
import type { LocalAnswers } from "./local-answers.js";
import type { Recovery } from "./recovery.js";
import type { TurnReports } from "./turn-reports.js";
import type { BranchCheckout } from "./branch-checkout.js";
import type { TurnRequest, TurnStarter } from "./turn-starter.js";

export interface TurnStart {
  /** The user message stored (null when an answer is regenerated). */
  message: MessageResource | null;
  /** Null when the message started no answer (`assistantMode` manual or off). */
  assistantMessageId: string | null;
  duplicate?: true;
  /**
   * The stored answer, once the turn has ended (complete, cancelled, error or interrupted). Rejects
   * with `unavailable` as soon as an ended answer cannot be stored because the database is away;
   * this node keeps it and stores it when the database answers again.
   */
  answer: Promise<MessageResource | null>;
}

/** What other nodes are asked, through the adapter (nothing on one node). */
export interface OtherNodesOfChat {
  /** Stops the answer another node writes; with `settle`, once stored. `unavailable` when unreachable. */
  stop(conversationId: string, settle: boolean): Promise<boolean>;
  /** The answer another node writes, as its tabs have been sent it; null when no node writes one. */
  snapshot(conversationId: string): Promise<GenerationSnapshot | null>;
}

export interface ChatServiceDeps {
  repositories: { messages: Pick<MessageRepository, "countStreaming" | "answerTo" | "findBranched"> };
  policy: Pick<ConversationPolicy, "require">;
  starter: Pick<TurnStarter, "begin">;
  checkout: Pick<BranchCheckout, "checkout">;
  writer: Pick<AnswerWriter, "run">;
  answers: Pick<LocalAnswers, "get" | "snapshot" | "stopAll" | "close">;
  recovery: Pick<Recovery, "announce">;
  reports: Pick<TurnReports, "started">;
  notifier: Notifier;
  logger: Logger;
  /** The other nodes; none on one node. */
  otherNodes?: OtherNodesOfChat | undefined;
  /** Stops an answer waiting for approval (denies what is pending); false when none waits. */
  cancelAwaiting?: ((conversationId: string, byUserId: string | null) => Promise<boolean>) | undefined;
}

/**
 * Turns, as the transports see them: a send starts a turn (`TurnStarter`, one short transaction) and
 * hands its answer to the `AnswerWriter`; stop and snapshots reach the answer wherever it is written;
 * shutdown lets running answers end. The answers of this node are held by `LocalAnswers`.
 */
export class ChatService {
  /** Each answer this node writes or still has to store, by message id: settles once it is stored. */
  private readonly running = new Map<string, Promise<void>>();
  /** Set by shutdown: no new turn starts on this node. */
  private closing = false;

  constructor(private readonly deps: ChatServiceDeps) {}

  /**
   * Starts a turn after the head. `onAllowed` runs as soon as the caller is known to be allowed to send,
   * before any event of the turn goes out: a sending socket joins the room there, so it misses nothing.
   */
  send(principal: Principal, input: SendInput, options: TurnOptions = {}): Promise<QuestionTurn> {
    return this.start(principal, { kind: "send", input }, options) as Promise<QuestionTurn>;
  }

  /** Stores a new version of a user message (beside it: same parent) and starts its answer. */
  edit(principal: Principal, input: EditInput, options: TurnOptions = {}): Promise<QuestionTurn> {
    return this.start(principal, { kind: "edit", input }, options) as Promise<QuestionTurn>;
  }

  /** Starts a new answer beside an ended one, to the same question. */
  regenerate(
    principal: Principal,
    input: { conversationId: string; messageId: string },
    options: TurnOptions = {},
  ): Promise<AnswerTurn> {
    // A regenerate always starts an answer (it is refused when the assistant is off).
    return this.start(principal, { kind: "regenerate", ...input }, options) as Promise<AnswerTurn>;
  }

  /** Moves the head to the newest message under `messageId`, and tells every tab. */
  async checkout(
    principal: Principal,
    input: { conversationId: string; messageId: string },
  ): Promise<ConversationResource> {
    const { conversation, role, interrupted } = await this.deps.checkout.checkout(
      principal,
      input.conversationId,
      input.messageId,
    );
    this.deps.recovery.announce(interrupted);
    this.deps.notifier.conversationUpdated(conversation);
    return toConversationResource(conversation, role);
  }

  private async start(principal: Principal, request: TurnRequest, options: TurnOptions): Promise<TurnStart> {
    if (this.closing)
      throw new AppError("unavailable", "this server is shutting down: send again in a moment");
    const beginning = await this.deps.starter.begin(principal, request, options.onAllowed);
    if (beginning.kind === "repeat") return this.repeat(beginning.first);
    this.deps.recovery.announce(beginning.interrupted);
    if (beginning.kind === "stored") {
      // A message that starts no answer: people talking among themselves, or waiting to ask.
      const message = toMessageResource(beginning.question);
      this.deps.notifier.messageCreated(message);
      this.deps.notifier.conversationUpdated(beginning.conversation);
      return { message, assistantMessageId: null, answer: Promise.resolve(null) };
    }
    const { turn } = beginning;
    this.announceStart(turn);
    let run!: Promise<MessageResource>;
    const answer = new Promise<MessageResource>((resolve, reject) => {
      run = this.deps.writer.run(turn, reject);
      run.then(resolve, reject);
    });
    // Marked handled: a caller that does not await it (a socket send) never produces an unhandled
    // rejection.
    answer.catch(() => undefined);
    const tracked = run.then(
      () => undefined,
      () => undefined,
    );
    this.running.set(turn.assistant.id, tracked);
    void tracked.then(() => this.running.delete(turn.assistant.id));
    const message = turn.newQuestion ? toMessageResource(turn.newQuestion) : null;
    return { message, assistantMessageId: turn.assistant.id, answer };
  }

  /** Goes on writing, on this node, an answer whose tool calls are all decided. */
  resume(turn: TurnContext, from: Resumption): void {
    const run = this.deps.writer.run(turn, () => undefined, from);
    const tracked = run.then(
      () => undefined,
      () => undefined,
    );
    this.running.set(turn.assistant.id, tracked);
    void tracked.then(() => this.running.delete(turn.assistant.id));
  }

  private announceStart({ conversation, agent, newQuestion, assistant }: TurnContext): void {
    const { notifier } = this.deps;
    if (newQuestion) notifier.messageCreated(toMessageResource(newQuestion));
    notifier.assistantStart({
      conversationId: conversation.id,
      messageId: assistant.id,
      parentId: assistant.parentId ?? null,
      agentId: agent.id,
      provider: agent.provider,
      model: agent.model,
    });
    notifier.conversationUpdated(conversation);
    this.deps.reports.started({
      userId: conversation.userId,
      conversationId: conversation.id,
      messageId: assistant.id,
      agentId: agent.id,
      provider: agent.provider,
      model: agent.model,
    });
  }

  /** Stops the caller's answer being written in the conversation, on whichever node writes it. */
  async stop(principal: Principal, conversationId: string): Promise<boolean> {
    await this.deps.policy.require(principal, conversationId, "write");
    return this.stopAnywhere(conversationId, { by: principal.userId });
  }

  /**
   * Stops the answer being written in the conversation, here or on another node, keeping its text.
   * With `settle`, resolves only once that answer is stored (erasure deletes right after). Throws
   * `unavailable` when an answer is being written but the node writing it cannot be reached.
   */
  async stopAnywhere(
    conversationId: string,
    options: { settle?: boolean; by?: string } = {},
  ): Promise<boolean> {
    const settle = options.settle ?? false;
    const stopped = this.stopLocal(conversationId);
    if (this.deps.answers.get(conversationId)) {
      if (settle || !stopped) await this.settled(conversationId);
      // An answer whose stream had ended may have been stored as waiting for approval.
      if (stopped) return true;
    }
    // An answer waiting for approval is held by no node: it is stopped in the database.
    if (await this.deps.cancelAwaiting?.(conversationId, options.by ?? null)) return true;
    if (stopped || this.deps.answers.get(conversationId)) return stopped;
    if (!this.deps.otherNodes) return false;
    // Only when an answer is being written somewhere is there another node to reach.
    if ((await this.deps.repositories.messages.countStreaming(conversationId)) === 0) return false;
    return this.deps.otherNodes.stop(conversationId, settle);
  }

  /**
   * Before an erasure: stops the answers being written in these conversations, wherever they are
   * written, and waits until they are stored. A node that cannot be reached does not stop the
   * erasure: its locks are taken in the same order as an answer's, so it waits for a late answer
   * rather than deadlocking with it.
   */
  async stopForErasure(conversationIds: string[]): Promise<void> {
    await Promise.all(
      conversationIds.map((id) =>
        this.stopAnywhere(id, { settle: true }).catch((err: unknown) => {
          this.deps.logger.warn({ err, conversationId: id }, "could not stop an answer before erasure");
        }),
      ),
    );
  }

  /** Resolves once the answer this node writes in the conversation (if any) is stored. */
  async settled(conversationId: string): Promise<void> {
    const answer = this.deps.answers.get(conversationId);
    if (answer) await this.running.get(answer.messageId);
  }

  /** Stops the answer this node writes in the conversation, if one is still being written. */
  stopLocal(conversationId: string): boolean {
    const answer = this.deps.answers.get(conversationId);
    if (!answer || answer.stopped || answer.ended) return false;
    answer.stop();
    return true;
  }

  /** The answer this node writes in the conversation, as its tabs have been sent it. */
  localSnapshot(conversationId: string): GenerationSnapshot | undefined {
    return this.deps.answers.snapshot(conversationId);
  }

  /**
   * The answer being written in the conversation, for a tab that joins: from this node if it writes
   * it, else from the node that does (asked through the adapter). Null when none is written, or its
   * writer is gone (the stored row holds its last checkpoint, which recovery keeps). Throws
   * `unavailable` when the other nodes cannot be asked: the tab may join again.
   */
  async snapshot(conversationId: string, writing: boolean): Promise<GenerationSnapshot | null> {
    const local = this.localSnapshot(conversationId);
    if (local) return local;
    if (!writing || !this.deps.otherNodes) return null;
    return this.deps.otherNodes.snapshot(conversationId);
  }

  /** Waits for every answer this node is writing or storing. */
  async idle(): Promise<void> {
    await Promise.allSettled([...this.running.values()]);
  }

  /**
   * Graceful shutdown: running answers get `graceMs` to finish; the rest are stored `interrupted`
   * with the text written so far. Answers still waiting for the database get as long again; those it
   * cannot store by then are left to recovery (another node, or the next start).
   */
  async shutdown(graceMs: number): Promise<void> {
    this.closing = true;
    await this.idleWithin(graceMs);
    this.deps.answers.stopAll();
    await this.idleWithin(Math.max(graceMs, 1000));
    // What is still waiting for the database now is left to recovery; a call that hangs on a dead
    // connection must not keep the process from exiting.
    this.deps.answers.close();
    await this.idleWithin(1000);
  }

  private async idleWithin(ms: number): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    const limit = new Promise<void>((resolve) => (timer = setTimeout(resolve, ms)));
    await Promise.race([this.idle(), limit]);
    clearTimeout(timer);
  }

  private async repeat(first: BranchedMessage): Promise<TurnStart> {
    const stored = await this.deps.repositories.messages.answerTo(first.id);
    // The first send started no answer: neither does its repeat.
    if (!stored) {
      return {
        message: toMessageResource(first),
        assistantMessageId: null,
        duplicate: true,
        answer: Promise.resolve(null),
      };
    }
    const answer = this.settledAnswer(stored.id);
    // A socket send never awaits it: marked handled, so that its failure cannot end the process.
    answer.catch(() => undefined);
    return { message: toMessageResource(first), assistantMessageId: stored.id, duplicate: true, answer };
  }

  /** The stored answer once it is no longer streaming (at once if it already ended). */
  private async settledAnswer(answerId: string): Promise<MessageResource> {
    for (;;) {
      const current = await this.deps.repositories.messages.findBranched(answerId);
      if (!current) throw notFound("message");
      if (current.status !== "streaming") return toMessageResource(current);
      await sleep(200);
    }
  }
}

/** A turn that started an answer. */
export type AnswerTurn = TurnStart & { assistantMessageId: string; answer: Promise<MessageResource> };

/** A turn that stored a user message (a send or an edit). */
export type QuestionTurn = TurnStart & { message: MessageResource };

export interface TurnOptions {
  /** Runs once the caller is known to be allowed to start the turn, before any of its events. */
  onAllowed?: () => void | Promise<void>;
}
