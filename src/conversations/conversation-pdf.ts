import { createRequire } from "node:module";
import { setImmediate as nextTurn } from "node:timers/promises";
import PDFDocument from "pdfkit";
import type { ConversationExport, FilePart, MessageResource } from "../protocol/index.js";
import { describeFile, factsOf, headingOf, pathOf } from "./conversation-export.js";
import { isDrawable, MAX_DRAWN_PIXELS, MAX_EXPORT_PIXELS } from "./pdf-images.js";

/** Reads an image's bytes for the PDF (null when it is gone). */
export type ImageReader = (fileId: string) => Promise<Buffer | null>;

/** The image types pdfkit embeds; others are named only. */
const DRAWN_IMAGES = new Set(["image/png", "image/jpeg"]);

const require = createRequire(import.meta.url);
/**
 * DejaVu Sans, embedded (and subset) in each PDF: PDF's standard fonts cover Western European text
 * only, DejaVu covers Latin, Greek, Cyrillic and many symbols as people write them.
 */
const FONT = require.resolve("dejavu-fonts-ttf/ttf/DejaVuSans.ttf");
const BOLD = require.resolve("dejavu-fonts-ttf/ttf/DejaVuSans-Bold.ttf");

/** Laying out text holds the event loop: it is drawn in pieces of about this many characters… */
const PIECE_CHARS = 500;

/**
 * …and the event loop gets a turn between two pieces once drawing has held it this long: plain prose
 * costs little and many of its pieces are drawn in one turn; words each new to the font (a base64
 * blob, another script) cost more, and get turns more often.
 */
const TURN_MS = 10;

/** What gives the event loop a turn when drawing has held it `TURN_MS` since the last one. */
type Pause = () => Promise<void>;

function pacer(): Pause {
  let since = performance.now();
  return async () => {
    if (performance.now() - since < TURN_MS) return;
    await nextTurn();
    since = performance.now();
  };
}

/** A text cut at line ends into pieces of about `PIECE_CHARS` (a longer line is one piece). */
function piecesOf(text: string): string[] {
  const pieces: string[] = [];
  let lines: string[] = [];
  let length = 0;
  for (const line of text.split("\n")) {
    if (lines.length > 0 && length + line.length > PIECE_CHARS) {
      pieces.push(lines.join("\n"));
      lines = [];
      length = 0;
    }
    lines.push(line);
    length += line.length + 1;
  }
  pieces.push(lines.join("\n"));
  return pieces;
}

/**
 * A run of characters with no space, tab or line end in it, long enough to be measured: pdfkit may
 * find nowhere to wrap it but between two characters. A shorter run is left to pdfkit: wrapping a few
 * characters costs nothing, however wide they are.
 */
const LONG_RUN = /[^ \t\r\n]{24,}/g;

/**
 * Code points that belong to the one before them (combining marks, variation selectors, emoji
 * modifiers) or come after a joiner: a full line is not cut before one, so that no character is
 * drawn in halves.
 */
const JOINED = /^(?:\p{M}|\p{Emoji_Modifier}|\u200d|[\ufe00-\ufe0f]|[\u{e0020}-\u{e007f}])$/u;

/**
 * However narrow its characters, no line of a long run holds more code points than this: shaping a
 * run of combining marks (or of characters joined by joiners) also grows with the square of its
 * length, and such a run is never a real word.
 */
const MAX_LINE_CODE_POINTS = 256;

/**
 * pdfkit wraps a word wider than a line by measuring all that is left of it again for every line,
 * which grows with the square of its length: one word of 10,000 characters (a URL, a base64 blob)
 * held the node for two seconds. Such a word is cut here into lines that each fit the page, measured
 * one character at a time in the current font, with a line break between them: pdfkit then never has
 * to wrap inside a word, and the text keeps every character, in order.
 */
function breakLongWords(doc: PDFKit.PDFDocument, text: string): string {
  // A little short of the line: kerning can make a word a hair wider than its characters one by one.
  const lineWidth = 0.99 * (doc.page.width - doc.page.margins.left - doc.page.margins.right);
  const widths = new Map<string, number>();
  const widthOf = (char: string) => {
    let width = widths.get(char);
    if (width === undefined) widths.set(char, (width = doc.widthOfString(char)));
    return width;
  };
  return text.replace(LONG_RUN, (run) => {
    const lines: string[] = [];
    let line = "";
    let width = 0;
    let count = 0;
    let previous = "";
    for (const char of run) {
      const w = widthOf(char);
      const inside = JOINED.test(char) || previous === "\u200d";
      if ((line && width + w > lineWidth && !inside) || count === MAX_LINE_CODE_POINTS) {
        lines.push(line);
        line = "";
        width = 0;
        count = 0;
      }
      line += char;
      width += w;
      count += 1;
      previous = char;
    }
    lines.push(line);
    return lines.join("\n");
  });
}

