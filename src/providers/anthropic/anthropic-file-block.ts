import type { Base64ImageSource, ContentBlockParam } from "@anthropic-ai/sdk/resources/messages";
import { IMAGE_MEDIA_TYPES } from "../../protocol/index.js";
import type { PromptFile } from "../chat-model.js";
import { base64Of, fileAsText, promptFileKind, unreadableFileText } from "../prompt-files.js";

/**
 * A file as the Messages API takes it: an image as an `image` block (base64), a PDF as a `document`
 * block (base64, titled with the file's name; Claude reads its text and an image of each page), a
 * text file as a text block, the same text every vendor is sent (`fileAsText`).
 */
export function anthropicFileBlock(file: PromptFile): ContentBlockParam {
  const kind = promptFileKind(file.mediaType);
  if (kind === "image" && isAnthropicImageType(file.mediaType)) {
    return { type: "image", source: { type: "base64", media_type: file.mediaType, data: base64Of(file) } };
  }
  if (kind === "pdf") {
    return {
      type: "document",
      source: { type: "base64", media_type: "application/pdf", data: base64Of(file) },
      title: file.name,
    };
  }
  if (kind === "text") return { type: "text", text: fileAsText(file) };
  return { type: "text", text: unreadableFileText(file) };
}

function isAnthropicImageType(mediaType: string): mediaType is Base64ImageSource["media_type"] {
  return (IMAGE_MEDIA_TYPES as readonly string[]).includes(mediaType);
}
