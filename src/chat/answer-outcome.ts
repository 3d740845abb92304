import type { MessageRecord } from "../db/records.js";
import type { AppError } from "../errors.js";
import type { FinishReason, Usage } from "../providers/chat-model.js";

/** How the model's stream went, as the answer writer saw it. */
export interface StreamResult {
  /** Everything the model produced (what the tabs were sent). */
  text: string;
  /** The tokenizer's count of `text`. */
  textTokens: number;
  /** The prompt's tokens, as counted when it was built (0 when it could not be). */
  promptTokens: number;
  /** What the vendor reported; none when it reported nothing or the stream did not finish. */
  usage: Usage | undefined;
  finishReason: FinishReason | undefined;
  /** The model the vendor named, or the agent's. */
  modelUsed: string;
  /** Why the answer failed, if it did (a provider_error). */
  failure: AppError | undefined;
  /** Set when it was stopped: by a person, or by the server shutting down. */
  stopReason: "stop" | "shutdown" | undefined;
  /** `performance.now()` at the start of the turn, at the first token (if any), at the end. */
  startedAt: number;
  firstTokenAt: number | undefined;
  endedAt: number;
}

/** An ended answer as it is stored. */
export type AnswerRow = Pick<
  MessageRecord,
  | "content"
  | "contentTokens"
  | "inputTokens"
  | "outputTokens"
  | "totalTokens"
  | "metadata"
  | "modelUsed"
  | "responseTimeMs"
  | "timeToFirstTokenMs"
  | "finishReason"
  | "error"
> & { status: Exclude<MessageRecord["status"], "streaming"> };

const SHUTDOWN_ERROR = {
  code: "interrupted",
  message: "the server shut down before the answer was finished",
};

/**
 * What an ended answer is stored as, from how its stream went; a pure function. The status: `error`
 * if it failed, `interrupted` if the server shut down, `cancelled` if a person stopped it, else
 * `complete`. Its cost: the vendor's usage when it reported one; else the tokenizer's counts (marked
 * estimated) when text was produced; nothing for an answer that failed or was stopped before its
 * first token, which no vendor bills.
 */
export function answerOutcome(result: StreamResult): AnswerRow {
  const status = result.failure
    ? "error"
    : result.stopReason === "shutdown"
      ? "interrupted"
      : result.stopReason === "stop"
        ? "cancelled"
        : "complete";
  return {
    content: result.text,
    status,
    contentTokens: result.textTokens,
    ...charge(result),
    modelUsed: result.modelUsed,
    responseTimeMs: Math.round(result.endedAt - result.startedAt),
    timeToFirstTokenMs:
      result.firstTokenAt === undefined ? null : Math.round(result.firstTokenAt - result.startedAt),
    finishReason: status === "complete" ? (result.finishReason ?? null) : status,
    error: result.failure
      ? { code: result.failure.code, message: result.failure.message }
      : status === "interrupted"
        ? SHUTDOWN_ERROR
        : null,
  };
}

function charge(result: StreamResult) {
  const { usage } = result;
  if (usage && !usage.estimated) {
    return {
      inputTokens: usage.inputTokens,
      outputTokens: usage.outputTokens,
      totalTokens: usage.inputTokens + usage.outputTokens,
      metadata: {},
    };
  }
  if (result.firstTokenAt === undefined && !usage) {
    return { inputTokens: null, outputTokens: null, totalTokens: null, metadata: {} };
  }
  const inputTokens = usage?.inputTokens ?? result.promptTokens;
  const outputTokens = usage?.outputTokens ?? result.textTokens;
  return {
    inputTokens,
    outputTokens,
    totalTokens: inputTokens + outputTokens,
    metadata: { usageEstimated: true },
  };
}
