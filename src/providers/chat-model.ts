/**
 * The one small streaming interface every vendor implements (after the Vercel AI SDK's `doStream`).
 * A model turns a prompt into a stream of parts: text deltas, then exactly one `finish` part. A
 * failure is thrown (a `provider_error`), never yielded. Aborting the signal closes the vendor's
 * request; the stream then ends quietly, without a `finish`.
 */
export interface ChatPromptMessage {
  role: "system" | "user" | "assistant";
  content: string;
  /**
   * Who wrote a user message, when people of more than one name wrote in the window (PROTOCOL.md:
   * history with several people): OpenAI and Groq send it as `name`, Anthropic as a `Name: ` prefix.
   */
  name?: string;
}

export interface ChatRequest {
  model: string;
  /** System messages first, then the conversation in order, ending with the new user message. */
  messages: ChatPromptMessage[];
  temperature: number;
  /**
   * The most tokens the answer may have (MAX_OUTPUT_TOKENS for answers). Left out, the vendor's own
   * default applies, or DEFAULT_MAX_OUTPUT_TOKENS where the vendor requires a number (Anthropic).
   */
  maxOutputTokens?: number;
  abortSignal: AbortSignal;
  /**
   * What the text is for. Vendors ignore it (the prompt says it all); the demo model uses it to give
   * a sensible title or summary instead of its usual reply.
   */
  purpose?: "answer" | "title" | "summary";
}

export interface Usage {
  inputTokens: number;
  outputTokens: number;
  /** True when the vendor reported nothing and the tokenizer counted instead. */
  estimated?: boolean;
}

export type FinishReason = "stop" | "length" | "content_filter" | "tool_calls" | "error" | "other";

export type ChatStreamPart =
  | { type: "text-delta"; delta: string }
  | { type: "finish"; finishReason: FinishReason; usage: Usage | undefined; modelUsed?: string };

export interface ChatModel {
  readonly provider: string;
  stream(request: ChatRequest): AsyncIterable<ChatStreamPart>;
}

/** MAX_OUTPUT_TOKENS when it is unset, and what Anthropic is sent for a request that sets none. */
export const DEFAULT_MAX_OUTPUT_TOKENS = 1024;
