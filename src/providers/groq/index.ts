export { GroqChatModel, type GroqChatModelOptions } from "./groq-chat-model.js";
export { mapGroqFinishReason } from "./map-groq-finish-reason.js";
export { convertGroqUsage } from "./convert-groq-usage.js";
export { groqFilePart } from "./groq-file-part.js";
