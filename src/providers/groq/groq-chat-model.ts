import Groq from "groq-sdk";
import type { CompletionUsage } from "groq-sdk/resources/completions";
import type {
  ChatCompletionChunk,
  ChatCompletionCreateParamsStreaming,
} from "groq-sdk/resources/chat/completions";
import type { ChatModel, ChatRequest, ChatStreamPart, FinishReason, Usage } from "../chat-model.js";
import { cutOffError, malformedError, providerError, toProviderError } from "../provider-error.js";
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
      messages: request.messages.map((m) => ({ role: m.role, content: m.content })),
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
      isFirstToken: carriesAnswer,
      open: (signal) => this.client.chat.completions.create(body, { signal }),
      toError: (err, phase) => toProviderError(VENDOR, err, { sdk: Groq, apiKey: this.apiKey, phase }),
    });

    let finishReason: FinishReason | undefined;
    let usage: Usage | undefined;
    let modelUsed: string | undefined;
    for await (const chunk of chunks) {
      if (!isChunk(chunk)) throw malformedError(VENDOR);
      // Groq ends a failing stream with a 200 and this field rather than an error status.
      const streamError = chunk.x_groq?.error;
      if (streamError)
        throw providerError(`groq stopped the answer early: ${streamError}`, { kind: "stream_error" });
      if (chunk.model) modelUsed = chunk.model;
      usage = convertGroqUsage(chunk.x_groq?.usage ?? chunk.usage) ?? usage;
      const choice = chunk.choices[0];
      if (!choice) continue;
      // `reasoning` deltas of reasoning models are left out: they are not the answer.
      const text = choice.delta?.content;
      if (text) yield { type: "text-delta", delta: text };
      if (choice.finish_reason) finishReason = mapGroqFinishReason(choice.finish_reason);
    }
    if (request.abortSignal.aborted) return;
    // The SDK ends quietly when the body ends without `[DONE]`; only the finish_reason proves the end.
    if (finishReason === undefined) throw cutOffError(VENDOR);
    yield { type: "finish", finishReason, usage, ...(modelUsed ? { modelUsed } : {}) };
  }
}

function isChunk(chunk: unknown): chunk is GroqChunk {
  return (
    typeof chunk === "object" && chunk !== null && Array.isArray((chunk as { choices?: unknown }).choices)
  );
}

function carriesAnswer(chunk: GroqChunk): boolean {
  if (!isChunk(chunk)) return true; // let the model report it as malformed rather than wait
  if (chunk.usage || chunk.x_groq?.usage || chunk.x_groq?.error) return true;
  return chunk.choices.some((c) => Boolean(c.finish_reason) || producesSomething(c.delta));
}

/**
 * Any delta field but the role counts as progress: reasoning (`reasoning`, `reasoning_content`) can
 * stream for a long time before the first word of the answer, and the vendor is alive meanwhile.
 */
function producesSomething(delta: object | null | undefined): boolean {
  return Object.entries(delta ?? {}).some(([key, value]) => key !== "role" && value !== null && value !== "");
}
