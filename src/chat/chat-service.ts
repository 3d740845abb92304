import { QueryTypes, UniqueConstraintError } from "sequelize";
import type { Principal } from "../auth/claims.js";
import type { Agent, Conversation, Message, Models } from "../db/models/index.js";
import { ConversationService } from "../conversations/conversation-service.js";
import type { Notifier } from "../conversations/notifier.js";
import {
  toConversationResource,
  toMessageResource,
  type MessageResource,
} from "../conversations/resources.js";
import { countTextTokens, MESSAGE_OVERHEAD_TOKENS } from "../conversations/token-counter.js";
import { AppError, notFound } from "../errors.js";
import type { Logger } from "../observability/logger.js";
import type { FinishReason, Usage } from "../providers/chat-model.js";
import type { ModelRegistry } from "../providers/model-registry.js";
import type { GenerationSnapshot } from "../realtime/events.js";
import { Generation } from "./generation.js";
import type { GenerationRegistry } from "./generation-registry.js";
import { buildPrompt } from "./prompt.js";
import type { GenerationState } from "./generation-state.js";
import type { Summaries } from "./summaries.js";
import type { RateLimits } from "../limits/rate-limits.js";
import type { Recovery } from "./recovery.js";
import type { TurnReports } from "./turn-reports.js";

export interface SendInput {
  conversationId: string;
  content: string;
  clientMessageId?: string | undefined;
  metadata?: Record<string, unknown> | undefined;
}

export interface TurnStart {
  message: MessageResource;
  assistantMessageId: string;
  duplicate?: true;
  /** Settles with the stored answer when the turn ends (complete, cancelled, error or interrupted). */
  finished: Promise<MessageResource>;
}

export interface ChatServiceOptions {
  models: Models;
  conversations: ConversationService;
  modelRegistry: ModelRegistry;
  notifier: Notifier;
  generations: GenerationRegistry;
  logger: Logger;
  /** See STREAM_FLUSH_MS. */
  streamFlushMs: number;
  /** How often an answer's text is saved while it is written (at most every second). */
  checkpointMs: number;
  /** The most tokens an answer may have (default 1024). */
  maxOutputTokens?: number;
  /** Titles and summaries written after answers; none in tests that do not want them. */
  summaries?: Summaries;
  /** Where any node reads the text of an answer being written. */
  state: GenerationState;
  /** The per-user message limit, shared by sockets and REST. */
  limits?: RateLimits;
  /** Asks the other nodes to stop the answer they write in this conversation (none on one node). */
  stopElsewhere?: (conversationId: string) => Promise<boolean>;
  /** Dead nodes' answers, interrupted inline when a send finds one. */
  recovery: Recovery;
  reports: TurnReports;
}

interface TurnContext {
  conversation: Conversation;
  agent: Agent;
  userMessage: Message;
  assistant: Message;
}

/**
 * A turn: the user message and the answer row are stored together before the ack, the answer is
 * streamed as coalesced deltas, checkpointed about once a second (which also renews its lease), and
 * stored once at the end with usage, timings and the conversation's new totals.
 */
export class ChatService {
  private readonly running = new Set<Promise<void>>();
  /** Set by shutdown: no new turn starts on this node. */
  private closing = false;

  constructor(private readonly deps: ChatServiceOptions) {}

