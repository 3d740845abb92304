import { setTimeout as sleep } from "node:timers/promises";
import type { AgentRecord, BranchedMessage, ConversationRecord, MessageRecord } from "../db/records.js";
import type { ConversationRepository, MessageRepository } from "../db/repositories/index.js";
import type { Notifier } from "../conversations/notifier.js";
import { toMessageResource } from "../conversations/resources.js";
import { AppError, toAppError } from "../errors.js";
import type { Logger } from "../observability/logger.js";
import type { MessageResource } from "../protocol/index.js";
import type { ModelRegistry } from "../providers/model-registry.js";
import { TimeLimitExceeded, withTimeLimit } from "../time-limit.js";
import { countTextTokens } from "../tokens/token-counter.js";
import type { AnswerLeases } from "./answer-leases.js";
import { answerOutcome, type AnswerRow, type StreamResult } from "./answer-outcome.js";
import { Answer } from "./answer.js";
import type { LocalAnswers } from "./local-answers.js";
import { buildPrompt, type Prompt, type PromptHistory } from "./prompt.js";
import type { Summaries } from "./summaries.js";
import { AnswerSteps, type StepsResult } from "./answer-steps.js";
import type { AnswerState } from "../db/records.js";
import type { MessagePart, ToolPart } from "../protocol/index.js";
import { NO_TOOLS, type ToolCatalog } from "../tools/tool-box.js";
import type { FileService } from "../files/file-service.js";
import type { TurnReports } from "./turn-reports.js";

/** A turn whose user message and answer row are stored: what its answer is written from. */
export interface TurnContext {
  conversation: ConversationRecord;
  agent: AgentRecord;
  /** The user message answered: the new one, or the question of a regenerated answer. */
  question: MessageRecord;
  /** The user message this turn stored (none when an answer is regenerated). */
  newQuestion: BranchedMessage | null;
  assistant: BranchedMessage;
}

export interface AnswerWriterDeps {
  repositories: {
    messages: Pick<MessageRepository, "finish" | "findBranched" | "awaitApproval" | "checkpoint">;
    conversations: Pick<ConversationRepository, "findById">;
  };
  /** Where the prompt's history is read (the conversation service's). */
  conversations: { readonly history: PromptHistory };
  modelRegistry: Pick<ModelRegistry, "forAgent">;
  notifier: Notifier;
  answers: Pick<LocalAnswers, "add" | "remove" | "giveUp">;
  leases: AnswerLeases;
  logger: Logger;
  reports: Pick<TurnReports, "ended" | "tool">;
  /** Titles and summaries written after answers; none in tests that do not want them. */
  summaries?: Pick<Summaries, "titleInBackground" | "refreshInBackground"> | undefined;
  /** STREAM_FLUSH_MS. */
  streamFlushMs: number;
  /** MAX_OUTPUT_TOKENS. */
  maxOutputTokens: number;
  /** Where an answer gets its agent's tools; none: agents have no tools. */
  tools?: ToolCatalog | undefined;
  /** Where the model's files are read; none: files are not sent. */
  files?: Pick<FileService, "forPrompt"> | undefined;
}

/** Where an answer that waited for approval goes on from (PROTOCOL.md: approval, shared). */
export interface Resumption {
  seq: number;
  parts: MessagePart[];
  state: AnswerState;
}

/** How long one attempt to store an ended answer may take before it counts as the database being away. */
const STORE_TIME_LIMIT_MS = 10_000;

/**
 * Writes one answer: builds the prompt, streams the model's chunks to the room as coalesced deltas
 * (each sent at once: nothing is awaited per delta), works out how the answer ended, stores it (with
 * retries while the database is away) and tells the room. The answers of the node are held by
 * `LocalAnswers`, which checkpoints them.
 */
export class AnswerWriter {
  constructor(private readonly deps: AnswerWriterDeps) {}

