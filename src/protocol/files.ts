/**
 * What files Confab takes (PROTOCOL.md: files): the media types read from a file's bytes that it
 * stores, and the limits of sending them.
 */
export const IMAGE_MEDIA_TYPES = ["image/png", "image/jpeg", "image/gif", "image/webp"] as const;
export const TEXT_MEDIA_TYPES = ["text/plain", "text/markdown", "text/csv", "application/json"] as const;
export const FILE_MEDIA_TYPES = [...IMAGE_MEDIA_TYPES, "application/pdf", ...TEXT_MEDIA_TYPES] as const;
export type FileMediaType = (typeof FILE_MEDIA_TYPES)[number];

/** What an agent reads unless told otherwise: text. */
export const DEFAULT_ACCEPTED_FILES: readonly FileMediaType[] = TEXT_MEDIA_TYPES;

/** The most files one message carries. */
export const MAX_FILES_PER_MESSAGE = 10;

export const isImageType = (mediaType: string): boolean =>
  (IMAGE_MEDIA_TYPES as readonly string[]).includes(mediaType);
export const isTextType = (mediaType: string): boolean =>
  (TEXT_MEDIA_TYPES as readonly string[]).includes(mediaType);
