import type { FinishReason } from "../chat-model.js";

/** Typed loosely on purpose: newer API versions add stop reasons before the SDK types know them. */
export function mapAnthropicFinishReason(stopReason: string | null | undefined): FinishReason {
  switch (stopReason) {
    case "end_turn":
    case "stop_sequence":
      return "stop";
    case "max_tokens":
    case "model_context_window_exceeded":
      return "length";
    case "tool_use":
      return "tool_calls";
    case "refusal":
      return "content_filter";
    default:
      // pause_turn (a server tool paused the turn) and anything unknown
      return "other";
  }
}
