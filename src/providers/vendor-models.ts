import type { Config } from "../config.js";
import type { ProviderName } from "../protocol/index.js";
import { AnthropicChatModel } from "./anthropic/index.js";
import type { ChatModel } from "./chat-model.js";
import { GroqChatModel } from "./groq/index.js";
import { OpenAIChatModel } from "./openai/index.js";

/** A chat model for each vendor whose key is configured; the others are absent (not configured). */
export function vendorModels(
  config: Pick<Config, "providers" | "providerTimeouts">,
): Partial<Record<ProviderName, ChatModel>> {
  const timeouts = {
    firstTokenTimeoutMs: config.providerTimeouts.firstTokenMs,
    stallTimeoutMs: config.providerTimeouts.stallMs,
  };
  const { openai, anthropic, groq } = config.providers;
  const models: Partial<Record<ProviderName, ChatModel>> = {};
  if (openai.apiKey)
    models.openai = new OpenAIChatModel({ apiKey: openai.apiKey, baseURL: openai.baseURL, ...timeouts });
  if (anthropic.apiKey) {
    models.anthropic = new AnthropicChatModel({
      apiKey: anthropic.apiKey,
      baseURL: anthropic.baseURL,
      ...timeouts,
    });
  }
  if (groq.apiKey)
    models.groq = new GroqChatModel({ apiKey: groq.apiKey, baseURL: groq.baseURL, ...timeouts });
  return models;
}
