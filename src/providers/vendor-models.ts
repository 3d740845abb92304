import type { Config } from "../config.js";
import type { ProviderName } from "../protocol/index.js";
import type { ChatModel } from "./chat-model.js";

/**
 * A chat model for each vendor whose key is configured; the others are absent (not configured). A
 * vendor's client library is loaded only when its key is set: a node without keys (the embedded
 * default) does not pay the time and memory of loading three SDKs it never calls.
 */
export async function vendorModels(
  config: Pick<Config, "providers" | "providerTimeouts">,
): Promise<Partial<Record<ProviderName, ChatModel>>> {
  const timeouts = {
    firstTokenTimeoutMs: config.providerTimeouts.firstTokenMs,
    stallTimeoutMs: config.providerTimeouts.stallMs,
  };
  const { openai, anthropic, groq } = config.providers;
  const models: Partial<Record<ProviderName, ChatModel>> = {};
  if (openai.apiKey) {
    const { OpenAIChatModel } = await import("./openai/index.js");
    models.openai = new OpenAIChatModel({ apiKey: openai.apiKey, baseURL: openai.baseURL, ...timeouts });
  }
  if (anthropic.apiKey) {
    const { AnthropicChatModel } = await import("./anthropic/index.js");
    models.anthropic = new AnthropicChatModel({
      apiKey: anthropic.apiKey,
      baseURL: anthropic.baseURL,
      ...timeouts,
    });
  }
  if (groq.apiKey) {
    const { GroqChatModel } = await import("./groq/index.js");
    models.groq = new GroqChatModel({ apiKey: groq.apiKey, baseURL: groq.baseURL, ...timeouts });
  }
  return models;
}
