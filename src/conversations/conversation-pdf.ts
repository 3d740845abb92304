import { createRequire } from "node:module";
import { setImmediate as nextTurn } from "node:timers/promises";
import PDFDocument from "pdfkit";
import type { ConversationExport } from "../protocol/index.js";
import { factsOf, headingOf, pathOf } from "./conversation-export.js";

const require = createRequire(import.meta.url);
/**
 * DejaVu Sans, embedded (and subset) in each PDF: PDF's standard fonts cover Western European text
 * only, DejaVu covers Latin, Greek, Cyrillic and many symbols as people write them.
 */
const FONT = require.resolve("dejavu-fonts-ttf/ttf/DejaVuSans.ttf");
const BOLD = require.resolve("dejavu-fonts-ttf/ttf/DejaVuSans-Bold.ttf");

/** Laying out text holds the event loop: it is drawn in pieces of about this many characters. */
const PIECE_CHARS = 8_000;

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
 * The path the conversation shows, as a PDF (pdfkit). Every text (title, messages, summary) is
 * drawn as plain text: nothing in it is interpreted as Markdown, HTML or PDF syntax. Between pieces
 * of text the event loop gets a turn, so a long conversation never holds the node.
 */
export async function toPdf(data: ConversationExport): Promise<Buffer> {
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

  const c = data.conversation;
  doc.font("bold").fontSize(18).text(c.title);
  doc.moveDown(0.5).font("text").fontSize(9).fillColor("#555555");
  for (const fact of factsOf(data)) doc.text(fact);
  if (c.summary) {
    doc.moveDown().font("bold").fontSize(11).fillColor("black").text("Summary");
    doc.font("text").fontSize(10).text(c.summary);
  }
  for (const m of pathOf(data)) {
    const { who, when, status } = headingOf(m);
    doc.moveDown().font("bold").fontSize(11).fillColor("black").text(who, { continued: true });
    doc
      .font("text")
      .fontSize(9)
      .fillColor("#555555")
      .text(`   ${when}${status ? ` · ${status}` : ""}`);
    doc.font("text").fontSize(10).fillColor("black");
    for (const piece of piecesOf(m.content || " ")) {
      doc.text(piece);
      await nextTurn();
    }
  }
  doc.end();
  return done;
}
