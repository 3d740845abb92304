import { fileTypeFromBuffer } from "file-type";
import { imageSize } from "image-size";
import { AppError, validationFailed } from "../errors.js";
import { FILE_MEDIA_TYPES, isImageType, type FileMediaType } from "../protocol/index.js";

/** The most pixels an image may declare: past it, an image is refused unread (a decompression bomb). */
export const MAX_IMAGE_PIXELS = 50_000_000;

/** What the bytes of a file are: its media type, and an image's size read from its header. */
export interface Sniffed {
  mediaType: FileMediaType;
  width?: number;
  height?: number;
}

const unsupported = (what: string) =>
  new AppError(
    "unsupported_media_type",
    `${what}: allowed are PNG, JPEG, GIF and WebP images, PDF, and UTF-8 text (plain, Markdown, CSV, JSON)`,
  );

/**
 * Markup a browser would render as a page or run as a document (HTML, SVG, XML): refused even when
 * the rest is valid text, so that no upload is ever a page, whatever a client later does with it.
 */
const MARKUP = /^\s*<(?:!doctype|html|head|body|script|iframe|svg|\?xml|!--|[a-z][a-z0-9-]*[\s>/])/i;

/** Characters that no text file holds: C0 controls but tab, line feed, form feed and carriage return. */
// eslint-disable-next-line no-control-regex -- control characters are what it looks for
export const NOT_TEXT = /[\u0000-\u0008\u000B\u000E-\u001F\u007F]/;

const extensionOf = (name: string) => /\.([A-Za-z0-9]{1,10})$/.exec(name)?.[1]?.toLowerCase() ?? "";

/**
 * Which flavour of text: the bytes say "text", the name or the type the client claimed says which
 * (all are harmless as text); JSON only when the text also starts like JSON.
 */
function textFlavour(text: string, claimed: { name: string; type: string }): FileMediaType {
  const ext = extensionOf(claimed.name);
  const type = claimed.type.toLowerCase().split(";")[0]?.trim() ?? "";
  if ((ext === "json" || type === "application/json") && /^\s*[[{]/.test(text)) return "application/json";
  if (ext === "md" || ext === "markdown" || type === "text/markdown") return "text/markdown";
  if (ext === "csv" || type === "text/csv") return "text/csv";
  return "text/plain";
}

/**
 * The media type of a file from its first bytes (`head`; `whole` when they are all of it): a binary
 * format by its signature (file-type), else UTF-8 text that is not markup. Neither the name nor the
 * claimed type is trusted for what the bytes are. Returns null when an image's header needs more
 * bytes than `head` has (and more may come). Throws `unsupported_media_type` for anything else, and
 * `validation_failed` for an image that declares more than MAX_IMAGE_PIXELS.
 */
export async function sniffMediaType(
  head: Buffer,
  whole: boolean,
  claimed: { name: string; type: string },
): Promise<Sniffed | null> {
  const found = await fileTypeFromBuffer(head);
  if (found) {
    // An animated PNG is a PNG to every reader of PNGs (its first frame).
    const mime = found.mime === "image/apng" ? "image/png" : found.mime;
    if (!(FILE_MEDIA_TYPES as readonly string[]).includes(mime)) {
      throw unsupported(`the file is ${mime}`);
    }
    const mediaType = mime as FileMediaType;
    return isImageType(mediaType) ? imageFacts(mediaType, head, whole) : { mediaType };
  }
  const text = utf8Head(head, whole);
  if (text === null || NOT_TEXT.test(text)) throw unsupported("the file is neither a known format nor text");
  if (MARKUP.test(text.replace(/^\uFEFF/, ""))) throw unsupported("the file is HTML, SVG or XML");
  return { mediaType: textFlavour(text, claimed) };
}

/** An image's size from its header, never by decoding it. */
function imageFacts(mediaType: FileMediaType, head: Buffer, whole: boolean): Sniffed | null {
  let size: { width: number; height: number };
  try {
    size = imageSize(head);
  } catch {
    if (!whole) return null;
    throw unsupported("the image's header cannot be read");
  }
  const { width, height } = size;
  if (!(width > 0 && height > 0)) throw unsupported("the image's header cannot be read");
  if (width * height > MAX_IMAGE_PIXELS) {
    throw validationFailed(
      `the image declares ${width}×${height} pixels; at most ${MAX_IMAGE_PIXELS / 1_000_000} megapixels`,
    );
  }
  return { mediaType, width, height };
}

/** The head as UTF-8 text (a character cut at its end is fine when more follows), or null. */
function utf8Head(head: Buffer, whole: boolean): string | null {
  try {
    return new TextDecoder("utf-8", { fatal: true }).decode(head, { stream: !whole });
  } catch {
    return null;
  }
}
