import { setTimeout as sleep } from "node:timers/promises";
import type { Principal } from "../auth/claims.js";
import type { AgentRecord, ConversationRecord, MessageRecord } from "../db/records.js";
import { DuplicateClientMessageId, type Repositories } from "../db/repositories/index.js";
import type { ConversationPolicy } from "../conversations/conversation-policy.js";
import { ConversationService } from "../conversations/conversation-service.js";
import type { Notifier } from "../conversations/notifier.js";
import {
  toConversationResource,
  toMessageResource,
  type MessageResource,
} from "../conversations/resources.js";
import { countTextTokens } from "../tokens/token-counter.js";
import { AppError, notFound, toAppError } from "../errors.js";
import { OutageLog } from "../observability/outage-log.js";
import { TimeLimitExceeded, withTimeLimit } from "../time-limit.js";
import { Periodic } from "./periodic.js";
import type { Logger } from "../observability/logger.js";
import type { FinishReason, Usage } from "../providers/chat-model.js";
import type { ModelRegistry } from "../providers/model-registry.js";
import type { GenerationSnapshot, SendInput } from "../protocol/index.js";
import { Generation } from "./generation.js";
import type { GenerationRegistry } from "./generation-registry.js";
import { buildPrompt, type Prompt } from "./prompt.js";
import type { GenerationState } from "./generation-state.js";
import type { Summaries } from "./summaries.js";
import type { RateLimits } from "../limits/rate-limits.js";
import type { Recovery } from "./recovery.js";
import type { TurnReports } from "./turn-reports.js";

export interface TurnStart {
  message: MessageResource;
  assistantMessageId: string;
  duplicate?: true;
  /**
   * The stored answer, once the turn has ended (complete, cancelled, error or interrupted). Rejects
   * with `unavailable` as soon as an ended answer cannot be stored because the database is away;
   * this node keeps it and stores it when the database answers again.
   */
  answer: Promise<MessageResource>;
}

export interface ChatServiceOptions {
  repositories: Pick<Repositories, "conversations" | "messages" | "agents" | "transaction">;
  policy: ConversationPolicy;
  conversations: ConversationService;
  modelRegistry: ModelRegistry;
  notifier: Notifier;
  generations: GenerationRegistry;
  logger: Logger;
  /** See STREAM_FLUSH_MS. */
  streamFlushMs: number;
  /** How often an answer's text is saved while it is written (at most every second). */
  checkpointMs: number;
  /** MAX_OUTPUT_TOKENS: the most tokens an answer may have. */
  maxOutputTokens: number;
  /** Titles and summaries written after answers; none in tests that do not want them. */
  summaries?: Summaries;
  /** Where any node reads the text of an answer being written. */
  state: GenerationState;
  /** The per-user message limit, shared by sockets and REST. */
  limits?: RateLimits;
  /**
   * Asks the other nodes to stop the answer they write in this conversation (none on one node);
   * with `settle`, each answers once that answer is stored. Throws `unavailable` when the other
   * nodes cannot be reached.
   */
  stopElsewhere?: (conversationId: string, settle: boolean) => Promise<boolean>;
  /** Dead nodes' answers, interrupted inline when a send finds one. */
  recovery: Recovery;
  reports: TurnReports;
}

interface TurnContext {
  conversation: ConversationRecord;
  agent: AgentRecord;
  userMessage: MessageRecord;
  assistant: MessageRecord;
}

/**
 * A turn: the user message and the answer row are stored together before the ack, the answer is
 * streamed as coalesced deltas, checkpointed about once a second (which also renews its lease), and
 * stored once at the end with usage, timings and the conversation's new totals.
 */
export class ChatService {
  /** Each answer this node writes or still has to store, by message id: settles once it is stored. */
  private readonly running = new Map<string, Promise<void>>();
  /** Set by shutdown: no new turn starts on this node. */
  private closing = false;
  /** Aborted when shutdown stops waiting for the database: answers not stored by then are left to recovery. */
  private readonly giveUp = new AbortController();
  /** Set once shutdown stops the answers being written: one that starts later is stopped at once. */
  private stoppingAll = false;

  constructor(private readonly deps: ChatServiceOptions) {}

  private get repos() {
    return this.deps.repositories;
  }

