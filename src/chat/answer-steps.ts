import type { AgentRecord } from "../db/records.js";
import type { AnswerState } from "../db/records.js";
import { AppError } from "../errors.js";
import type { Logger } from "../observability/logger.js";
import type { ToolPart } from "../protocol/index.js";
import type { ChatPromptMessage, ChatStreamPart, FinishReason, Usage } from "../providers/chat-model.js";
import type { ModelRegistry } from "../providers/model-registry.js";
import type { ToolBox } from "../tools/tool-box.js";
import type { TurnContext } from "./answer-writer.js";
import type { Answer } from "./answer.js";
import type { Prompt } from "./prompt.js";
import { parseToolInput, stepMessages } from "./tool-steps.js";

export interface AnswerStepsDeps {
  modelRegistry: Pick<ModelRegistry, "forAgent">;
  logger: Logger;
  maxOutputTokens: number;
  tools: ToolBox;
  /**
   * Saves the answer as it is before its tools run (one statement per tool step), so that a node
   * that dies meanwhile leaves the calls on record (recovery ends them as errors).
   */
  saveBeforeTools?: (answer: Answer) => Promise<void>;
  /** A tool call ended (for the operators' feed). */
  toolEnded?: (ctx: TurnContext, part: ToolPart) => void;
}

/** How the steps of an answer went. */
export interface StepsResult {
  usage: Usage | undefined;
  finishReason: FinishReason | undefined;
  modelUsed: string;
  failure: AppError | undefined;
  firstTokenAt: number | undefined;
  /** Model calls made, those of earlier runs included. */
  steps: number;
  /** The answer stopped at a tool call that waits for someone's decision. */
  awaiting: boolean;
  /** Signed thinking of the steps, by each step's first tool call (see `AnswerState.thinking`). */
  thinking: Record<string, { text: string; signature: string }[]>;
}

/** A tool call as one step's stream gave it. */
interface Call {
  toolCallId: string;
  toolName: string;
  input: string;
}

/**
 * The steps of one answer (PROTOCOL.md: an answer of several steps): call the model with the prompt
 * and the steps so far; if it asks for tools, check their input, run those that need no approval
 * (and those approved), and call it again with their results, until it answers without asking, a
 * call waits for approval, or `Agent.maxSteps` is reached (`length`). A vendor's failure is returned,
 * never thrown.
 */
export class AnswerSteps {
  constructor(private readonly deps: AnswerStepsDeps) {}

  /** Before any step: the agent's model, and what earlier runs of the answer counted. */
  static nothing(agent: AgentRecord, state?: AnswerState): StepsResult {
    const usage =
      state && (state.inputTokens > 0 || state.outputTokens > 0)
        ? {
            inputTokens: state.inputTokens,
            outputTokens: state.outputTokens,
            estimated: state.usageEstimated,
          }
        : undefined;
    return {
      usage,
      finishReason: undefined,
      modelUsed: agent.model,
      failure: undefined,
      firstTokenAt: undefined,
      steps: state?.steps ?? 0,
      awaiting: false,
      thinking: { ...state?.thinking },
    };
  }

  async run(ctx: TurnContext, answer: Answer, prompt: Prompt, state?: AnswerState): Promise<StepsResult> {
    const result = AnswerSteps.nothing(ctx.agent, state);
    // An answer resumed after a decision first runs what was approved.
    if (state) await this.runReady(ctx, answer);
    while (!answer.stopped) {
      if (result.steps >= ctx.agent.maxSteps) {
        result.finishReason = "length";
        break;
      }
      const messages = [...prompt.messages, ...withThinking(stepMessages(answer.partsNow), result.thinking)];
      const calls = await this.step(ctx, answer, messages, result);
      result.steps += 1;
      if (result.failure || answer.stopped || result.finishReason !== "tool_calls" || calls.length === 0)
        break;
      if (result.steps >= ctx.agent.maxSteps) {
        this.refuseOverLimit(answer, calls);
        result.finishReason = "length";
        break;
      }
      if (this.take(answer, calls)) {
        result.awaiting = true;
        break;
      }
      await this.runReady(ctx, answer);
    }
    return result;
  }

  /** One model call: its text and reasoning into the answer; returns the tool calls it made. */
  private async step(
    ctx: TurnContext,
    answer: Answer,
    messages: ChatPromptMessage[],
    result: StepsResult,
  ): Promise<Call[]> {
    const { agent, assistant, conversation } = ctx;
    const read: StepRead = { calls: [], thinking: [], thought: "" };
    result.finishReason = undefined;
    try {
      const model = this.deps.modelRegistry.forAgent(agent);
      const stream = model.stream({
        model: agent.model,
        messages,
        temperature: agent.temperature,
        maxOutputTokens: this.deps.maxOutputTokens,
        abortSignal: answer.signal,
        purpose: "answer",
        ...(this.deps.tools.specs.length > 0 ? { tools: this.deps.tools.specs } : {}),
        reasoning: agent.reasoning ?? undefined,
      });
      for await (const part of stream) {
        if (answer.stopped) break;
        absorb(part, answer, result, read);
      }
      if (!answer.stopped && result.finishReason === undefined) {
        throw new AppError("provider_error", "the model's stream ended before the answer was finished");
      }
      const first = read.calls[0];
      if (first && read.thinking.length > 0) result.thinking[first.toolCallId] = read.thinking;
    } catch (err) {
      if (!answer.stopped) {
        result.failure =
          err instanceof AppError && err.code === "provider_error"
            ? err
            : new AppError("provider_error", "the model failed to answer", { cause: err });
        this.deps.logger.warn(
          { err, conversationId: conversation.id, messageId: assistant.id },
          "generation failed",
        );
      }
    }
    return read.calls;
  }

