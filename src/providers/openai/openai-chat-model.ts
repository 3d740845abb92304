import OpenAI from "openai";
import type {
  ChatCompletionChunk,
  ChatCompletionCreateParamsStreaming,
} from "openai/resources/chat/completions";
import type { ChatModel, ChatRequest, ChatStreamPart } from "../chat-model.js";
import {
  carriesAnswer,
  compatibleRequest,
  CompatibleCompletions,
  type CompatibleDialect,
} from "../openai-compatible-stream.js";
import type { VendorModelOptions } from "../vendor-client.js";
import { openAIFilePart } from "./openai-file-part.js";
import { convertOpenAIUsage } from "./convert-openai-usage.js";
import { mapOpenAIFinishReason } from "./map-openai-finish-reason.js";

export interface OpenAIChatModelOptions extends VendorModelOptions {
  /** Any OpenAI-compatible server (Ollama, vLLM, LM Studio…), e.g. "http://localhost:11434/v1". */
  baseURL?: string | undefined;
}

const VENDOR = "openai";

/** OpenAI chat completions, streamed, through the official client. */
export class OpenAIChatModel implements ChatModel {
  readonly provider = VENDOR;
  private readonly maxTokensField: "max_tokens" | "max_completion_tokens";
  private readonly completions: CompatibleCompletions<ChatCompletionChunk, OpenAI>;

  constructor(options: OpenAIChatModelOptions) {
    this.completions = new CompatibleCompletions({ dialect: OPENAI_DIALECT, sdk: OpenAI, options });
    this.maxTokensField = isOpenAIPlatform(options.baseURL) ? "max_completion_tokens" : "max_tokens";
  }

  /** The request's body is made at once; the request goes once the answer is read. */
  stream(request: ChatRequest): AsyncIterable<ChatStreamPart> {
    const body: ChatCompletionCreateParamsStreaming = {
      ...compatibleRequest(request, openAIFilePart),
      ...(request.maxOutputTokens === undefined ? {} : { [this.maxTokensField]: request.maxOutputTokens }),
      stream_options: { include_usage: true },
    };
    return this.completions.stream(request, (client, signal) =>
      client.chat.completions.create(body, { signal }),
    );
  }
}

const OPENAI_DIALECT: CompatibleDialect<ChatCompletionChunk> = {
  vendor: VENDOR,
  usage: (chunk) => convertOpenAIUsage(chunk.usage),
  // A refusal replaces the content; it is still what the person should read.
  text: (choice) => choice.delta?.content ?? choice.delta?.refusal,
  // OpenAI's own API streams no reasoning; compatible servers do: `reasoning_content` (DeepSeek,
  // vLLM, LM Studio) or `reasoning` (Ollama, OpenRouter, newer vLLM).
  reasoning: (choice) => {
    const delta = choice.delta as { reasoning_content?: unknown; reasoning?: unknown } | undefined;
    return delta?.reasoning_content ?? delta?.reasoning;
  },
  finishReason: mapOpenAIFinishReason,
  isFirstToken: (chunk) => carriesAnswer(chunk, (c) => Boolean(c.usage)),
};

/**
 * OpenAI's own API wants `max_completion_tokens` (its reasoning models reject `max_tokens`), while
 * compatible servers such as Ollama or vLLM only promise `max_tokens`.
 */
function isOpenAIPlatform(baseURL: string | undefined): boolean {
  if (baseURL === undefined) return true;
  try {
    return new URL(baseURL).hostname === "api.openai.com";
  } catch {
    return false;
  }
}