  /**
   * Starts a turn. `onOwned` runs as soon as the conversation is known to be the caller's, before
   * any event of the turn goes out: a sending socket joins the room there, so it misses nothing.
   */
  async send(
    principal: Principal,
    input: SendInput,
    options: { onOwned?: () => void | Promise<void> } = {},
  ): Promise<TurnStart> {
    const { conversations, messages, agents } = this.repos;
    if (this.closing)
      throw new AppError("unavailable", "this server is shutting down: send again in a moment");
    await this.deps.limits?.consume("message", principal.userId);
    // Counted before the transaction (and never inside it): the count may yield to other clients.
    const contentTokens = await countTextTokens(input.content);
    let interrupted: MessageRecord[] = [];
    let ctx: TurnContext;
    try {
      ctx = await this.repos.transaction(async (tx) => {
        const conversation = await conversations.lock(input.conversationId, tx);
        if (!conversation) throw notFound("conversation");
        this.deps.policy.check(principal, conversation, "write");
        await options.onOwned?.();
        // PROTOCOL.md guarantee 6: to its owner, a deleted conversation refuses turns as not active.
        if (conversation.status === "deleted") {
          throw new AppError("conversation_not_active", "the conversation is deleted");
        }
        if (input.clientMessageId) {
          const first = await messages.findByClientMessageId(conversation.id, input.clientMessageId, tx);
          if (first) throw new DuplicateSend(first);
        }
        const agent = await agents.findById(conversation.agentId, tx);
        ConversationService.assertAcceptsTurns(conversation, agent);
        if (conversation.totalTokensUsed >= agent!.maxConversationTokens) {
          throw new AppError(
            "token_limit_reached",
            `the conversation has used ${conversation.totalTokensUsed} of its ${agent!.maxConversationTokens} tokens`,
          );
        }
        interrupted = await this.deps.recovery.interruptStale(tx, conversation.id);
        const writing = await messages.countStreaming(conversation.id, tx);
        if (writing > 0)
          throw new AppError("generation_in_progress", "an answer is being written in this conversation");

        const seq = conversation.totalMessages + 1;
        const now = new Date();
        const [userMessage, assistant] = await messages.createTurn(
          {
            conversationId: conversation.id,
            seq,
            role: "user",
            content: input.content,
            status: "complete",
            clientMessageId: input.clientMessageId ?? null,
            contentTokens,
            metadata: input.metadata ?? {},
          },
          {
            conversationId: conversation.id,
            seq: seq + 1,
            role: "assistant",
            content: "",
            status: "streaming",
            modelUsed: agent!.model,
            llmProvider: agent!.provider,
            temperature: agent!.temperature,
          },
          tx,
        );
        const updated = await conversations.update(
          conversation.id,
          { totalMessages: seq + 1, lastMessageAt: now },
          tx,
        );
        return { conversation: updated ?? conversation, agent: agent!, userMessage, assistant };
      });
    } catch (err) {
      // A send that starts nothing (a repeat, or refused while an answer is written) costs no message,
      // up to a bound: past it, such sends count as messages again (each cost a count and a lock).
      const refund = async () => {
        const limits = this.deps.limits;
        if (limits && (await limits.tryConsume("refusedSend", principal.userId)))
          await limits.refund("message", principal.userId);
      };
      if (err instanceof DuplicateSend) {
        await refund();
        return this.duplicate(err.first);
      }
      if (err instanceof DuplicateClientMessageId && input.clientMessageId) {
        // Two nodes raced with the same clientMessageId: the unique index decided, the loser answers as a repeat.
        const first = await messages.findByClientMessageId(input.conversationId, input.clientMessageId);
        if (first) {
          await refund();
          return this.duplicate(first);
        }
      }
      if (err instanceof AppError && err.code === "generation_in_progress") await refund();
      throw err;
    }
    this.deps.recovery.announce(interrupted);

    const { conversation, agent, userMessage, assistant } = ctx;
    // Before anything is announced, so that a tab joining from now on gets a snapshot of this answer.
    await this.deps.state
      .begin(conversation.id, assistant.id)
      .catch((err: unknown) => this.deps.logger.warn({ err }, "generation state unavailable"));
    const message = toMessageResource(userMessage);
    this.deps.notifier.messageCreated(message);
    this.deps.notifier.assistantStart({
      conversationId: conversation.id,
      messageId: assistant.id,
      agentId: agent.id,
      provider: agent.provider,
      model: agent.model,
    });
    this.deps.notifier.conversationUpdated(toConversationResource(conversation));
    this.deps.reports.started({
      userId: conversation.userId,
      conversationId: conversation.id,
      messageId: assistant.id,
      agentId: agent.id,
      provider: agent.provider,
      model: agent.model,
    });
    let run!: Promise<MessageResource>;
    const answer = new Promise<MessageResource>((resolve, reject) => {
      run = this.run(ctx, reject);
      run.then(resolve, reject);
    });
    // Marked handled: a caller that does not await it (a socket send) never produces an unhandled
    // rejection.
    answer.catch(() => undefined);
    const tracked = run.then(
      () => undefined,
      () => undefined,
    );
    this.running.set(assistant.id, tracked);
    void tracked.then(() => this.running.delete(assistant.id));
    return { message, assistantMessageId: assistant.id, answer };
  }

