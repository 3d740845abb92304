import { countTokens } from "gpt-tokenizer";
const AS_TEXT = { disallowedSpecial: new Set<string>() };
const seg = new Intl.Segmenter("und", { granularity: "grapheme" });
function bytes(s: string) { return Buffer.byteLength(s); }
function* slicesG(text: string, max: number) {
  let cur = ""; let b = 0;
  for (const { segment } of seg.segment(text)) {
    const sb = bytes(segment);
    if (b + sb > max && cur) { yield cur; cur = ""; b = 0; }
    cur += segment; b += sb;
  }
  if (cur) yield cur;
}
for (const t of ["क्षि".repeat(2500), "x".repeat(2_000_000), "한".repeat(10000)]) {
  const st = performance.now();
  let n = 0; for (const s of slicesG(t, 128)) n += countTokens(s, AS_TEXT);
  console.log(t.length, n, (performance.now()-st).toFixed(1));
}
console.log(process.versions.icu, process.versions.unicode);
