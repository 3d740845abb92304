import { countTokens, setMergeCacheSize } from "gpt-tokenizer";
import { O200K_TOKEN_SPLIT_REGEX } from "gpt-tokenizer/encodingParams/constants";

/** Special tokens in text from people or vendors are just text, never control tokens (nor an error). */
const AS_TEXT = { disallowedSpecial: new Set<string>() };

/**
 * BPE merges a pre-tokenized piece in time quadratic in its length in bytes: one piece of 10,000
 * Hangul syllables took 0.6 s, one of 60,000 letters 2 s. A piece longer than this many UTF-8 bytes
 * is counted in slices of at most this size, which bounds the work per byte (about a millisecond per
 * slice at worst). Real text rarely has such pieces (CJK or Thai runs between punctuation, base64,
 * repeated characters); for those the count is within a token per slice of the exact one.
 */
export const PIECE_MAX_BYTES = 128;
/** Pieces are counted a segment at a time; between segments the counter may yield. */
const SEGMENT_CHARS = 4096;
/** The longest the counter keeps the event loop before letting other clients' work run. */
const SLICE_MS = 1;

/** The merge cache is keyed by piece; pieces are short now, and this caps what it may hold. */
setMergeCacheSize(20_000);

const yieldToEventLoop = () => new Promise<void>((resolve) => setImmediate(resolve));

/**
 * Counts tokens with a real BPE tokenizer (gpt-tokenizer, o200k_base): exact for current OpenAI
 * models, and a close estimate for other vendors' tokenizers, which is what a context budget needs.
 *
 * It never holds the event loop for more than a couple of milliseconds, whatever the text: pieces
 * longer than `PIECE_MAX_CHARS` are counted in slices (linear time), and the counting yields to the
 * event loop every `SLICE_MS`. A turn counts each text once: a message's count is stored with it.
 */
export async function countTextTokens(text: string): Promise<number> {
  if (text.length === 0) return 0;
  const pieces = new RegExp(O200K_TOKEN_SPLIT_REGEX.source, "gu");
  let total = 0;
  let segmentStart = 0;
  let sliceStartedAt = performance.now();
  const breathe = async () => {
    if (performance.now() - sliceStartedAt < SLICE_MS) return;
    await yieldToEventLoop();
    sliceStartedAt = performance.now();
  };

  for (let match = pieces.exec(text); match !== null; match = pieces.exec(text)) {
    const piece = match[0];
    const end = match.index + piece.length;
    if (piece.length > PIECE_MAX_BYTES / 4 && utf8Length(piece) > PIECE_MAX_BYTES) {
      if (match.index > segmentStart) total += countTokens(text.slice(segmentStart, match.index), AS_TEXT);
      for (const slice of slices(piece, PIECE_MAX_BYTES)) {
        total += countTokens(slice, AS_TEXT);
        await breathe();
      }
      segmentStart = end;
    } else if (end - segmentStart >= SEGMENT_CHARS && !/\s$/u.test(piece)) {
      // A segment ends after a piece that does not end in whitespace: the tokenizer then splits it
      // exactly as it splits the whole text (its only look-ahead is at the end of a whitespace run).
      total += countTokens(text.slice(segmentStart, end), AS_TEXT);
      segmentStart = end;
      await breathe();
    }
    if (piece.length === 0) pieces.lastIndex++; // never loop on an empty match
  }
  if (segmentStart < text.length) total += countTokens(text.slice(segmentStart), AS_TEXT);
  return total;
}

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

  constructor(private readonly capacity = 512) {}

  async count(text: string): Promise<number> {
    const known = this.counts.get(text);
    if (known !== undefined) {
      // Most recently used last, so the oldest is the first to go.
      this.counts.delete(text);
      this.counts.set(text, known);
      return known;
    }
    const counted = await countTextTokens(text);
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
