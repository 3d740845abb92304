import { countTokens } from "gpt-tokenizer";

/** Special tokens in text from people or vendors are just text, never control tokens (nor an error). */
const AS_TEXT = { disallowedSpecial: new Set<string>() };

/**
 * Counts tokens with a real BPE tokenizer (gpt-tokenizer, o200k_base). Exact for current OpenAI
 * models, and a close estimate for other vendors' tokenizers, which is what a context budget needs.
 */
export function countTextTokens(text: string): number {
  return text.length === 0 ? 0 : countTokens(text, AS_TEXT);
}

/** Per-message framing that chat formats add around each message's content. */
export const MESSAGE_OVERHEAD_TOKENS = 4;
