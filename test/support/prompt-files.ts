import { deflateSync } from "node:zlib";
import { png } from "./files.js";
import PDFDocument from "pdfkit";
import type { PromptFile } from "../../src/providers/chat-model.js";

/**
 * Files as a prompt carries them (`ChatPromptMessage.files`), with real bytes: a PNG of a given size
 * in pixels (one colour, built here so that a test needs no image on disk), a one-page PDF, a text
 * file.
 */

/** A valid PNG, `width` × `height` pixels of one colour (the uploads' tests make theirs the same way). */
export { png };

/** A minimal one-page PDF (its cross-reference table left out, which readers rebuild). */
export const ONE_PAGE_PDF = Buffer.from(
  "%PDF-1.4\n" +
    "1 0 obj << /Type /Catalog /Pages 2 0 R >> endobj\n" +
    "2 0 obj << /Type /Pages /Kids [3 0 R] /Count 1 >> endobj\n" +
    "3 0 obj << /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] >> endobj\n" +
    "trailer << /Root 1 0 R >>\n%%EOF\n",
  "latin1",
);

/** A PDF of `pages` pages of text, as pdfkit writes it (PDF 1.3: every page object in the open). */
export async function pdfkitPdf(pages: number): Promise<Buffer> {
  const doc = new PDFDocument({ autoFirstPage: false });
  const parts: Buffer[] = [];
  doc.on("data", (part: Buffer) => parts.push(part));
  const ended = new Promise<void>((resolve) => doc.on("end", resolve));
  for (let n = 1; n <= pages; n++) doc.addPage().text(`Page ${n} of ${pages}.`);
  doc.end();
  await ended;
  return Buffer.concat(parts);
}

/**
 * A PDF of `pages` pages whose page objects are all inside one compressed object stream, found
 * through a cross-reference stream, as PDF 1.5 writers (LaTeX, Word) write them.
 */
export function objectStreamPdf(pages: number): Buffer {
  const pageNumbers = Array.from({ length: pages }, (_, i) => i + 3);
  const streamNumber = pages + 3;
  const objects = pageNumbers.map(() => "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] >>");
  const index: string[] = [];
  let offset = 0;
  for (const [i, object] of objects.entries()) {
    index.push(`${pageNumbers[i]} ${offset}`);
    offset += object.length + 1;
  }
  const header = `${index.join(" ")}\n`;
  const packed = deflateSync(Buffer.from(header + objects.join("\n") + "\n", "latin1"));
  const kids = pageNumbers.map((n) => `${n} 0 R`).join(" ");

  const parts: Buffer[] = [];
  let length = 0;
  const offsets: number[] = [];
  const add = (part: Buffer | string) => {
    const bytes = typeof part === "string" ? Buffer.from(part, "latin1") : part;
    parts.push(bytes);
    length += bytes.length;
  };
  add("%PDF-1.5\n");
  offsets[1] = length;
  add("1 0 obj << /Type /Catalog /Pages 2 0 R >> endobj\n");
  offsets[2] = length;
  add(`2 0 obj << /Type /Pages /Kids [${kids}] /Count ${pages} >> endobj\n`);
  offsets[streamNumber] = length;
  add(
    `${streamNumber} 0 obj << /Type /ObjStm /N ${pages} /First ${header.length} /Length ${packed.length} ` +
      "/Filter /FlateDecode >>\nstream\n",
  );
  add(packed);
  add("\nendstream\nendobj\n");

  // The cross-reference stream: type 1 (at an offset) for the plain objects, 2 (in the object
  // stream, at an index) for the pages; fields of 1, 4 and 2 bytes.
  const xrefNumber = streamNumber + 1;
  const xrefAt = length;
  const entry = (type: number, field: number, second: number) => {
    const bytes = Buffer.alloc(7);
    bytes.writeUInt8(type, 0);
    bytes.writeUInt32BE(field, 1);
    bytes.writeUInt16BE(second, 5);
    return bytes;
  };
  const entries = Buffer.concat([
    entry(0, 0, 65535),
    entry(1, offsets[1], 0),
    entry(1, offsets[2], 0),
    ...pageNumbers.map((_, i) => entry(2, streamNumber, i)),
    entry(1, offsets[streamNumber], 0),
    entry(1, xrefAt, 0),
  ]);
  add(
    `${xrefNumber} 0 obj << /Type /XRef /Size ${xrefNumber + 1} /W [1 4 2] /Root 1 0 R ` +
      `/Length ${entries.length} >>\nstream\n`,
  );
  add(entries);
  add(`\nendstream\nendobj\nstartxref\n${xrefAt}\n%%EOF\n`);
  return Buffer.concat(parts);
}

export function imageFile(name: string, width: number, height: number, sized = true): PromptFile {
  const data = png(width, height);
  return {
    name,
    mediaType: "image/png",
    size: data.length,
    data,
    ...(sized ? { width, height } : {}),
  };
}

export function pdfFile(name: string): PromptFile {
  return { name, mediaType: "application/pdf", size: ONE_PAGE_PDF.length, data: ONE_PAGE_PDF };
}

export function textFile(name: string, text: string, mediaType = "text/plain"): PromptFile {
  const data = Buffer.from(text, "utf8");
  return { name, mediaType, size: data.length, data };
}