  /**
   * Writes and stores the answer. `onSaving` is called once if the ended answer cannot be stored at
   * first (the database is away): the writer keeps retrying until it is stored.
   */
  async run(
    ctx: TurnContext,
    onSaving: (err: AppError) => void,
    resume?: Resumption,
  ): Promise<MessageResource> {
    const { conversation, assistant } = ctx;
    const { answers, logger, notifier } = this.deps;
    const answer = new Answer({
      conversationId: conversation.id,
      messageId: assistant.id,
      flushMs: this.deps.streamFlushMs,
      emit: (event) => notifier.assistantDelta(event),
      emitReasoning: (event) => notifier.assistantReasoning(event),
      emitPart: (event) => notifier.assistantPart(event),
      resumeFrom: resume,
    });
    answers.add(answer);
    try {
      const { result, prompt } = await this.write(ctx, answer, resume?.state);
      if (result.awaiting) return await this.awaitApproval(ctx, answer, result);
      const row = { ...answerOutcome(result), ...partsRow(answer), answerState: null };
      const stored = await this.store(ctx, row, onSaving);
      // The stored row now holds the text: its lease can go before the end is announced.
      await this.deps.leases
        .release({ conversationId: conversation.id, messageId: assistant.id })
        .catch(() => undefined);
      return await this.announce(ctx, stored, { prompt, failureKind: result.failure?.kind });
    } catch (err) {
      // The answer could not be stored: it stays `streaming`, its lease runs out, and recovery
      // stores it as interrupted with its last checkpoint.
      logger.error({ err, messageId: assistant.id }, "could not store the answer");
      throw new AppError("unavailable", "the answer could not be stored", { cause: err });
    } finally {
      answers.remove(answer);
    }
  }

  /** Writes the model's steps into the answer; returns how they went. */
  private async write(
    ctx: TurnContext,
    answer: Answer,
    state: AnswerState | undefined,
  ): Promise<{ result: StreamResult & StepsResult; prompt: Prompt | undefined }> {
    const startedAt = performance.now() - (state?.responseTimeMs ?? 0);
    let prompt: Prompt | undefined;
    let steps: StepsResult = AnswerSteps.nothing(ctx.agent, state);
    try {
      // Outside the vendor's error handling: a database that is slow or away is not the vendor's
      // failure, and the answer can wait for it.
      prompt = await this.prompt(ctx, answer);
      if (prompt && !answer.stopped) {
        const tools = await this.toolsOf(ctx);
        const saveBeforeTools = (a: Answer) => this.saveBeforeTools(a);
        const toolEnded = (c: TurnContext, part: ToolPart) => this.toolEnded(c, part);
        steps = await new AnswerSteps({ ...this.deps, tools, saveBeforeTools, toolEnded }).run(
          ctx,
          answer,
          prompt,
          state,
        );
      }
    } catch (err) {
      steps.failure = new AppError("internal", "the answer could not be prepared", { cause: err });
      this.deps.logger.error({ err, messageId: ctx.assistant.id }, "the prompt could not be built");
    } finally {
      answer.end();
    }
    const endedAt = performance.now();
    const text = answer.text;
    const ttft = state?.timeToFirstTokenMs;
    return {
      prompt,
      result: {
        ...steps,
        firstTokenAt: ttft === null || ttft === undefined ? steps.firstTokenAt : startedAt + ttft,
        text,
        // The answer's text (and its tool calls) is counted once, here; its count is stored with it.
        textTokens: await countTextTokens(text + toolText(answer.partsNow)),
        promptTokens: prompt?.promptTokens ?? 0,
        stopReason: answer.stopReason,
        startedAt,
        endedAt,
      },
    };
  }

  /** Tells the operators of a tool call's new state. */
  private toolEnded({ conversation, assistant }: TurnContext, part: ToolPart): void {
    this.deps.reports.tool(
      conversation.userId,
      { conversationId: conversation.id, messageId: assistant.id },
      part,
    );
  }

