/**
 * Texts that are slow for a BPE tokenizer, found by trying scripts, repeated characters and long
 * single pieces: the inputs of the token-counting benchmark and of the tests that another client is
 * served while they are counted.
 */
const spread = (length: number, base: number, span: number) =>
  Array.from({ length }, (_, i) => String.fromCharCode(base + ((i * 7919) % span))).join("");

export const WORST_TEXTS: Record<string, string> = {
  "Hangul, one syllable repeated": "한".repeat(10_000),
  "Hangul, varied syllables": spread(10_000, 0xac00, 11_172),
  "Chinese, no punctuation": spread(10_000, 0x4e00, 20_000),
  "Thai, no spaces": spread(10_000, 0x0e01, 46),
  "Devanagari with combining marks": "क्षि".repeat(2_500),
  "emoji, repeated": "😀".repeat(5_000),
  "one letter repeated": "a".repeat(10_000),
  spaces: " ".repeat(10_000),
  punctuation: "!".repeat(10_000),
  "base64-like": Buffer.from(spread(7_500, 0x21, 90))
    .toString("base64")
    .slice(0, 10_000),
  "English prose": "The quick brown fox jumps over the lazy dog. ".repeat(222),
};

/** What a misbehaving vendor may stream as one answer: a single token of this many characters. */
export const HUGE_SINGLE_TOKEN = "x".repeat(2_000_000);