  /** Stops the caller's answer being written in the conversation, on whichever node writes it. */
  async stop(principal: Principal, conversationId: string): Promise<boolean> {
    await this.deps.policy.require(principal, conversationId, "write");
    return this.stopAnywhere(conversationId);
  }

  /**
   * Stops the answer being written in the conversation, here or on another node, keeping its text.
   * With `settle`, resolves only once that answer is stored (erasure deletes right after). Throws
   * `unavailable` when an answer is being written but the node writing it cannot be reached.
   */
  async stopAnywhere(conversationId: string, options: { settle?: boolean } = {}): Promise<boolean> {
    const settle = options.settle ?? false;
    const stopped = this.stopLocal(conversationId);
    if (this.deps.generations.get(conversationId)) {
      if (settle) await this.settled(conversationId);
      return stopped;
    }
    if (!this.deps.stopElsewhere) return false;
    // Only when an answer is being written somewhere is there another node to reach.
    if ((await this.repos.messages.countStreaming(conversationId)) === 0) return false;
    return this.deps.stopElsewhere(conversationId, settle);
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
    const generation = this.deps.generations.get(conversationId);
    if (generation) await this.running.get(generation.messageId);
  }

  /** The answer this node writes in the conversation, as it knows it; undefined when it writes none. */
  localSnapshot(conversationId: string): GenerationSnapshot | undefined {
    const generation = this.deps.generations.get(conversationId);
    return generation ? generation.snapshot() : undefined;
  }

  /** Stops the answer this node writes in the conversation, if one is still being written. */
  stopLocal(conversationId: string): boolean {
    const generation = this.deps.generations.get(conversationId);
    if (!generation || generation.stopped || generation.ended) return false;
    generation.stop();
    return true;
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
    this.stoppingAll = true;
    for (const generation of this.deps.generations.all()) generation.stop("shutdown");
    await this.idleWithin(Math.max(graceMs, 1000));
    // What is still waiting for the database now is left to recovery; a call that hangs on a dead
    // connection must not keep the process from exiting.
    this.giveUp.abort();
    await this.idleWithin(1000);
  }