  /** A checkpoint of the answer before its tools run; a failure only delays the record to the next one. */
  private async saveBeforeTools(answer: Answer): Promise<void> {
    const { content, parts, seq } = answer.snapshot();
    try {
      await withTimeLimit(
        this.deps.repositories.messages.checkpoint([{ id: answer.messageId, content, parts, seq }]),
        STORE_TIME_LIMIT_MS,
      );
    } catch (err) {
      this.deps.logger.warn(
        { err, messageId: answer.messageId },
        "the answer could not be saved before its tools",
      );
    }
  }

  /** The agent's tools; none when they cannot be read (the answer goes on without them). */
  private async toolsOf(ctx: TurnContext) {
    if (!this.deps.tools || ctx.agent.toolIds.length === 0) return NO_TOOLS;
    try {
      return await this.deps.tools.forAgent(ctx.agent);
    } catch (err) {
      this.deps.logger.warn({ err, messageId: ctx.assistant.id }, "the agent's tools could not be read");
      return NO_TOOLS;
    }
  }

  /**
   * Stores the answer as waiting for approval (held by no node: its lease goes) with what its next
   * step needs, and tells the operators; the tabs have seen the request as `assistant:part`.
   */
  private async awaitApproval(
    ctx: TurnContext,
    answer: Answer,
    result: StreamResult & StepsResult,
  ): Promise<MessageResource> {
    const { conversation, assistant } = ctx;
    const state: AnswerState = {
      steps: result.steps,
      inputTokens: result.usage?.inputTokens ?? 0,
      outputTokens: result.usage?.outputTokens ?? 0,
      usageEstimated: result.usage?.estimated === true,
      timeToFirstTokenMs:
        result.firstTokenAt === undefined ? null : Math.round(result.firstTokenAt - result.startedAt),
      responseTimeMs: Math.round(result.endedAt - result.startedAt),
      ...(Object.keys(result.thinking).length > 0 ? { thinking: result.thinking } : {}),
    };
    const stored = await withTimeLimit(
      this.deps.repositories.messages.awaitApproval(assistant.id, {
        ...partsRow(answer),
        content: answer.text,
        answerState: state,
      }),
      STORE_TIME_LIMIT_MS,
    );
    // Stored: a decision finds it now, so the tabs may see the requests.
    answer.releaseHeld();
    await this.deps.leases
      .release({ conversationId: conversation.id, messageId: assistant.id })
      .catch(() => undefined);
    const current = stored ?? (await this.deps.repositories.messages.findBranched(assistant.id));
    for (const part of answer.currentParts()) {
      if (part.type === "tool" && part.state === "approval-requested") this.toolEnded(ctx, part);
    }
    return toMessageResource(current ?? assistant);
  }

  /** The prompt, waiting while the database is away (the answer is stopped meanwhile if asked). */
  private async prompt(ctx: TurnContext, answer: Answer): Promise<Prompt | undefined> {
    const { agent, conversation, question } = ctx;
    for (let delayMs = 200; ; delayMs = Math.min(delayMs * 2, 2000)) {
      try {
        const { files } = this.deps;
        return await buildPrompt(
          this.deps.conversations.history,
          agent,
          conversation,
          question,
          files && ((parts) => files.forPrompt(parts)),
        );
      } catch (err) {
        if (toAppError(err).code !== "unavailable") throw err;
        this.deps.logger.warn({ err, messageId: ctx.assistant.id }, "the history is unavailable: waiting");
        await sleep(delayMs, undefined, { signal: answer.signal }).catch(() => undefined);
        if (answer.stopped) return undefined;
      }
    }
  }

