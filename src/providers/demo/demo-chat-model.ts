import { setTimeout as sleep } from "node:timers/promises";
import { countTextTokens } from "../../conversations/token-counter.js";
import type { ChatModel, ChatRequest, ChatStreamPart } from "../chat-model.js";

export interface DemoChatModelOptions {
  /** Milliseconds between two words (default 25). */
  wordDelayMs?: number;
}

/**
 * The built-in model: no key, no network, deterministic. It answers from the conversation it is
 * given, so that memory is visible: it quotes the new message and recalls the first one.
 */
export class DemoChatModel implements ChatModel {
  readonly provider = "demo";
  private readonly wordDelayMs: number;

  constructor(options: DemoChatModelOptions = {}) {
    this.wordDelayMs = options.wordDelayMs ?? 25;
  }

  async *stream(request: ChatRequest): AsyncIterable<ChatStreamPart> {
    const reply = composeReply(request);
    const words = reply.match(/\S+\s*/g) ?? [];
    for (const word of words) {
      if (request.abortSignal.aborted) return;
      if (this.wordDelayMs > 0) {
        try {
          await sleep(this.wordDelayMs, undefined, { signal: request.abortSignal });
        } catch {
          return; // aborted while waiting
        }
      }
      yield { type: "text-delta", delta: word };
    }
    const inputTokens = request.messages.reduce((n, m) => n + countTextTokens(m.content) + 4, 0);
    yield {
      type: "finish",
      finishReason: "stop",
      usage: { inputTokens, outputTokens: countTextTokens(reply) },
      modelUsed: request.model,
    };
  }
}

const quote = (text: string, max = 60) => {
  const oneLine = text.replace(/\s+/g, " ").trim();
  return oneLine.length > max ? `${oneLine.slice(0, max - 1)}…` : oneLine;
};

export function composeReply(request: ChatRequest): string {
  const userMessages = request.messages.filter((m) => m.role === "user");
  const latest = userMessages.at(-1)?.content ?? "";
  const turn = userMessages.length;
  const parts = [`You said: "${quote(latest)}".`];
  if (turn > 1) {
    const first = userMessages[0]?.content ?? "";
    parts.push(
      `This is message ${turn} I can see of our conversation; earlier you said "${quote(first, 40)}".`,
    );
    const previousAnswer = request.messages.filter((m) => m.role === "assistant").at(-1);
    if (previousAnswer)
      parts.push(`My last answer was ${countTextTokens(previousAnswer.content)} tokens long.`);
  } else {
    parts.push("This is the start of our conversation.");
  }
  const summary = request.messages.find((m) => m.role === "system" && m.content.startsWith("Summary of"));
  if (summary) parts.push("I also have a summary of what we said long ago.");
  parts.push("I am the demo model: I need no key and no network, and I answer the same way every time.");
  return parts.join(" ");
}
