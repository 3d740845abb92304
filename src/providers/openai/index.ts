export { OpenAIChatModel, type OpenAIChatModelOptions } from "./openai-chat-model.js";
export { mapOpenAIFinishReason } from "./map-openai-finish-reason.js";
export { convertOpenAIUsage } from "./convert-openai-usage.js";
export { openAIFilePart } from "./openai-file-part.js";
