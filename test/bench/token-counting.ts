/**
 * Token counting of the worst texts found, before (gpt-tokenizer's countTokens on the whole text, as
 * Confab counted until then) and after (countTextTokens: long pieces sliced, yielding to the event
 * loop), measured side by side in one run. "Held the loop" is the longest time other clients could
 * not be served. Nothing is asserted.
 */
import { clearMergeCache, countTokens } from "gpt-tokenizer";
import { countTextTokens } from "../../src/tokens/token-counter.js";
import { HUGE_SINGLE_TOKEN, WORST_TEXTS } from "../support/worst-texts.js";

const AS_TEXT = { disallowedSpecial: new Set<string>() };

/** Runs `work`, and measures the longest stretch during which a setImmediate could not run. */
async function measure(work: () => number | Promise<number>) {
  let longest = 0;
  let last = performance.now();
  let running = true;
  const tick = () => {
    const now = performance.now();
    longest = Math.max(longest, now - last);
    last = now;
    if (running) setImmediate(tick);
  };
  setImmediate(tick);
  const started = performance.now();
  const count = await work();
  const total = performance.now() - started;
  running = false;
  longest = Math.max(longest, performance.now() - last);
  return { count, total, longest };
}

const cases: [string, string, boolean][] = [
  ...Object.entries(WORST_TEXTS).map(([name, text]): [string, string, boolean] => [name, text, true]),
  ["a vendor's single token of 60,000 characters", "x".repeat(60_000), true],
  // Quadratic: about (2,000,000 / 60,000)² × the 60,000 case, hours; not run.
  ["a vendor's single token of 2 MB", HUGE_SINGLE_TOKEN, false],
];

const ms = (n: number) => `${n.toFixed(1)} ms`;
console.log(
  "| text | characters | before: counted in (held the loop) | after: counted in | after: held the loop | tokens before → after |",
);
console.log("|---|---|---|---|---|---|");
for (const [name, text, runBefore] of cases) {
  // Each measured cold: the tokenizer's cache of pieces is emptied first.
  clearMergeCache();
  const before = runBefore ? await measure(() => countTokens(text, AS_TEXT)) : undefined;
  clearMergeCache();
  const after = await measure(() => countTextTokens(text));
  console.log(
    `| ${name} | ${text.length.toLocaleString("en")} | ${before ? ms(before.total) : "not run (hours)"} | ${ms(after.total)} | ${ms(after.longest)} | ${before ? before.count : "?"} → ${after.count} |`,
  );
}