  private async idleWithin(ms: number): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    const limit = new Promise<void>((resolve) => (timer = setTimeout(resolve, ms)));
    await Promise.race([this.idle(), limit]);
    clearTimeout(timer);
  }

  private async duplicate(first: MessageRecord): Promise<TurnStart> {
    const stored = await this.repos.messages.answerTo(first.conversationId, first.seq);
    if (!stored) throw new AppError("internal", "the first send of this message has no answer");
    const answer = this.settledAnswer(stored);
    // A socket send never awaits it: marked handled, so that its failure cannot end the process.
    answer.catch(() => undefined);
    return { message: toMessageResource(first), assistantMessageId: stored.id, duplicate: true, answer };
  }

  /** The stored answer once it is no longer streaming (at once if it already ended). */
  private async settledAnswer(answer: MessageRecord): Promise<MessageResource> {
    let current = answer;
    while (current.status === "streaming") {
      await sleep(200);
      const fresh = await this.repos.messages.findById(answer.id);
      if (!fresh) throw notFound("message");
      current = fresh;
    }
    return toMessageResource(current);
  }

  /**
   * Writes the answer and stores it. `onSaving` is called once if the ended answer cannot be stored
   * at first (the database is away): this node keeps retrying until it is stored.
   */
  private async run(ctx: TurnContext, onSaving: (err: AppError) => void): Promise<MessageResource> {
    const { conversation, assistant } = ctx;
    const { generations, logger, state } = this.deps;
    const stateErrors = new OutageLog(logger, "generation state unavailable", { messageId: assistant.id });
    // Each delta is recorded where every node can read it, then sent: in order, one after another.
    let published: Promise<void> = Promise.resolve();
    const generation = new Generation({
      conversationId: conversation.id,
      messageId: assistant.id,
      flushMs: this.deps.streamFlushMs,
      emit: (event) => {
        published = published
          .then(() => state.append(event))
          .then(
            () => stateErrors.recovered(),
            (err: unknown) => stateErrors.failed(err),
          )
          .then(() => this.deps.notifier.assistantDelta(event));
      },
    });
    generations.add(generation);
    if (this.stoppingAll) generation.stop("shutdown"); // started as shutdown stopped the others
    // Two clocks, so that a database call that hangs cannot starve the lease: the text is
    // checkpointed about once a second while the model writes (never per token), and the lease is
    // renewed as often from the start until the answer is stored. A tick whose last run has not
    // ended is skipped.
    const checkpointErrors = new OutageLog(logger, "checkpoint failed", { messageId: assistant.id });
    const checkpoints = new Periodic(this.deps.checkpointMs, () =>
      generation.ended ? Promise.resolve() : this.checkpoint(generation, checkpointErrors),
    );
    const lease = new Periodic(this.deps.checkpointMs, () =>
      state.touch(conversation.id, assistant.id).then(
        () => stateErrors.recovered(),
        (err: unknown) => stateErrors.failed(err),
      ),
    );
    const release = async () => {
      checkpoints.cancel();
      // A renewal still under way would give the lease back to an answer that has ended.
      await lease.stop(LEASE_STOP_WAIT_MS);
      await state.end(conversation.id, assistant.id).catch((err: unknown) => stateErrors.failed(err));
    };
    try {
      const fields = await this.write(ctx, generation);
      checkpoints.cancel();
      await published;
      const stored = await this.store(ctx, fields, onSaving);
      // The stored row now holds the text; the shared state can go before the end is announced.
      await release();
      return this.announce(ctx, stored, fields);
    } catch (err) {
      // The answer could not be stored: it stays `streaming`, its lease runs out, and recovery
      // stores it as interrupted with its last checkpoint.
      logger.error({ err, messageId: assistant.id }, "could not store the answer");
      await release();
      throw new AppError("unavailable", "the answer could not be stored", { cause: err });
    } finally {
      checkpoints.cancel();
      lease.cancel();
      generations.remove(generation);
    }
  }

  /** Streams the model's answer into the generation; returns what is to be stored. */
  private async write(ctx: TurnContext, generation: Generation): Promise<AnswerFields> {
    const { conversation, agent, userMessage, assistant } = ctx;
    const startedAt = performance.now();
    let firstTokenAt: number | undefined;
    let usage: Usage | undefined;
    let finishReason: FinishReason | undefined;
    let modelUsed = agent.model;
    let failure: AppError | undefined;
    let prompt: Prompt | undefined;
    try {
      prompt = await buildPrompt(this.deps.conversations.history, agent, conversation, userMessage);
      const model = this.deps.modelRegistry.forAgent(agent);
      for await (const part of model.stream({
        model: agent.model,
        messages: prompt.messages,
        temperature: agent.temperature,
        maxOutputTokens: this.deps.maxOutputTokens,
        abortSignal: generation.signal,
        purpose: "answer",
      })) {
        if (generation.stopped) break;
        if (part.type === "text-delta") {
          firstTokenAt ??= performance.now();
          generation.append(part.delta);
        } else if (part.type === "finish") {
          usage = part.usage;
          finishReason = part.finishReason;
          if (part.modelUsed) modelUsed = part.modelUsed;
        }
      }
      if (!generation.stopped && finishReason === undefined) {
        throw new AppError("provider_error", "the model's stream ended before the answer was finished");
      }
    } catch (err) {
      if (!generation.stopped) {
        failure =
          err instanceof AppError && err.code === "provider_error"
            ? err
            : new AppError("provider_error", "the model failed to answer", { cause: err });
        this.deps.logger.warn(
          { err, conversationId: conversation.id, messageId: assistant.id },
          "generation failed",
        );
      }
    } finally {
      generation.end();
    }
    const endedAt = performance.now();

    const text = generation.text;
    // The answer's text is counted once, here; its count is stored with it.
    const contentTokens = await countTextTokens(text);
    const status = failure
      ? "error"
      : generation.stopReason === "shutdown"
        ? "interrupted"
        : generation.stopped
          ? "cancelled"
          : "complete";
    return {
      window: prompt,
      failureKind: failure?.kind,
      row: {
        content: text,
        status,
        contentTokens,
        ...this.charge(usage, prompt?.promptTokens ?? 0, contentTokens, firstTokenAt !== undefined),
        modelUsed,
        responseTimeMs: Math.round(endedAt - startedAt),
        timeToFirstTokenMs: firstTokenAt === undefined ? null : Math.round(firstTokenAt - startedAt),
        finishReason: status === "complete" ? (finishReason ?? null) : status,
        error: failure
          ? { code: failure.code, message: failure.message }
          : status === "interrupted"
            ? SHUTDOWN_ERROR
            : null,
      },
    };
  }

  /**
   * Stores the ended answer. While the database is away it retries, after telling the room once
   * that the answer is being saved, until the answer is stored or shutdown gives up on it.
   */
  private async store(
    ctx: TurnContext,
    fields: AnswerFields,
    onSaving: (err: AppError) => void,
  ): Promise<StoredAnswer | null> {
    const { conversation, assistant } = ctx;
    let delayMs = 200;
    for (let attempt = 0, told = false; ; attempt++) {
      try {
        const stored = await withTimeLimit(
          this.finish(assistant.id, conversation.id, fields.row),
          STORE_TIME_LIMIT_MS,
        );
        if (stored || attempt === 0) return stored;
        // A retry finds the answer no longer streaming: the attempt before may have committed
        // without its reply reaching this node. If the row holds this answer, it was stored.
        return await this.storedBefore(assistant.id, conversation.id, fields.row);
      } catch (err) {
        const away = err instanceof TimeLimitExceeded || toAppError(err).code === "unavailable";
        if (!away || this.giveUp.signal.aborted) throw err;
        if (!told) {
          told = true;
          this.deps.logger.warn(
            { err, messageId: assistant.id },
            "the database is unavailable: the answer is kept and will be stored when it answers",
          );
          this.deps.notifier.assistantSaving({
            conversationId: conversation.id,
            messageId: assistant.id,
            status: fields.row.status,
          });
          onSaving(
            new AppError(
              "unavailable",
              "the answer is finished and will be saved when the database is back",
              {
                details: { messageId: assistant.id, status: fields.row.status },
              },
            ),
          );
        }
        await sleep(delayMs, undefined, { signal: this.giveUp.signal }).catch(() => undefined);
        delayMs = Math.min(delayMs * 2, 2000);
      }
    }
  }

  /** The stored answer and its conversation, if the row holds exactly this ended answer. */
  private async storedBefore(
    assistantId: string,
    conversationId: string,
    row: AnswerRow,
  ): Promise<StoredAnswer | null> {
    const message = await this.repos.messages.findById(assistantId);
    if (!message || message.status !== row.status || message.content !== row.content) return null;
    const conversation = await this.repos.conversations.findById(conversationId);
    return conversation ? { message, conversation } : null;
  }

  /** Tells the room (and the operators) how the stored answer ended; starts titles and summaries. */
  private async announce(
    ctx: TurnContext,
    stored: StoredAnswer | null,
    fields: AnswerFields,
  ): Promise<MessageResource> {
    const { conversation, agent, userMessage, assistant } = ctx;
    const { notifier } = this.deps;
    if (!stored) {
      // Another node declared this answer interrupted while we were writing it: its word stands.
      const current = await this.repos.messages.findById(assistant.id);
      return toMessageResource(current ?? assistant);
    }
    const resource = toMessageResource(stored.message);
    if (resource.error) notifier.assistantError(resource, resource.error);
    else notifier.assistantDone(resource);
    notifier.conversationUpdated(toConversationResource(stored.conversation));
    this.deps.reports.ended(conversation.userId, resource, {
      model: agent.model,
      failureKind: fields.failureKind,
    });
    if (resource.status === "complete" && this.deps.summaries) {
      if (userMessage.seq === 1)
        this.deps.summaries.titleInBackground(stored.conversation, agent, userMessage.content);
      if (fields.window?.leftOut)
        this.deps.summaries.refreshInBackground(stored.conversation, agent, fields.window.windowStartSeq);
    }
    return resource;
  }

  /**
   * What an answer costs the conversation: the vendor's usage when it reported one; else the
   * tokenizer's count (marked estimated) when text was produced; nothing for an answer that failed or
   * was stopped before its first token, which no vendor bills.
   */
  private charge(usage: Usage | undefined, promptTokens: number, textTokens: number, produced: boolean) {
    if (usage && !usage.estimated) {
      return {
        inputTokens: usage.inputTokens,
        outputTokens: usage.outputTokens,
        totalTokens: usage.inputTokens + usage.outputTokens,
        metadata: {},
      };
    }
    if (!produced && !usage) {
      return { inputTokens: null, outputTokens: null, totalTokens: null, metadata: {} };
    }
    const inputTokens = usage?.inputTokens ?? promptTokens;
    const outputTokens = usage?.outputTokens ?? textTokens;
    return {
      inputTokens,
      outputTokens,
      totalTokens: inputTokens + outputTokens,
      metadata: { usageEstimated: true },
    };
  }

  /**
   * Saves the text so far (nothing per token: about once a second), which also renews the answer's
   * lease in the database. Finding the row no longer streaming means another node declared this
   * writer dead: it stops writing.
   */
  private async checkpoint(generation: Generation, errors: OutageLog): Promise<void> {
    generation.flush();
    try {
      const streaming = await this.repos.messages.checkpoint(
        generation.messageId,
        generation.snapshot().content,
      );
      errors.recovered();
      if (!streaming) generation.stop("shutdown");
    } catch (err) {
      errors.failed(err);
    }
  }

  /**
   * Stores the ended answer and adds its cost to the conversation, in one transaction. Returns null
   * when the answer is no longer streaming (another node declared it interrupted) or is gone.
   */
  private async finish(
    assistantId: string,
    conversationId: string,
    row: AnswerRow,
  ): Promise<StoredAnswer | null> {
    const { conversations, messages } = this.repos;
    return this.repos.transaction(async (tx) => {
      // The conversation first, then its message: the order every writer takes them in (a send, a
      // cascading erasure), so that none of them can deadlock with another.
      const conversation = await conversations.lock(conversationId, tx);
      if (!conversation) return null;
      const message = await messages.finishStreaming(assistantId, row, tx);
      if (!message) return null;
      // An answer that cost nothing (stopped or failed before its first token) changes nothing.
      const updated = row.totalTokens
        ? await conversations.update(
            conversationId,
            { totalTokensUsed: conversation.totalTokensUsed + row.totalTokens },
            tx,
          )
        : conversation;
      return { message, conversation: updated ?? conversation };
    });
  }
}

/** An answer as stored, and its conversation with the new totals. */
interface StoredAnswer {
  message: MessageRecord;
  conversation: ConversationRecord;
}

type AnswerRow = Omit<Partial<MessageRecord>, "totalTokens" | "status"> & {
  status: MessageResource["status"];
  totalTokens: number | null;
};

/** An ended answer: the row to store, and what the announcement needs. */
interface AnswerFields {
  row: AnswerRow;
  /** The prompt's window (absent when the prompt could not be built). */
  window: Prompt | undefined;
  failureKind: string | undefined;
}

/** How long one attempt to store an ended answer may take before it counts as the database being away. */
const STORE_TIME_LIMIT_MS = 10_000;
/** How long an ended answer waits for a lease renewal still under way before its state is removed. */
const LEASE_STOP_WAIT_MS = 1000;

const SHUTDOWN_ERROR = {
  code: "interrupted",
  message: "the server shut down before the answer was finished",
};

/** Thrown inside the send transaction to end it early when the clientMessageId was seen before. */
class DuplicateSend extends Error {
  constructor(readonly first: MessageRecord) {
    super("duplicate send");
  }
}