  /**
   * The step's tool calls become parts: input that does not fit its tool is an error at once, a
   * call of a tool that needs approval waits for it, the others are ready to run. Returns whether
   * one waits.
   */
  private take(answer: Answer, calls: Call[]): boolean {
    let waits = false;
    for (const call of calls) {
      const { input, parsed } = parseToolInput(call.input);
      const base = { type: "tool" as const, toolCallId: call.toolCallId, toolName: call.toolName, input };
      const approval = this.deps.tools.approvalOf(call.toolName);
      const problem =
        approval === undefined
          ? `there is no tool named ${call.toolName}`
          : parsed
            ? this.deps.tools.check(call.toolName, input)
            : "the input is not JSON";
      if (problem) answer.setPart({ ...base, state: "output-error", error: problem, approval: null });
      else if (approval === "always") {
        waits = true;
        answer.setPart({ ...base, state: "approval-requested", approval: null }, undefined, true);
      } else answer.setPart({ ...base, state: "input-available", approval: null });
    }
    return waits;
  }

  /** Calls past the last step are not run: they end as errors, and the answer with `length`. */
  private refuseOverLimit(answer: Answer, calls: Call[]): void {
    for (const call of calls) {
      answer.setPart({
        type: "tool",
        toolCallId: call.toolCallId,
        toolName: call.toolName,
        input: parseToolInput(call.input).input,
        state: "output-error",
        error: "the answer reached its step limit",
        approval: null,
      });
    }
  }

  /** Runs every call that is ready (needs no approval, or was approved), side by side. */
  private async runReady(ctx: TurnContext, answer: Answer): Promise<void> {
    const parts = answer.currentParts();
    const ready = parts.flatMap((p, index) =>
      p.type === "tool" && (p.state === "input-available" || p.state === "approved") ? [{ p, index }] : [],
    );
    if (ready.length === 0) return;
    await this.deps.saveBeforeTools?.(answer);
    await Promise.all(ready.map(({ p, index }) => this.runOne(ctx, answer, p, index)));
  }

  private async runOne(ctx: TurnContext, answer: Answer, part: ToolPart, index: number): Promise<void> {
    const { question, conversation, assistant } = ctx;
    const user = question.authorId
      ? { id: question.authorId, name: question.authorName ?? question.authorId }
      : { id: conversation.userId, name: conversation.userId };
    const outcome = await this.deps.tools.run(
      {
        toolCallId: part.toolCallId,
        toolName: part.toolName,
        input: part.input,
        conversationId: conversation.id,
        messageId: assistant.id,
        user,
        approvedBy: part.approval?.decidedBy ?? null,
      },
      answer.signal,
    );
    const ended =
      "error" in outcome
        ? {
            ...part,
            state: "output-error" as const,
            error: answer.stopped ? "the answer was stopped" : outcome.error,
          }
        : { ...part, state: "output-available" as const, output: outcome.output };
    answer.setPart(ended, index);
    this.deps.toolEnded?.(ctx, ended);
  }
}

/** The usage of the steps so far: summed; estimated when a step reported none. */
function addUsage(before: Usage | undefined, step: Usage | undefined): Usage | undefined {
  if (!before) return step;
  if (!step) return { ...before, estimated: true };
  return {
    inputTokens: before.inputTokens + step.inputTokens,
    outputTokens: before.outputTokens + step.outputTokens,
    ...(before.estimated || step.estimated ? { estimated: true } : {}),
  };
}

/** Each step's signed thinking goes back with its calls (the first call's id names the step). */
function withThinking(messages: ChatPromptMessage[], thinking: StepsResult["thinking"]): ChatPromptMessage[] {
  return messages.map((m) => {
    const first = m.toolCalls?.[0]?.id;
    const signed = first === undefined ? undefined : thinking[first];
    return signed ? { ...m, thinking: signed } : m;
  });
}

/** What one step's stream has given so far, besides its text. */
interface StepRead {
  calls: Call[];
  thinking: { text: string; signature: string }[];
  /** Reasoning since the last signature. */
  thought: string;
}

/** One part of a step's stream: into the answer, the step's record, or the result. */
function absorb(part: ChatStreamPart, answer: Answer, result: StepsResult, read: StepRead): void {
  switch (part.type) {
    case "text-delta":
      result.firstTokenAt ??= performance.now();
      answer.append(part.delta);
      break;
    case "reasoning-delta":
      result.firstTokenAt ??= performance.now();
      answer.appendReasoning(part.delta);
      read.thought += part.delta;
      break;
    case "reasoning-signature":
      read.thinking.push({ text: read.thought, signature: part.signature });
      read.thought = "";
      break;
    case "tool-input-start":
      result.firstTokenAt ??= performance.now();
      break;
    case "tool-call":
      read.calls.push({ toolCallId: part.toolCallId, toolName: part.toolName, input: part.input });
      break;
    case "finish":
      result.usage = addUsage(result.usage, part.usage);
      result.finishReason = part.finishReason;
      if (part.modelUsed) result.modelUsed = part.modelUsed;
      break;
    default:
      break;
  }
}
