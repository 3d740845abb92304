import { vendorName } from "../author-name.js";
import OpenAI from "openai";
import type {
  ChatCompletionChunk,
  ChatCompletionCreateParamsStreaming,
} from "openai/resources/chat/completions";
import type { ChatModel, ChatRequest, ChatStreamPart } from "../chat-model.js";
import { carriesAnswer, readCompatibleStream, type CompatibleDialect } from "../openai-compatible-stream.js";
import { toProviderError } from "../provider-error.js";
import { guardStream } from "../stream-guard.js";
import { vendorClientSettings, type VendorModelOptions } from "../vendor-client.js";
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
  private readonly client: OpenAI;
  private readonly apiKey: string;
  private readonly maxTokensField: "max_tokens" | "max_completion_tokens";
  private readonly firstTokenTimeoutMs: number;
  private readonly stallTimeoutMs: number;

  constructor(options: OpenAIChatModelOptions) {
    this.apiKey = options.apiKey;
    const settings = vendorClientSettings(options);
    this.firstTokenTimeoutMs = settings.timeouts.firstTokenTimeoutMs;
    this.stallTimeoutMs = settings.timeouts.stallTimeoutMs;
    this.client = new OpenAI(settings.client);
    this.maxTokensField = isOpenAIPlatform(options.baseURL) ? "max_completion_tokens" : "max_tokens";
  }

  async *stream(request: ChatRequest): AsyncIterable<ChatStreamPart> {
    const body: ChatCompletionCreateParamsStreaming = {
      model: request.model,
      messages: request.messages.map((m) =>
        m.name === undefined
          ? { role: m.role, content: m.content }
          : { role: m.role, content: m.content, name: vendorName(m.name) },
      ),
      temperature: request.temperature,
      ...(request.maxOutputTokens === undefined ? {} : { [this.maxTokensField]: request.maxOutputTokens }),
      stream: true,
      stream_options: { include_usage: true },
    };
    const chunks = guardStream<ChatCompletionChunk>({
      vendor: VENDOR,
      abortSignal: request.abortSignal,
      firstTokenTimeoutMs: this.firstTokenTimeoutMs,
      stallTimeoutMs: this.stallTimeoutMs,
      isFirstToken,
      open: (signal) => this.client.chat.completions.create(body, { signal }),
      toError: (err, phase) => toProviderError(VENDOR, err, { sdk: OpenAI, apiKey: this.apiKey, phase }),
    });

    yield* readCompatibleStream(chunks, OPENAI_DIALECT, request.abortSignal);
  }
}

const OPENAI_DIALECT: CompatibleDialect<ChatCompletionChunk> = {
  vendor: VENDOR,
  usage: (chunk) => convertOpenAIUsage(chunk.usage),
  // A refusal replaces the content; it is still what the person should read.
  text: (choice) => choice.delta?.content ?? choice.delta?.refusal,
  finishReason: mapOpenAIFinishReason,
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

function isFirstToken(chunk: ChatCompletionChunk): boolean {
  return carriesAnswer(chunk, (c) => Boolean(c.usage));
}