  private get sequelize() {
    return this.deps.models.Message.sequelize!;
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
    const { Conversation, Message, Agent } = this.deps.models;
    if (this.closing)
      throw new AppError("unavailable", "this server is shutting down: send again in a moment");
    await this.deps.limits?.consume("message", principal.userId);
    let interrupted: Message[] = [];
    let ctx: TurnContext;
    try {
      ctx = await this.sequelize.transaction(async (transaction) => {
        const conversation = await Conversation.findOne({
          where: { id: input.conversationId, userId: principal.userId },
          lock: transaction.LOCK.UPDATE,
          transaction,
        });
        if (!conversation) throw notFound("conversation");
        await options.onOwned?.();
        // PROTOCOL.md guarantee 6: to its owner, a deleted conversation refuses turns as not active.
        if (conversation.status === "deleted") {
          throw new AppError("conversation_not_active", "the conversation is deleted");
        }
        if (input.clientMessageId) {
          const first = await Message.findOne({
            where: { conversationId: conversation.id, clientMessageId: input.clientMessageId },
            transaction,
          });
          if (first) throw new DuplicateSend(first);
        }
        const agent = await Agent.findByPk(conversation.agentId, { transaction });
        ConversationService.assertAcceptsTurns(conversation, agent);
        if (conversation.totalTokensUsed >= agent!.maxConversationTokens) {
          throw new AppError(
            "token_limit_reached",
            `the conversation has used ${conversation.totalTokensUsed} of its ${agent!.maxConversationTokens} tokens`,
          );
        }
        interrupted = await this.deps.recovery.interruptStale(transaction, conversation.id);
        const writing = await Message.count({
          where: { conversationId: conversation.id, status: "streaming" },
          transaction,
        });
        if (writing > 0)
          throw new AppError("generation_in_progress", "an answer is being written in this conversation");

        const seq = conversation.totalMessages + 1;
        const now = new Date();
        const userMessage = await Message.create(
          {
            conversationId: conversation.id,
            seq,
            role: "user",
            content: input.content,
            status: "complete",
            clientMessageId: input.clientMessageId ?? null,
            contentTokens: countTextTokens(input.content),
            metadata: input.metadata ?? {},
          },
          { transaction },
        );
        const assistant = await Message.create(
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
          { transaction },
        );
        conversation.totalMessages = seq + 1;
        conversation.lastMessageAt = now;
        await conversation.save({ transaction });
        return { conversation, agent: agent!, userMessage, assistant };
      });
    } catch (err) {
      if (err instanceof DuplicateSend) return this.duplicate(err.first);
      if (err instanceof UniqueConstraintError && input.clientMessageId) {
        // Two nodes raced with the same clientMessageId: the unique index decided, the loser answers as a repeat.
        const first = await Message.findOne({
          where: { conversationId: input.conversationId, clientMessageId: input.clientMessageId },
        });
        if (first) return this.duplicate(first);
      }
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
    const finished = this.run(ctx);
    // Tracking the turn also marks `finished` as handled: a caller that does not await it (a socket
    // send) never produces an unhandled rejection.
    const tracked = finished.then(
      () => undefined,
      () => undefined,
    );
    this.running.add(tracked);
    void tracked.then(() => this.running.delete(tracked));
    return { message, assistantMessageId: assistant.id, finished };
  }

  /** Stops the caller's answer being written in the conversation, on whichever node writes it. */
  async stop(principal: Principal, conversationId: string): Promise<boolean> {
    await this.deps.conversations.getOwned(principal, conversationId);
    return this.stopAnywhere(conversationId);
  }

  /** Stops the answer being written in the conversation, here or on another node, keeping its text. */
  async stopAnywhere(conversationId: string): Promise<boolean> {
    if (this.stopLocal(conversationId)) return true;
    return (await this.deps.stopElsewhere?.(conversationId)) ?? false;
  }

  /** The answer this node writes in the conversation, as it knows it; undefined when it writes none. */
  localSnapshot(conversationId: string): GenerationSnapshot | undefined {
    const generation = this.deps.generations.get(conversationId);
    return generation ? generation.snapshot() : undefined;
  }

  /** Stops the answer this node writes in the conversation, if any. */
  stopLocal(conversationId: string): boolean {
    const generation = this.deps.generations.get(conversationId);
    if (!generation || generation.stopped) return false;
    generation.stop();
    return true;
  }

  /** Waits for every answer this node is writing. */
  async idle(): Promise<void> {
    await Promise.allSettled([...this.running]);
  }

  /**
   * Graceful shutdown: running answers get `graceMs` to finish; the rest are stored `interrupted`
   * with the text written so far.
   */
  async shutdown(graceMs: number): Promise<void> {
    this.closing = true;
    let timer: NodeJS.Timeout | undefined;
    const grace = new Promise<void>((resolve) => (timer = setTimeout(resolve, graceMs)));
    await Promise.race([this.idle(), grace]);
    clearTimeout(timer);
    for (const generation of this.deps.generations.all()) generation.stop("shutdown");
    await this.idle();
  }

  private async duplicate(first: Message): Promise<TurnStart> {
    const answer = await this.deps.models.Message.findOne({
      where: { conversationId: first.conversationId, seq: first.seq + 1, role: "assistant" },
    });
    if (!answer) throw new AppError("internal", "the first send of this message has no answer");
    return {
      message: toMessageResource(first),
      assistantMessageId: answer.id,
      duplicate: true,
      finished: this.settledAnswer(answer),
    };
  }

  /** The stored answer once it is no longer streaming (at once if it already ended). */
  private async settledAnswer(answer: Message): Promise<MessageResource> {
    for (let current: Message | null = answer; current;) {
      if (current.status !== "streaming") return toMessageResource(current);
      await new Promise((r) => setTimeout(r, 200));
      current = await this.deps.models.Message.findByPk(answer.id);
    }
    throw notFound("message");
  }

  private async run(ctx: TurnContext): Promise<MessageResource> {
    const { conversation, agent, userMessage, assistant } = ctx;
    const { notifier, generations, logger, state } = this.deps;
    const warnState = (err: unknown) => logger.warn({ err }, "generation state unavailable");
    // Each delta is recorded where every node can read it, then sent: in order, one after another.
    let published: Promise<void> = Promise.resolve();
    const generation = new Generation({
      conversationId: conversation.id,
      messageId: assistant.id,
      flushMs: this.deps.streamFlushMs,
      emit: (event) => {
        published = published
          .then(() => state.append(event))
          .catch(warnState)
          .then(() => notifier.assistantDelta(event));
      },
    });
    generations.add(generation);
    const startedAt = performance.now();
    let firstTokenAt: number | undefined;
    let usage: Usage | undefined;
    let finishReason: FinishReason | undefined;
    let modelUsed = agent.model;
    let failure: AppError | undefined;
    let promptTokens = 0;
    let window: { leftOut: boolean; windowStartSeq: number } | undefined;
    let checkpoint: Promise<void> = Promise.resolve();
    const checkpointTimer = setInterval(() => {
      checkpoint = checkpoint.then(() => this.checkpoint(generation));
    }, this.deps.checkpointMs);
    try {
      try {
        const prompt = await buildPrompt(this.deps.conversations.history, agent, conversation, userMessage);
        window = prompt;
        promptTokens = prompt.messages.reduce(
          (n, m) => n + countTextTokens(m.content) + MESSAGE_OVERHEAD_TOKENS,
          0,
        );
        const model = this.deps.modelRegistry.forAgent(agent);
        for await (const part of model.stream({
          model: agent.model,
          messages: prompt.messages,
          temperature: agent.temperature,
          maxOutputTokens: this.deps.maxOutputTokens ?? 1024,
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
          logger.warn({ err, conversationId: conversation.id, messageId: assistant.id }, "generation failed");
        }
      } finally {
        clearInterval(checkpointTimer);
        generation.flush();
      }
      await checkpoint;
      await published;

      const text = generation.text;
      const status = failure
        ? "error"
        : generation.stopReason === "shutdown"
          ? "interrupted"
          : generation.stopped
            ? "cancelled"
            : "complete";
      const finished = performance.now();
      const fields = {
        content: text,
        status,
        contentTokens: countTextTokens(text),
        ...this.charge(usage, promptTokens, text, firstTokenAt !== undefined),
        modelUsed,
        responseTimeMs: Math.round(finished - startedAt),
        timeToFirstTokenMs: firstTokenAt === undefined ? null : Math.round(firstTokenAt - startedAt),
        finishReason: status === "complete" ? (finishReason ?? null) : status,
        error: failure
          ? { code: failure.code, message: failure.message }
          : status === "interrupted"
            ? SHUTDOWN_ERROR
            : null,
      } as const;
      const stored = await this.finish(assistant, conversation.id, fields);
      // The stored row now holds the text; the shared state can go before the end is announced.
      await state.end(conversation.id, assistant.id).catch(warnState);
      if (!stored) {
        // Another node declared this answer interrupted while we were writing it: its word stands.
        const current = await this.deps.models.Message.findByPk(assistant.id);
        return toMessageResource(current ?? assistant);
      }
      const resource = toMessageResource(stored.message);
      if (resource.error) notifier.assistantError(resource, resource.error);
      else notifier.assistantDone(resource);
      notifier.conversationUpdated(toConversationResource(stored.conversation));
      this.deps.reports.ended(conversation.userId, resource, {
        model: agent.model,
        failureKind: failure?.kind,
      });
      if (resource.status === "complete" && this.deps.summaries) {
        if (userMessage.seq === 1)
          this.deps.summaries.titleInBackground(stored.conversation, agent, userMessage.content);
        if (window?.leftOut)
          this.deps.summaries.refreshInBackground(stored.conversation, agent, window.windowStartSeq);
      }
      return resource;
    } catch (err) {
      // The answer could not be stored (the database is away): it stays `streaming` without a lease,
      // and the recovery sweep will store it as interrupted with its last checkpoint.
      logger.error({ err, messageId: assistant.id }, "could not store the answer");
      throw new AppError("unavailable", "the answer could not be stored", { cause: err });
    } finally {
      clearInterval(checkpointTimer);
      generations.remove(generation);
    }
  }

  /**
   * What an answer costs the conversation: the vendor's usage when it reported one; else the
   * tokenizer's count (marked estimated) when text was produced; nothing for an answer that failed or
   * was stopped before its first token, which no vendor bills.
   */
  private charge(usage: Usage | undefined, promptTokens: number, text: string, produced: boolean) {
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
    const outputTokens = usage?.outputTokens ?? countTextTokens(text);
    return {
      inputTokens,
      outputTokens,
      totalTokens: inputTokens + outputTokens,
      metadata: { usageEstimated: true },
    };
  }

  /**
   * Saves the text so far and renews the answer's lease (and its shared state's). Nothing per token:
   * about once a second. Finding the row no longer streaming means another node declared this
   * writer dead: it stops writing.
   */
  private async checkpoint(generation: Generation): Promise<void> {
    generation.flush();
    try {
      // Bound, not replaced into the SQL: the text never appears in a statement or its errors.
      const [, affected] = await this.sequelize.query(
        `UPDATE messages SET content = $1, updated_at = now() WHERE id = $2 AND status = 'streaming'`,
        { bind: [generation.snapshot().content, generation.messageId], type: QueryTypes.UPDATE },
      );
      if (affected === 0) generation.stop("shutdown");
      await this.deps.state.touch(generation.conversationId).catch(() => undefined);
    } catch (err) {
      this.deps.logger.warn({ err, messageId: generation.messageId }, "checkpoint failed");
    }
  }

  private async finish(
    assistant: Message,
    conversationId: string,
    fields: Omit<Partial<Message>, "totalTokens"> & { totalTokens: number | null },
  ): Promise<{ message: Message; conversation: Conversation } | null> {
    const { Message, Conversation } = this.deps.models;
    return this.sequelize.transaction(async (transaction) => {
      const [count, rows] = await Message.update(fields, {
        where: { id: assistant.id, status: "streaming" },
        returning: true,
        transaction,
      });
      if (count === 0 || !rows[0]) return null;
      await Conversation.increment(
        { totalTokensUsed: fields.totalTokens ?? 0 },
        { where: { id: conversationId }, transaction },
      );
      const conversation = await Conversation.findByPk(conversationId, { transaction });
      return { message: rows[0], conversation: conversation! };
    });
  }
}

const SHUTDOWN_ERROR = {
  code: "interrupted",
  message: "the server shut down before the answer was finished",
};

/** Thrown inside the send transaction to end it early when the clientMessageId was seen before. */
class DuplicateSend extends Error {
  constructor(readonly first: Message) {
    super("duplicate send");
  }
}
