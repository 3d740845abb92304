/**
 * The files Confab takes, as a face offers them (PROTOCOL.md: files): the `accept` of a file input,
 * and whether a file is shown as an image.
 */
import { FILE_MEDIA_TYPES, isImageType } from "../src/protocol/index.js";

/**
 * The `accept` attribute of a file picker: the media types the server stores, and the extensions of
 * the text types, which browsers often give no media type (a `.md` file is "" in most).
 */
export const FILE_INPUT_ACCEPT = [...FILE_MEDIA_TYPES, ".txt", ".md", ".markdown", ".csv", ".json"].join(",");

/** Whether a file (by its media type) is shown as an image: PNG, JPEG, GIF, WebP. */
export const isImage = (mediaType: string): boolean => isImageType(mediaType);

/** A size as a person reads it: "512 B", "14.2 KB", "3.1 MB". */
export function formatSize(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  if (bytes < 1024 * 1024) return `${(bytes / 1024).toFixed(1)} KB`;
  return `${(bytes / (1024 * 1024)).toFixed(1)} MB`;
}
