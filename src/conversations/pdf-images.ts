import { inflateSync } from "node:zlib";

/** The most pixels one image may have to be shown in a PDF export, and all of one export's together. */
export const MAX_DRAWN_PIXELS = 4_000_000;
export const MAX_EXPORT_PIXELS = 20_000_000;

const PNG_SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
/** Samples per pixel by PNG colour type. */
const CHANNELS: Record<number, number> = { 0: 1, 2: 3, 3: 1, 4: 2, 6: 4 };

/**
 * Whether pdfkit may be given these bytes: a JPEG (embedded as it is), or a PNG that is not
 * interlaced and whose image data inflates to exactly the size its header gives. pdfkit decodes some
 * PNGs (alpha, transparency) in a zlib callback whose error no `try` catches and that would end the
 * process; checked here first, within the pixel budget, nothing it is given can fail that way.
 */
export function isDrawable(bytes: Buffer, mediaType: string): boolean {
  if (mediaType === "image/jpeg") return bytes[0] === 0xff && bytes[1] === 0xd8;
  if (mediaType !== "image/png" || !bytes.subarray(0, 8).equals(PNG_SIGNATURE)) return false;
  const png = pngChunks(bytes);
  if (!png || png.interlaced || png.width * png.height > MAX_DRAWN_PIXELS) return false;
  const channels = CHANNELS[png.colorType];
  if (channels === undefined) return false;
  const rowBytes = 1 + Math.ceil((png.width * channels * png.bitDepth) / 8);
  const expected = png.height * rowBytes;
  try {
    return inflateSync(png.data, { maxOutputLength: expected }).length === expected;
  } catch {
    return false;
  }
}

interface PngFacts {
  width: number;
  height: number;
  bitDepth: number;
  colorType: number;
  interlaced: boolean;
  data: Buffer;
}

/** A PNG's header and its image data (IDAT chunks joined), or null when its chunks do not add up. */
function pngChunks(bytes: Buffer): PngFacts | null {
  let header: Omit<PngFacts, "data"> | null = null;
  const data: Buffer[] = [];
  for (let at = 8; at + 8 <= bytes.length;) {
    const length = bytes.readUInt32BE(at);
    const type = bytes.toString("latin1", at + 4, at + 8);
    const body = bytes.subarray(at + 8, at + 8 + length);
    if (body.length !== length) return null;
    if (type === "IHDR" && length >= 13) {
      header = {
        width: body.readUInt32BE(0),
        height: body.readUInt32BE(4),
        bitDepth: body[8]!,
        colorType: body[9]!,
        interlaced: body[12] === 1,
      };
    } else if (type === "IDAT") data.push(body);
    else if (type === "IEND") break;
    at += 12 + length;
  }
  return header && data.length > 0 ? { ...header, data: Buffer.concat(data) } : null;
}
