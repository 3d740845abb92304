import OpenAI from "openai";
import type {
  ChatCompletionChunk,
  ChatCompletionCreateParamsStreaming,
} from "openai/resources/chat/completions";
import type { ChatModel, ChatRequest, ChatStreamPart, FinishReason, Usage } from "../chat-model.js";
import { cutOffError, malformedError, toProviderError } from "../provider-error.js";
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
      messages: request.messages.map((m) => ({ role: m.role, content: m.content })),
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
      isFirstToken: carriesAnswer,
      open: (signal) => this.client.chat.completions.create(body, { signal }),
      toError: (err, phase) => toProviderError(VENDOR, err, { sdk: OpenAI, apiKey: this.apiKey, phase }),
    });

    let finishReason: FinishReason | undefined;
    let usage: Usage | undefined;
    let modelUsed: string | undefined;
    for await (const chunk of chunks) {
      if (!isChunk(chunk)) throw malformedError(VENDOR);
      if (chunk.model) modelUsed = chunk.model;
      // With include_usage the last chunk has empty choices and the usage; some servers send it earlier.
      usage = convertOpenAIUsage(chunk.usage) ?? usage;
      const choice = chunk.choices[0];
      if (!choice) continue;
      // A refusal replaces the content; it is still what the person should read.
      const text = choice.delta?.content ?? choice.delta?.refusal;
      if (text) yield { type: "text-delta", delta: text };
      if (choice.finish_reason) finishReason = mapOpenAIFinishReason(choice.finish_reason);
    }
    if (request.abortSignal.aborted) return;
    // The SDK ends quietly when the body ends without `[DONE]`; only the finish_reason proves the end.
    if (finishReason === undefined) throw cutOffError(VENDOR);
    yield { type: "finish", finishReason, usage, ...(modelUsed ? { modelUsed } : {}) };
  }
}

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

function isChunk(chunk: unknown): chunk is ChatCompletionChunk {
  return (
    typeof chunk === "object" && chunk !== null && Array.isArray((chunk as { choices?: unknown }).choices)
  );
}

function carriesAnswer(chunk: ChatCompletionChunk): boolean {
  if (!isChunk(chunk)) return true; // let the model report it as malformed rather than wait
  if (chunk.usage) return true;
  return chunk.choices.some((c) => Boolean(c.finish_reason) || producesSomething(c.delta));
}

/**
 * Any delta field but the role counts as progress: reasoning (`reasoning`, `reasoning_content`) can
 * stream for a long time before the first word of the answer, and the vendor is alive meanwhile.
 */
function producesSomething(delta: object | null | undefined): boolean {
  return Object.entries(delta ?? {}).some(([key, value]) => key !== "role" && value !== null && value !== "");
}
