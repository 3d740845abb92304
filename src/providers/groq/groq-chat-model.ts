import Groq from "groq-sdk";
import type { CompletionUsage } from "groq-sdk/resources/completions";
import type {
  ChatCompletionChunk,
  ChatCompletionCreateParamsStreaming,
} from "groq-sdk/resources/chat/completions";
import type { ChatModel, ChatRequest, ChatStreamPart } from "../chat-model.js";
import {
  carriesAnswer,
  compatibleRequest,
  CompatibleCompletions,
  type CompatibleDialect,
} from "../openai-compatible-stream.js";
import { providerError } from "../provider-error.js";
import type { VendorModelOptions } from "../vendor-client.js";
import { groqFilePart } from "./groq-file-part.js";
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
  private readonly completions: CompatibleCompletions<GroqChunk, Groq>;

  constructor(options: GroqChatModelOptions) {
    this.completions = new CompatibleCompletions({ dialect: GROQ_DIALECT, sdk: Groq, options });
  }

  /** The request's body is made at once; the request goes once the answer is read. */
  stream(request: ChatRequest): AsyncIterable<ChatStreamPart> {
    const body: ChatCompletionCreateParamsStreaming = {
      ...compatibleRequest(request, groqFilePart),
      // Groq deprecated max_tokens in favour of OpenAI's newer name.
      ...(request.maxOutputTokens === undefined ? {} : { max_completion_tokens: request.maxOutputTokens }),
    };
    return this.completions.stream(request, (client, signal) =>
      client.chat.completions.create(body, { signal }),
    );
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
  text: (choice) => choice.delta?.content,
  // Reasoning models stream their thinking in `reasoning` (GPT-OSS by default, others with
  // reasoning_format "parsed"); with "raw" it comes inside the content, between <think> tags.
  reasoning: (choice) => choice.delta?.reasoning,
  finishReason: mapGroqFinishReason,
  isFirstToken: (chunk) =>
    carriesAnswer(chunk, (c) => Boolean(c.usage || c.x_groq?.usage || c.x_groq?.error)),
};
