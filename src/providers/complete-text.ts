import { AppError } from "../errors.js";
import type { ChatModel, ChatRequest, Usage } from "./chat-model.js";

/** Runs a request to the end and returns the whole text: for titles and summaries, not for answers. */
export async function completeText(
  model: ChatModel,
  request: ChatRequest,
): Promise<{ text: string; usage: Usage | undefined }> {
  let text = "";
  let usage: Usage | undefined;
  let finished = false;
  for await (const part of model.stream(request)) {
    if (part.type === "text-delta") text += part.delta;
    else if (part.type === "finish") {
      finished = true;
      usage = part.usage;
    }
  }
  if (!finished && !request.abortSignal.aborted) {
    throw new AppError("provider_error", "the model's stream ended before the text was finished");
  }
  return { text: text.trim(), usage };
}
