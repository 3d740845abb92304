import { expect } from "chai";
import { countTokens } from "gpt-tokenizer";
import { countTextTokens, TokenCountCache } from "../../src/tokens/token-counter.js";
import { HUGE_SINGLE_TOKEN, WORST_TEXTS } from "../support/worst-texts.js";

const exact = (text: string) => countTokens(text, { disallowedSpecial: new Set() });

/**
 * How many times the event loop turned while `work` ran (zero: it held the loop throughout), and the
 * longest it went without turning.
 */
async function turnsDuring<T>(
  work: () => Promise<T>,
): Promise<{ result: T; turns: number; longestMs: number }> {
  let turns = 0;
  let longestMs = 0;
  let last = performance.now();
  let running = true;
  const tick = () => {
    const now = performance.now();
    longestMs = Math.max(longestMs, now - last);
    last = now;
    if (!running) return;
    turns++;
    setImmediate(tick);
  };
  setImmediate(tick);
  const result = await work();
  running = false;
  return { result, turns, longestMs: Math.max(longestMs, performance.now() - last) };
}

describe("token counting", () => {
  it("counts ordinary text exactly as the tokenizer does, special tokens as plain text", async () => {
    const texts = [
      "Hello, world! How are you today?",
      "function add(a, b) {\n  return a + b;\n}\n\n// done",
      "Ünïcödé, 日本語の文章、한국어 문장 and emoji 😀👍🏽 mixed with   spaces\n\n\tand tabs",
      "What is <|endoftext|>? And <|im_start|>?",
      "The quick brown fox jumps over the lazy dog. ".repeat(3000), // several windows
    ];
    for (const text of texts) expect(await countTextTokens(text), text.slice(0, 30)).to.equal(exact(text));
    expect(await countTextTokens("")).to.equal(0);
  });

  it("counts long unbroken runs within a token per slice of the exact count", async () => {
    for (const text of ["x".repeat(6000), "한".repeat(2000), "ก".repeat(3000), "😀".repeat(1000)]) {
      const counted = await countTextTokens(text);
      const expected = exact(text);
      expect(Math.abs(counted - expected), text.slice(0, 4)).to.be.at.most(Math.ceil(expected / 100) + 1);
    }
  });

  it("never holds the event loop for long, whatever the text", async () => {
    const { result, turns } = await turnsDuring(() => countTextTokens(HUGE_SINGLE_TOKEN));
    expect(result).to.equal(HUGE_SINGLE_TOKEN.length / 8);
    expect(turns).to.be.greaterThan(10);
    // It yields about every millisecond (measured: at most about 6 ms between two turns of the loop);
    // the tokenizer alone held it for 0.5 s on 10,000 Hangul syllables and would not return in hours
    // on 2 MB. The bound leaves room for a slow machine.
    for (const [name, text] of Object.entries(WORST_TEXTS)) {
      const { longestMs } = await turnsDuring(() => countTextTokens(text));
      expect(longestMs, name).to.be.below(50);
    }
  });

  it("counts a text that recurs (a system prompt) once, keeping the most recently used", async () => {
    const counted: string[] = [];
    const cache = new TokenCountCache(2, (text) => {
      counted.push(text);
      return countTextTokens(text);
    });
    expect(await cache.count("Be brief.")).to.equal(exact("Be brief."));
    await cache.count("second");
    expect(await cache.count("Be brief.")).to.equal(exact("Be brief."));
    await cache.count("third"); // "second" is the least recently used: it goes
    await cache.count("Be brief.");
    await cache.count("second");
    expect(counted).to.deep.equal(["Be brief.", "second", "third", "second"]);
  });
});
