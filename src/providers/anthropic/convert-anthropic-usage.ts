import type { Usage } from "../chat-model.js";

export interface AnthropicInputUsage {
  input_tokens?: number | null;
  cache_creation_input_tokens?: number | null;
  cache_read_input_tokens?: number | null;
}

export interface AnthropicOutputUsage {
  output_tokens?: number | null;
}

/**
 * Input comes from `message_start`, output from the last `message_delta` (cumulative). Anthropic's
 * `input_tokens` leaves out the cached part of the prompt, so the cache counts are added back: the
 * caller budgets the whole prompt. Undefined when no input count came, so that the caller estimates.
 */
export function convertAnthropicUsage(
  input: AnthropicInputUsage | null | undefined,
  output: AnthropicOutputUsage | null | undefined,
): Usage | undefined {
  if (typeof input?.input_tokens !== "number") return undefined;
  const inputTokens =
    input.input_tokens + (input.cache_creation_input_tokens ?? 0) + (input.cache_read_input_tokens ?? 0);
  return { inputTokens, outputTokens: output?.output_tokens ?? 0 };
}
