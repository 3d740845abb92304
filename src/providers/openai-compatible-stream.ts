import type { ChatRequest, ChatStreamPart, FinishReason, Usage } from "./chat-model.js";
import { compatibleMessages, compatibleTools, type CompatibleFilePart } from "./compatible-messages.js";
import { CompatibleToolCalls } from "./compatible-tool-calls.js";
import { cutOffError, malformedError, toProviderError, type SdkErrorClasses } from "./provider-error.js";
import { guardStream } from "./stream-guard.js";
import { vendorClientSettings, type VendorClientSettings, type VendorModelOptions } from "./vendor-client.js";

/** What the chunks of OpenAI's chat-completions stream and of its compatible servers (Groq) share. */
export interface CompatibleChunk {
  model?: string;
  choices: { delta?: object | null; finish_reason?: string | null }[];
}

/** Where one vendor's stream differs from OpenAI's. */
export interface CompatibleDialect<C extends CompatibleChunk> {
  vendor: string;
  /** Throws a provider error for a failure the vendor reports inside a 200 stream (Groq). */
  check?(chunk: C): void;
  /** The chunk's usage, if it carries one. */
  usage(chunk: C): Usage | undefined;
  /** The answer's text in a choice's delta. */
  text(choice: C["choices"][number]): string | null | undefined;
  /** The model's reasoning in a choice's delta (each server has its own field). */
  reasoning(choice: C["choices"][number]): unknown;
  finishReason(reason: string): FinishReason;
  /** Whether the chunk shows the vendor is answering (for the first-token limit): see `carriesAnswer`. */
  isFirstToken(chunk: C): boolean;
}

/**
 * What every chat-completions request of an answer holds: the model, the prompt's messages (see
 * `compatibleMessages`, the files as `filePart` makes them), the tools when there are any, the
 * temperature, and streaming on. Each vendor adds its own.
 */
export function compatibleRequest<P>(request: ChatRequest, filePart: CompatibleFilePart<P>) {
  return {
    model: request.model,
    messages: compatibleMessages(request.messages, filePart),
    ...compatibleTools(request.tools),
    temperature: request.temperature,
    stream: true as const,
  };
}

/** An official SDK's client class (Stainless-generated: openai and groq-sdk), with its error classes. */
type CompatibleSdk<Client> = SdkErrorClasses & (new (settings: VendorClientSettings["client"]) => Client);

/**
 * The answers of one chat-completions server (OpenAI's, or a compatible one such as Groq's), as the
 * models of both read them, through the vendor's official client: each request under the stream
 * guard's time limits, its failures made provider errors that never quote the key, its chunks read
 * into the parts of a `ChatModel`.
 */
export class CompatibleCompletions<C extends CompatibleChunk, Client> {
  private readonly client: Client;
  private readonly timeouts: VendorClientSettings["timeouts"];
  private readonly apiKey: string;
  private readonly sdk: CompatibleSdk<Client>;
  private readonly dialect: CompatibleDialect<C>;

  constructor(vendor: {
    dialect: CompatibleDialect<C>;
    sdk: CompatibleSdk<Client>;
    options: VendorModelOptions;
  }) {
    const settings = vendorClientSettings(vendor.options);
    this.client = new vendor.sdk(settings.client);
    this.timeouts = settings.timeouts;
    this.apiKey = vendor.options.apiKey;
    this.sdk = vendor.sdk;
    this.dialect = vendor.dialect;
  }

  /**
   * One answer; `open` starts the vendor request (with SDK retries) with a signal that closes it, once
   * the answer is read. The guarded stream is read directly (no layer in between: each costs a few
   * promises per chunk).
   */
  stream(
    request: ChatRequest,
    open: (client: Client, signal: AbortSignal) => Promise<AsyncIterable<C>>,
  ): AsyncIterable<ChatStreamPart> {
    const { dialect, sdk, apiKey } = this;
    const chunks = guardStream<C>({
      vendor: dialect.vendor,
      abortSignal: request.abortSignal,
      ...this.timeouts,
      isFirstToken: (chunk) => dialect.isFirstToken(chunk),
      open: (signal) => open(this.client, signal),
      toError: (err, phase) => toProviderError(dialect.vendor, err, { sdk, apiKey, phase }),
    });
    return readCompatibleStream(chunks, dialect, request.abortSignal);
  }
}

/**
 * Turns a guarded chat-completions stream into the parts of a `ChatModel`: reasoning and text
 * deltas, tool calls in pieces, then every tool call whole and one `finish` with the mapped reason,
 * the usage and the model the vendor names. A stream that ends without a finish reason was cut off
 * (the SDKs end quietly when the body ends without `[DONE]`). Read as a generator would be, but an
 * iterator of its own: a chunk costs one promise callback.
 */
export function readCompatibleStream<C extends CompatibleChunk>(
  chunks: AsyncIterable<C>,
  dialect: CompatibleDialect<C>,
  abortSignal: AbortSignal,
): AsyncIterableIterator<ChatStreamPart, undefined> {
  return new CompatibleParts(chunks[Symbol.asyncIterator](), dialect, abortSignal);
}

const DONE: IteratorReturnResult<undefined> = { done: true, value: undefined };

