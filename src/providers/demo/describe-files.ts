import { imageSize } from "image-size";
import { isImageType } from "../../protocol/index.js";
import { countPdfPages } from "../../tokens/pdf-page-count.js";
import type { PromptFile } from "../chat-model.js";

const count = new Intl.NumberFormat("en-US");

/**
 * What the demo model says it was sent: each file's name, media type and size, an image's width and
 * height, a PDF's pages ("You sent 2 files: photo.png (image/png, 12,345 bytes, 640×480 pixels),
 * notes.txt (text/plain, 120 bytes)."). An image whose size in pixels did not come with it is
 * measured from its bytes (its header only); what cannot be measured is left out.
 */
export function describeFiles(files: PromptFile[]): string {
  const noun = files.length === 1 ? "file" : "files";
  return `You sent ${files.length} ${noun}: ${files.map(describeFile).join(", ")}.`;
}

function describeFile(file: PromptFile): string {
  const facts = [file.mediaType, `${count.format(file.size)} bytes`];
  const pixels = isImageType(file.mediaType) ? pixelsOf(file) : undefined;
  if (pixels) facts.push(`${pixels.width}×${pixels.height} pixels`);
  const pages = file.mediaType === "application/pdf" ? countPdfPages(file.data) : undefined;
  if (pages !== undefined) facts.push(pages === 1 ? "1 page" : `${pages} pages`);
  return `${file.name} (${facts.join(", ")})`;
}

function pixelsOf(file: PromptFile): { width: number; height: number } | undefined {
  if (file.width !== undefined && file.height !== undefined)
    return { width: file.width, height: file.height };
  try {
    const { width, height } = imageSize(file.data);
    return { width, height };
  } catch {
    return undefined;
  }
}
