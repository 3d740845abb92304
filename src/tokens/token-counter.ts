import { countTokens, setMergeCacheSize } from "gpt-tokenizer";
import { O200K_TOKEN_SPLIT_REGEX } from "gpt-tokenizer/encodingParams/constants";

/** Special tokens in text from people or vendors are just text, never control tokens (nor an error). */
const AS_TEXT = { disallowedSpecial: new Set<string>() };

/**
 * BPE merges a pre-tokenized piece in time quadratic in its length in bytes: one piece of 10,000
 * Hangul syllables took 0.6 s, one of 60,000 letters 2 s. A piece longer than this many UTF-8 bytes
 * is counted in slices of at most this size, which bounds the work per byte (about a millisecond per
 * slice at worst). Real text rarely has such pieces (CJK or Thai runs between punctuation, base64,
 * repeated characters); for those the count is within about a token per slice of the exact one
 * (measured: exact for repeated letters, Hangul, Chinese and emoji; +0.2% for Thai; +14% for an
 * unbroken run of Devanagari conjuncts, which slices cut in the middle of clusters).
 */
export const PIECE_MAX_BYTES = 128;
/** Pieces are counted a segment at a time; between segments the counter may yield. */
const SEGMENT_CHARS = 4096;
/**
 * A long text is split into windows of about this many characters, each pre-tokenized on its own, so
 * that no single regular-expression match (one 2 MB token, say) holds the event loop.
 */
const WINDOW_CHARS = 65_536;
/** The longest the counter keeps the event loop before letting other clients' work run. */
const SLICE_MS = 1;

/** The merge cache is keyed by piece; pieces are short now, and this caps what it may hold. */
setMergeCacheSize(20_000);

/** Yields to the event loop once `SLICE_MS` of work has gone by since the last time. */
class Breather {
  private since = performance.now();

  async breathe(): Promise<void> {
    if (performance.now() - this.since < SLICE_MS) return;
    await new Promise<void>((resolve) => setImmediate(resolve));
    this.since = performance.now();
  }
}

/**
 * Counts tokens with a real BPE tokenizer (gpt-tokenizer, o200k_base): exact for current OpenAI
 * models, and a close estimate for other vendors' tokenizers, which is what a context budget needs.
 *
 * It never holds the event loop for more than a couple of milliseconds, whatever the text: pieces
 * longer than `PIECE_MAX_BYTES` are counted in slices (linear time), and the counting yields to the
 * event loop every `SLICE_MS`. A turn counts each text once: a message's count is stored with it.
 */
export async function countTextTokens(text: string): Promise<number> {
  if (text.length === 0) return 0;
  const breather = new Breather();
  let total = 0;
  for (const window of windows(text)) {
    total += await countWindow(window, breather);
    await breather.breathe();
  }
  return total;
}

async function countWindow(text: string, breather: Breather): Promise<number> {
  const pieces = new RegExp(O200K_TOKEN_SPLIT_REGEX.source, "gu");
  let total = 0;
  let segmentStart = 0;
  for (let match = pieces.exec(text); match !== null; match = pieces.exec(text)) {
    const piece = match[0];
    const end = match.index + piece.length;
    if (piece.length > PIECE_MAX_BYTES / 4 && utf8Length(piece) > PIECE_MAX_BYTES) {
      if (match.index > segmentStart) total += countTokens(text.slice(segmentStart, match.index), AS_TEXT);
      for (const slice of slices(piece, PIECE_MAX_BYTES)) {
        total += countTokens(slice, AS_TEXT);
        await breather.breathe();
      }
      segmentStart = end;
    } else if (end - segmentStart >= SEGMENT_CHARS && !/\s$/u.test(piece)) {
      // A segment ends after a piece that does not end in whitespace: the tokenizer then splits it
      // exactly as it splits the whole text (its only look-ahead is at the end of a whitespace run).
      total += countTokens(text.slice(segmentStart, end), AS_TEXT);
      segmentStart = end;
      await breather.breathe();
    }
    if (piece.length === 0) pieces.lastIndex++; // never loop on an empty match
  }
  if (segmentStart < text.length) total += countTokens(text.slice(segmentStart), AS_TEXT);
  return total;
}

/**
 * `text` in windows of about `WINDOW_CHARS`, each cut before a space that follows a non-space: no
 * piece of the tokenizer spans such a place, so the windows split into the same pieces as the whole.
 * A window without one (a single piece longer than the window) is cut where it is full.
 */
function* windows(text: string): Generator<string> {
  let start = 0;
  while (text.length - start > WINDOW_CHARS) {
    let cut = start + WINDOW_CHARS;
    const floor = cut - 4096;
    let i = cut;
    while (i > floor && !(text.charCodeAt(i) === 0x20 && !/\s/u.test(text.charAt(i - 1)))) i--;
    if (i > floor) cut = i;
    else if (isHighSurrogate(text.charCodeAt(cut - 1))) cut -= 1;
    yield text.slice(start, cut);
    start = cut;
  }
  yield text.slice(start);
}

const isHighSurrogate = (unit: number) => unit >= 0xd800 && unit <= 0xdbff;

/** UTF-8 bytes of one UTF-16 code unit (a surrogate counts half of its pair's four). */
const unitBytes = (unit: number) =>
  unit < 0x80 ? 1 : unit < 0x800 ? 2 : unit >= 0xd800 && unit <= 0xdfff ? 2 : 3;

function utf8Length(text: string): number {
  let bytes = 0;
  for (let i = 0; i < text.length; i++) bytes += unitBytes(text.charCodeAt(i));
  return bytes;
}

/** `text` cut into slices of at most `maxBytes` UTF-8 bytes, never between the halves of a surrogate pair. */
function* slices(text: string, maxBytes: number): Generator<string> {
  let start = 0;
  let bytes = 0;
  for (let i = 0; i < text.length; i++) {
    const unit = text.charCodeAt(i);
    const size = unitBytes(unit);
    const pairEnd = unit >= 0xdc00 && unit <= 0xdfff && i > start;
    if (bytes + size > maxBytes && !pairEnd) {
      yield text.slice(start, i);
      start = i;
      bytes = 0;
    }
    bytes += size;
  }
  if (start < text.length) yield text.slice(start);
}

/**
 * Counts of texts that recur in every turn (an agent's system prompt, a conversation's summary),
 * remembered so a turn does not count them again.
 */
export class TokenCountCache {
  private readonly counts = new Map<string, number>();

  constructor(
    private readonly capacity = 512,
    private readonly counter: (text: string) => Promise<number> = countTextTokens,
  ) {}

  async count(text: string): Promise<number> {
    const known = this.counts.get(text);
    if (known !== undefined) {
      // Most recently used last, so the oldest is the first to go.
      this.counts.delete(text);
      this.counts.set(text, known);
      return known;
    }
    const counted = await this.counter(text);
    if (this.counts.size >= this.capacity) {
      const oldest = this.counts.keys().next();
      if (!oldest.done) this.counts.delete(oldest.value);
    }
    this.counts.set(text, counted);
    return counted;
  }
}

/** Per-message framing that chat formats add around each message's content. */
export const MESSAGE_OVERHEAD_TOKENS = 4;
