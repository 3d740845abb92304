import { randomBytes } from "node:crypto";
import { crc32, deflateSync } from "node:zlib";
import type { FileResource } from "../../src/protocol/index.js";

function chunk(type: string, data: Buffer): Buffer {
  const length = Buffer.alloc(4);
  length.writeUInt32BE(data.length);
  const body = Buffer.concat([Buffer.from(type, "ascii"), data]);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(body));
  return Buffer.concat([length, body, crc]);
}

/**
 * A valid PNG of `width`×`height` pixels of one colour. With `declared`, the header claims that size
 * while the pixels are `width`×`height`'s: an image bomb's header on a small file. With `noise`, random
 * pixels, which hardly compress: a file of about 3 × width × height bytes (an upload that takes a while).
 * With `alpha`, RGBA pixels (which a PDF writer must decode); with `junk`, image data that is not zlib.
 */
export function png(
  width: number,
  height: number,
  options: {
    rgb?: [number, number, number];
    declared?: [number, number];
    noise?: boolean;
    alpha?: boolean;
    junk?: boolean;
  } = {},
): Buffer {
  const [r, g, b] = options.rgb ?? [200, 40, 40];
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(options.declared?.[0] ?? width, 0);
  ihdr.writeUInt32BE(options.declared?.[1] ?? height, 4);
  ihdr[8] = 8; // bit depth
  ihdr[9] = options.alpha ? 6 : 2; // truecolour, with alpha or not
  const pixel = options.alpha ? [r, g, b, 128] : [r, g, b];
  const row = Buffer.concat([
    Buffer.from([0]),
    Buffer.from(Array.from({ length: width }, () => pixel).flat()),
  ]);
  const pixels = Buffer.concat(
    Array.from({ length: height }, () =>
      options.noise ? Buffer.concat([Buffer.from([0]), randomBytes(width * 3)]) : row,
    ),
  );
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk("IHDR", ihdr),
    chunk("IDAT", options.junk ? Buffer.from("not zlib data at all, just junk") : deflateSync(pixels)),
    chunk("IEND", Buffer.alloc(0)),
  ]);
}

/** A one-page PDF that says `text` (enough for a sniffer and a vendor; not laid out). */
export function pdf(text = "Hello"): Buffer {
  return Buffer.from(
    `%PDF-1.4\n1 0 obj <</Type /Catalog /Pages 2 0 R>> endobj\n2 0 obj <</Type /Pages /Kids [3 0 R] /Count 1>> endobj\n` +
      `3 0 obj <</Type /Page /Parent 2 0 R /MediaBox [0 0 200 200] /Contents 4 0 R>> endobj\n` +
      `4 0 obj <</Length ${text.length + 30}>> stream\nBT /F1 12 Tf 20 100 Td (${text}) Tj ET\nendstream endobj\n` +
      `trailer <</Root 1 0 R>>\n%%EOF\n`,
    "latin1",
  );
}

export interface UploadAnswer {
  status: number;
  body: { file?: FileResource; error?: { code: string; message: string } };
}

/** Uploads `bytes` as `name` (claimed type `type`) to a conversation, as multipart in field `file`. */
export async function uploadFile(
  baseUrl: string,
  token: string,
  conversationId: string,
  bytes: Buffer,
  name: string,
  type = "application/octet-stream",
): Promise<UploadAnswer> {
  const form = new FormData();
  form.append("file", new Blob([new Uint8Array(bytes)], { type }), name);
  const res = await fetch(`${baseUrl}/api/v1/conversations/${conversationId}/files`, {
    method: "POST",
    headers: { authorization: `Bearer ${token}` },
    body: form,
  });
  return { status: res.status, body: (await res.json()) as UploadAnswer["body"] };
}

/** `uploadFile`, expecting `201`: the stored file. */
export async function uploaded(...args: Parameters<typeof uploadFile>): Promise<FileResource> {
  const answer = await uploadFile(...args);
  if (answer.status !== 201 || !answer.body.file) {
    throw new Error(`upload refused: ${answer.status} ${JSON.stringify(answer.body)}`);
  }
  return answer.body.file;
}
