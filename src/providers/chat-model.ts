/**
 * The one small streaming interface every vendor implements (after the Vercel AI SDK's `doStream`).
 * A model turns a prompt into a stream of parts: text deltas, then exactly one `finish` part. A
 * failure is thrown (a `provider_error`), never yielded. Aborting the signal closes the vendor's
 * request; the stream then ends quietly, without a `finish`.
 */
export interface ChatPromptMessage {
  role: "system" | "user" | "assistant" | "tool";
  /** The text (for a `tool` message: the result, as JSON text, or the error's reason). */
  content: string;
  /**
   * Who wrote a user message, when people of more than one name wrote in the window (PROTOCOL.md:
   * history with several people): OpenAI and Groq send it as `name`, Anthropic as a `Name: ` prefix.
   */
  name?: string;
  /** An assistant message's tool calls, after its text (each vendor's own format on the wire). */
  toolCalls?: PromptToolCall[];
  /**
   * An assistant message's signed thinking, sent back only within one answer's steps where the
   * vendor requires it (Anthropic): never as history of earlier answers.
   */
  thinking?: { text: string; signature: string }[];
  /** A `tool` message: the call it answers. */
  toolCallId?: string;
  toolName?: string;
  /** A `tool` message that reports a failure or a denial (Anthropic's `is_error`). */
  isError?: boolean;
  /**
   * A user message's files, with their bytes (PROTOCOL.md: files), sent in each vendor's own format
   * before the text: images as image input, PDFs as documents, text files as text.
   */
  files?: PromptFile[];
}

/** A file of a user message, as the model is sent it. */
export interface PromptFile {
  /** The display name it was uploaded with. */
  name: string;
  /** One of FILE_MEDIA_TYPES, read from its bytes. */
  mediaType: string;
  size: number;
  /** An image's size in pixels. */
  width?: number;
  height?: number;
  data: Buffer;
}

/** A tool call as the model made it. */
export interface PromptToolCall {
  id: string;
  name: string;
  /** The input as the model gave it: parsed JSON, or its raw text when it was not JSON. */
  input: unknown;
}

/** A tool the model may call, as every vendor takes it. */
export interface ToolSpec {
  name: string;
  description: string;
  /** JSON Schema of an object. */
  inputSchema: Record<string, unknown>;
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
  /** The tools the model may call (none: it may call none). */
  tools?: ToolSpec[];
  /** Extended thinking, where the vendor has it (Anthropic); others ignore it. */
  reasoning?: { budgetTokens: number } | undefined;
}

export interface Usage {
  inputTokens: number;
  outputTokens: number;
  /** True when the vendor reported nothing and the tokenizer counted instead. */
  estimated?: boolean;
}

export type FinishReason = "stop" | "length" | "content_filter" | "tool_calls" | "error" | "other";

/**
 * What a model streams: text and reasoning deltas, tool calls (their input in pieces, then whole),
 * then exactly one `finish` (`tool_calls` when the model waits for the results of its calls).
 */
export type ChatStreamPart =
  | { type: "text-delta"; delta: string }
  | { type: "reasoning-delta"; delta: string }
  /** The signature that closes a block of signed thinking (Anthropic), to send back within the answer. */
  | { type: "reasoning-signature"; signature: string }
  | { type: "tool-input-start"; toolCallId: string; toolName: string }
  | { type: "tool-input-delta"; toolCallId: string; delta: string }
  /** A whole tool call; `input` is the raw JSON text the model wrote ("" for none). */
  | { type: "tool-call"; toolCallId: string; toolName: string; input: string }
  | { type: "finish"; finishReason: FinishReason; usage: Usage | undefined; modelUsed?: string };

export interface ChatModel {
  readonly provider: string;
  stream(request: ChatRequest): AsyncIterable<ChatStreamPart>;
}

/** MAX_OUTPUT_TOKENS when it is unset, and what Anthropic is sent for a request that sets none. */
export const DEFAULT_MAX_OUTPUT_TOKENS = 1024;
