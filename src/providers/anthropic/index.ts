export { AnthropicChatModel, type AnthropicChatModelOptions } from "./anthropic-chat-model.js";
export { mapAnthropicFinishReason } from "./map-anthropic-finish-reason.js";
export { convertAnthropicUsage } from "./convert-anthropic-usage.js";
