import { crc32, deflateSync } from "node:zlib";
import type { PromptFile } from "../../src/providers/chat-model.js";

/**
 * Files as a prompt carries them (`ChatPromptMessage.files`), with real bytes: a PNG of a given size
 * in pixels (one colour, built here so that a test needs no image on disk), a one-page PDF, a text
 * file.
 */

/** A valid PNG, `width` × `height` pixels of one colour (8-bit RGB, no filter). */
export function png(width: number, height: number): Buffer {
  const chunk = (type: string, data: Buffer) => {
    const length = Buffer.alloc(4);
    length.writeUInt32BE(data.length);
    const typed = Buffer.concat([Buffer.from(type, "ascii"), data]);
    const crc = Buffer.alloc(4);
    crc.writeUInt32BE(crc32(typed));
    return Buffer.concat([length, typed, crc]);
  };
  const header = Buffer.alloc(13);
  header.writeUInt32BE(width, 0);
  header.writeUInt32BE(height, 4);
  header.writeUInt8(8, 8); // bit depth
  header.writeUInt8(2, 9); // colour type: RGB
  const row = Buffer.concat([Buffer.from([0]), Buffer.alloc(width * 3, 0x5a)]);
  const pixels = Buffer.concat(Array.from({ length: height }, () => row));
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk("IHDR", header),
    chunk("IDAT", deflateSync(pixels)),
    chunk("IEND", Buffer.alloc(0)),
  ]);
}

/** A minimal one-page PDF (its cross-reference table left out, which readers rebuild). */
export const ONE_PAGE_PDF = Buffer.from(
  "%PDF-1.4\n" +
    "1 0 obj << /Type /Catalog /Pages 2 0 R >> endobj\n" +
    "2 0 obj << /Type /Pages /Kids [3 0 R] /Count 1 >> endobj\n" +
    "3 0 obj << /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] >> endobj\n" +
    "trailer << /Root 1 0 R >>\n%%EOF\n",
  "latin1",
);

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
