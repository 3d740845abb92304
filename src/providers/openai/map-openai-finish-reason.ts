import type { FinishReason } from "../chat-model.js";

/** Typed loosely on purpose: OpenAI-compatible servers send reasons of their own ("eos", "abort"). */
export function mapOpenAIFinishReason(finishReason: string | null | undefined): FinishReason {
  switch (finishReason) {
    case "stop":
      return "stop";
    case "length":
      return "length";
    case "content_filter":
      return "content_filter";
    case "tool_calls":
    case "function_call":
      return "tool_calls";
    default:
      return "other";
  }
}
