import type { FinishReason } from "../chat-model.js";

/** Typed loosely on purpose: Groq serves many model families and adds reasons over time. */
export function mapGroqFinishReason(finishReason: string | null | undefined): FinishReason {
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