/** Draws a text in the current font, a piece at a time. */
async function drawText(doc: PDFKit.PDFDocument, pause: Pause, text: string): Promise<void> {
  for (const piece of piecesOf(breakLongWords(doc, text))) {
    await pause();
    doc.text(piece);
  }
}

/** The title, the conversation's facts and its summary. */
async function drawHeader(doc: PDFKit.PDFDocument, pause: Pause, data: ConversationExport): Promise<void> {
  const c = data.conversation;
  doc.font("bold").fontSize(18);
  await drawText(doc, pause, c.title);
  // A font's first use in a document reads its tables, which takes a while: the next one gets a turn.
  await pause();
  doc.moveDown(0.5).font("text").fontSize(9).fillColor("#555555");
  for (const fact of factsOf(data)) doc.text(fact);
  if (c.summary) {
    doc.moveDown().font("bold").fontSize(11).fillColor("black").text("Summary");
    doc.font("text").fontSize(10);
    await drawText(doc, pause, c.summary);
  }
}

/** The images of one export, within its pixel budget. */
interface ExportImages {
  read: ImageReader;
  /** Pixels still allowed in this export. */
  pixelsLeft: number;
}

/**
 * A file named, and an image shown (scaled to the page, at most 240 points high) when it is a PNG or
 * JPEG within the pixel budgets that pdfkit can be given safely (pdf-images.ts).
 */
async function drawFile(
  doc: PDFKit.PDFDocument,
  file: FilePart,
  images: ExportImages | undefined,
): Promise<void> {
  doc
    .font("text")
    .fontSize(9)
    .fillColor("#555555")
    .text(`File: ${describeFile(file)}`);
  doc.fillColor("black");
  if (!images || !DRAWN_IMAGES.has(file.mediaType)) return;
  const pixels = (file.width ?? Infinity) * (file.height ?? Infinity);
  if (pixels > MAX_DRAWN_PIXELS || pixels > images.pixelsLeft) return;
  const bytes = await images.read(file.fileId);
  if (!bytes || !isDrawable(bytes, file.mediaType)) return;
  images.pixelsLeft -= pixels;
  const width = doc.page.width - doc.page.margins.left - doc.page.margins.right;
  try {
    doc.image(bytes, { fit: [width, 240] });
  } catch {
    // Bytes pdfkit cannot read: the file stays named only.
  }
}

/** Who wrote a message and when, its files, then its text. */
async function drawMessage(
  doc: PDFKit.PDFDocument,
  pause: Pause,
  m: MessageResource,
  images: ExportImages | undefined,
): Promise<void> {
  const { who, when, status } = headingOf(m);
  await pause();
  doc.moveDown().font("bold").fontSize(11).fillColor("black").text(who, { continued: true });
  doc
    .font("text")
    .fontSize(9)
    .fillColor("#555555")
    .text(`   ${when}${status ? ` · ${status}` : ""}`);
  for (const part of m.parts) if (part.type === "file") await drawFile(doc, part, images);
  doc.font("text").fontSize(10).fillColor("black");
  await drawText(doc, pause, m.content || " ");
}

/**
 * The path the conversation shows, as a PDF (pdfkit). Every text (title, messages, summary) is
 * drawn as plain text: nothing in it is interpreted as Markdown, HTML or PDF syntax. Between pieces
 * of text the event loop gets turns, so a long conversation never holds the node.
 */
export async function toPdf(data: ConversationExport, images?: ImageReader): Promise<Buffer> {
  const doc = new PDFDocument({
    size: "A4",
    margin: 56,
    info: { Title: data.conversation.title, Creator: "Confab" },
  });
  doc.registerFont("text", FONT);
  doc.registerFont("bold", BOLD);
  const chunks: Buffer[] = [];
  const done = new Promise<Buffer>((resolve, reject) => {
    doc.on("data", (chunk: Buffer) => chunks.push(chunk));
    doc.on("end", () => resolve(Buffer.concat(chunks)));
    doc.on("error", reject);
  });
  const pause = pacer();
  await drawHeader(doc, pause, data);
  const budget = images && { read: images, pixelsLeft: MAX_EXPORT_PIXELS };
  for (const m of pathOf(data)) await drawMessage(doc, pause, m, budget);
  // Ending embeds the fonts, which holds the loop a while of its own.
  await nextTurn();
  doc.end();
  return done;
}
