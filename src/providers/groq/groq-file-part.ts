import type { ChatCompletionContentPart } from "groq-sdk/resources/chat/completions";
import type { PromptFile } from "../chat-model.js";
import { dataUrlOf, fileAsText, promptFileKind, unreadableFileText } from "../prompt-files.js";

/**
 * A file as Groq's chat completions take it: an image as an `image_url` part holding a data URL (its
 * vision models), a text file as text. Groq reads no PDFs (its `document` part carries JSON data,
 * not a file): the model is told the file was attached but could not be read, so that it can say so
 * rather than answer as if it had read it.
 */
export function groqFilePart(file: PromptFile): ChatCompletionContentPart {
  switch (promptFileKind(file.mediaType)) {
    case "image":
      return { type: "image_url", image_url: { url: dataUrlOf(file) } };
    case "text":
      return { type: "text", text: fileAsText(file) };
    case "pdf":
    case "other":
      return { type: "text", text: unreadableFileText(file) };
  }
}