/** The parts of one chat-completions stream, read chunk by chunk (see `readCompatibleStream`). */
class CompatibleParts<C extends CompatibleChunk> implements AsyncIterableIterator<ChatStreamPart, undefined> {
  private finishReason: FinishReason | undefined;
  private usage: Usage | undefined;
  private modelUsed: string | undefined;
  private readonly toolCalls: CompatibleToolCalls;
  /** The parts read and not yet given, from `next`. */
  private readonly ready: ChatStreamPart[] = [];
  private taken = 0;
  private over = false;

  constructor(
    private readonly chunks: AsyncIterator<C>,
    private readonly dialect: CompatibleDialect<C>,
    private readonly abortSignal: AbortSignal,
  ) {
    this.toolCalls = new CompatibleToolCalls(dialect.vendor);
  }

  [Symbol.asyncIterator](): this {
    return this;
  }

  next(): Promise<IteratorResult<ChatStreamPart, undefined>> {
    const part = this.take();
    if (part) return Promise.resolve({ done: false, value: part });
    if (this.over) return Promise.resolve(DONE);
    return this.chunks.next().then(this.onChunk, this.onError);
  }

  /** The reader stopped early: the stream's request is closed. */
  return(): Promise<IteratorResult<ChatStreamPart, undefined>> {
    this.stop();
    return Promise.resolve(DONE);
  }

  private take(): ChatStreamPart | undefined {
    if (this.taken >= this.ready.length) return undefined;
    const part = this.ready[this.taken++];
    if (this.taken === this.ready.length) {
      this.ready.length = 0;
      this.taken = 0;
    }
    return part;
  }

  private readonly onChunk = (
    result: IteratorResult<C>,
  ): IteratorResult<ChatStreamPart, undefined> | Promise<IteratorResult<ChatStreamPart, undefined>> => {
    try {
      if (result.done) this.ended();
      else this.read(result.value);
    } catch (err) {
      // As a `for await` that throws: the stream (and its request) is closed.
      this.stop();
      throw err;
    }
    return this.next();
  };

  private readonly onError = (err: unknown): never => {
    this.over = true;
    throw err;
  };

  private stop(): void {
    if (this.over) return;
    this.over = true;
    this.ready.length = 0;
    this.taken = 0;
    this.chunks.return?.().catch(() => undefined);
  }

  private read(chunk: C): void {
    const { dialect, ready } = this;
    if (!isCompatibleChunk(chunk)) throw malformedError(dialect.vendor);
    dialect.check?.(chunk);
    if (chunk.model) this.modelUsed = chunk.model;
    // The usage comes with the last chunk (its choices empty); some servers send it earlier.
    this.usage = dialect.usage(chunk) ?? this.usage;
    const choice = chunk.choices[0];
    if (!choice) return;
    const reasoning = dialect.reasoning(choice);
    if (typeof reasoning === "string" && reasoning) ready.push({ type: "reasoning-delta", delta: reasoning });
    const text = dialect.text(choice);
    if (text) ready.push({ type: "text-delta", delta: text });
    const pieces = (choice.delta as { tool_calls?: unknown } | null | undefined)?.tool_calls;
    if (pieces !== undefined && pieces !== null)
      for (const part of this.toolCalls.read(pieces)) ready.push(part);
    if (choice.finish_reason) this.finishReason = dialect.finishReason(choice.finish_reason);
  }

  /** The vendor's stream is over: the whole tool calls and the finish, unless it was cut off. */
  private ended(): void {
    this.over = true;
    if (this.abortSignal.aborted) return;
    let { finishReason } = this;
    if (finishReason === undefined) throw cutOffError(this.dialect.vendor);
    for (const part of this.toolCalls.finished()) this.ready.push(part);
    // Some compatible servers (older Ollama, vLLM) say "stop" after calling tools: the model still
    // waits for their results.
    if (finishReason === "stop" && this.toolCalls.made) finishReason = "tool_calls";
    const { usage, modelUsed } = this;
    this.ready.push({ type: "finish", finishReason, usage, ...(modelUsed ? { modelUsed } : {}) });
  }
}

function isCompatibleChunk(chunk: unknown): chunk is CompatibleChunk {
  return (
    typeof chunk === "object" && chunk !== null && Array.isArray((chunk as { choices?: unknown }).choices)
  );
}

/**
 * Whether a chunk shows the vendor is answering (for the first-token limit): a finish reason, usage,
 * or any delta field but the role. Reasoning (`reasoning`, `reasoning_content`) can stream for a
 * long time before the first word of the answer, and the vendor is alive meanwhile. A malformed
 * chunk counts too, so that it is reported as malformed rather than waited out.
 */
export function carriesAnswer<C extends CompatibleChunk>(chunk: C, hasUsage: (chunk: C) => boolean): boolean {
  if (!isCompatibleChunk(chunk)) return true;
  if (hasUsage(chunk)) return true;
  return chunk.choices.some((c) => Boolean(c.finish_reason) || producesSomething(c.delta));
}

function producesSomething(delta: object | null | undefined): boolean {
  return Object.entries(delta ?? {}).some(([key, value]) => key !== "role" && value !== null && value !== "");
}