  /**
   * Stores the ended answer (and its cost) in one statement. While the database is away it retries,
   * after telling the room once that the answer is being saved, until the answer is stored or
   * shutdown gives up on it. A deadlock (against an erasure) is retried too.
   */
  private async store(
    ctx: TurnContext,
    row: AnswerRow,
    onSaving: (err: AppError) => void,
  ): Promise<StoredAnswer | null> {
    const { conversation, assistant } = ctx;
    let delayMs = 200;
    for (let attempt = 0, told = false; ; attempt++) {
      try {
        const stored = await withTimeLimit(
          this.deps.repositories.messages.finish(assistant.id, row),
          STORE_TIME_LIMIT_MS,
        );
        if (stored || attempt === 0) return stored;
        // A retry finds the answer no longer streaming: the attempt before may have committed
        // without its reply reaching this node. If the row holds this answer, it was stored.
        return await this.storedBefore(assistant.id, conversation.id, row);
      } catch (err) {
        const away = err instanceof TimeLimitExceeded || toAppError(err).code === "unavailable";
        if ((!away && !isDeadlock(err)) || this.deps.answers.giveUp.aborted) throw err;
        if (!told && away) {
          told = true;
          this.deps.logger.warn(
            { err, messageId: assistant.id },
            "the database is unavailable: the answer is kept and will be stored when it answers",
          );
          this.deps.notifier.assistantSaving({
            conversationId: conversation.id,
            messageId: assistant.id,
            status: row.status,
          });
          onSaving(
            new AppError(
              "unavailable",
              "the answer is finished and will be saved when the database is back",
              {
                details: { messageId: assistant.id, status: row.status },
              },
            ),
          );
        }
        await sleep(delayMs, undefined, { signal: this.deps.answers.giveUp }).catch(() => undefined);
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
    const message = await this.deps.repositories.messages.findBranched(assistantId);
    if (!message || message.status !== row.status || message.content !== row.content) return null;
    const conversation = await this.deps.repositories.conversations.findById(conversationId);
    return conversation ? { message, conversation } : null;
  }

  /** Tells the room (and the operators) how the stored answer ended; starts titles and summaries. */
  private async announce(
    ctx: TurnContext,
    stored: StoredAnswer | null,
    about: { prompt: Prompt | undefined; failureKind: string | undefined },
  ): Promise<MessageResource> {
    const { conversation, agent, newQuestion, assistant } = ctx;
    const { notifier } = this.deps;
    if (!stored) {
      // Another node declared this answer interrupted while we were writing it: its word stands.
      const current = await this.deps.repositories.messages.findBranched(assistant.id);
      return toMessageResource(current ?? assistant);
    }
    const resource = toMessageResource(stored.message);
    if (resource.error) notifier.assistantError(resource, resource.error);
    else notifier.assistantDone(resource);
    notifier.conversationUpdated(stored.conversation);
    this.deps.reports.ended(conversation.userId, resource, {
      model: agent.model,
      failureKind: about.failureKind,
    });
    if (resource.status === "complete" && this.deps.summaries) {
      // The first question of the conversation (or an edit of it) may name a conversation titled by default.
      if (newQuestion && newQuestion.parentId === null)
        this.deps.summaries.titleInBackground(stored.conversation, agent, newQuestion.content);
      if (about.prompt?.leftOut)
        this.deps.summaries.refreshInBackground(stored.conversation, agent, about.prompt);
    }
    return resource;
  }
}

/** An answer as stored, and its conversation with the new totals. */
interface StoredAnswer {
  message: BranchedMessage;
  conversation: ConversationRecord;
}

/** PostgreSQL chose this statement as the victim of a deadlock (SQLSTATE 40P01). */
export function isDeadlock(err: unknown): boolean {
  const driver = (err as { parent?: { code?: unknown } } | null)?.parent;
  return driver?.code === "40P01";
}

/** The parts of an answer as stored, and the `seq` of the last event they cover. */
function partsRow(answer: Answer): { parts: MessagePart[]; streamSeq: number } {
  return { parts: answer.currentParts(), streamSeq: answer.lastSeq };
}

/** The tool calls' inputs and outputs as text, counted with the answer (they go back to the model). */
function toolText(parts: readonly MessagePart[]): string {
  let text = "";
  for (const p of parts)
    if (p.type === "tool")
      text += ` ${JSON.stringify(p.input ?? null)} ${JSON.stringify(p.output ?? p.error ?? null)}`;
  return text;
}
