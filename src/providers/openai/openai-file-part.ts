import type { ChatCompletionContentPart } from "openai/resources/chat/completions";
import type { PromptFile } from "../chat-model.js";
import { dataUrlOf, fileAsText, promptFileKind, unreadableFileText } from "../prompt-files.js";

/**
 * A file as OpenAI's chat completions take it: an image as an `image_url` part holding a data URL
 * (detail left to the model, "auto"), a PDF as a `file` part with its name and a data URL (OpenAI
 * reads both its text and an image of each page), a text file as text.
 */
export function openAIFilePart(file: PromptFile): ChatCompletionContentPart {
  switch (promptFileKind(file.mediaType)) {
    case "image":
      return { type: "image_url", image_url: { url: dataUrlOf(file) } };
    case "pdf":
      return { type: "file", file: { filename: file.name, file_data: dataUrlOf(file) } };
    case "text":
      return { type: "text", text: fileAsText(file) };
    case "other":
      return { type: "text", text: unreadableFileText(file) };
  }
}
