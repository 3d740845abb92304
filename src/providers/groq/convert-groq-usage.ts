import type { Usage } from "../chat-model.js";

export interface GroqUsage {
  prompt_tokens?: number | null;
  completion_tokens?: number | null;
}

/** Undefined when Groq reported no usage, so that the caller estimates it instead. */
export function convertGroqUsage(usage: GroqUsage | null | undefined): Usage | undefined {
  if (typeof usage?.prompt_tokens !== "number" || typeof usage.completion_tokens !== "number")
    return undefined;
  return { inputTokens: usage.prompt_tokens, outputTokens: usage.completion_tokens };
}
