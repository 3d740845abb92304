import { vendorName } from "../author-name.js";
import Groq from "groq-sdk";
import type { CompletionUsage } from "groq-sdk/resources/completions";
import type {
  ChatCompletionChunk,
  ChatCompletionCreateParamsStreaming,
} from "groq-sdk/resources/chat/completions";
import type { ChatModel, ChatRequest, ChatStreamPart } from "../chat-model.js";
import { carriesAnswer, readCompatibleStream, type CompatibleDialect } from "../openai-compatible-stream.js";
import { providerError, toProviderError } from "../provider-error.js";
import { guardStream } from "../stream-guard.js";
import { vendorClientSettings, type VendorModelOptions } from "../vendor-client.js";
import { convertGroqUsage } from "./convert-groq-usage.js";
import { mapGroqFinishReason } from "./map-groq-finish-reason.js";

export interface GroqChatModelOptions extends VendorModelOptions {
  /** Default https://api.groq.com; the SDK appends /openai/v1/chat/completions. */
  baseURL?: string | undefined;
}

/** Groq documents usage in `x_groq.usage`; a top-level `usage` (OpenAI's place) is accepted too. */
type GroqChunk = ChatCompletionChunk & { usage?: CompletionUsage | null };

const VENDOR = "groq";

/** Groq's OpenAI-compatible chat completions, streamed, through the official client. */
export class GroqChatModel implements ChatModel {
  readonly provider = VENDOR;
  private readonly client: Groq;
  private readonly apiKey: string;
  private readonly firstTokenTimeoutMs: number;
  private readonly stallTimeoutMs: number;

  constructor(options: GroqChatModelOptions) {
    this.apiKey = options.apiKey;
    const settings = vendorClientSettings(options);
    this.firstTokenTimeoutMs = settings.timeouts.firstTokenTimeoutMs;
    this.stallTimeoutMs = settings.timeouts.stallTimeoutMs;
    this.client = new Groq(settings.client);
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
      // Groq deprecated max_tokens in favour of OpenAI's newer name.
      ...(request.maxOutputTokens === undefined ? {} : { max_completion_tokens: request.maxOutputTokens }),
      stream: true,
    };
    const chunks = guardStream<GroqChunk>({
      vendor: VENDOR,
      abortSignal: request.abortSignal,
      firstTokenTimeoutMs: this.firstTokenTimeoutMs,
      stallTimeoutMs: this.stallTimeoutMs,
      isFirstToken,
      open: (signal) => this.client.chat.completions.create(body, { signal }),
      toError: (err, phase) => toProviderError(VENDOR, err, { sdk: Groq, apiKey: this.apiKey, phase }),
    });

    yield* readCompatibleStream(chunks, GROQ_DIALECT, request.abortSignal);
  }
}

const GROQ_DIALECT: CompatibleDialect<GroqChunk> = {
  vendor: VENDOR,
  check(chunk) {
    // Groq ends a failing stream with a 200 and this field rather than an error status.
    const streamError = chunk.x_groq?.error;
    if (streamError)
      throw providerError(`groq stopped the answer early: ${streamError}`, { kind: "stream_error" });
  },
  usage: (chunk) => convertGroqUsage(chunk.x_groq?.usage ?? chunk.usage),
  // `reasoning` deltas of reasoning models are left out: they are not the answer.
  text: (choice) => choice.delta?.content,
  finishReason: mapGroqFinishReason,
};

function isFirstToken(chunk: GroqChunk): boolean {
  return carriesAnswer(chunk, (c) => Boolean(c.usage || c.x_groq?.usage || c.x_groq?.error));
}
