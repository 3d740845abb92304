import { isImageType, isTextType } from "../protocol/index.js";
import type { PromptFile } from "./chat-model.js";

/**
 * What a model is sent of a file, whatever the vendor: an image as image input, a PDF as a document,
 * a text file as its text. Anything else (never stored today) is named as unreadable rather than sent.
 */
export type PromptFileKind = "image" | "pdf" | "text" | "other";

export function promptFileKind(mediaType: string): PromptFileKind {
  if (isImageType(mediaType)) return "image";
  if (mediaType === "application/pdf") return "pdf";
  if (isTextType(mediaType)) return "text";
  return "other";
}

/**
 * A text file as every vendor is sent it: a header line naming the file and its type, then its
 * text (UTF-8, a byte-order mark dropped, invalid bytes as U+FFFD). The header tells the model where
 * the file's text begins and what it is called, so that it can refer to it by name; the file is
 * its own content part (or, for chat completions without images, its own paragraph), so its end is
 * where the next part begins.
 */
export function fileAsText(file: PromptFile): string {
  return `File ${file.name} (${file.mediaType}):\n${file.data.toString("utf8").replace(/^\uFEFF/, "")}`;
}

/** What a model that cannot read a file is told instead of its content, so that it can say so. */
export function unreadableFileText(file: PromptFile): string {
  return `File ${file.name} (${file.mediaType}) was attached, but it could not be read by this model.`;
}

/** The file's bytes as base64, the way every vendor takes inline files. */
export const base64Of = (file: PromptFile): string => file.data.toString("base64");

/** The file as a `data:` URL (chat completions' images and files). */
export const dataUrlOf = (file: PromptFile): string => `data:${file.mediaType};base64,${base64Of(file)}`;
