import Anthropic from "@anthropic-ai/sdk";
import type {
  MessageDeltaUsage,
  RawMessageStreamEvent,
  Usage as AnthropicUsage,
} from "@anthropic-ai/sdk/resources/messages";
import type { ChatModel, ChatRequest, ChatStreamPart, FinishReason } from "../chat-model.js";
import { cutOffError, malformedError, toProviderError } from "../provider-error.js";
import { guardStream } from "../stream-guard.js";
import { vendorClientSettings, type VendorModelOptions } from "../vendor-client.js";
import { messagesRequest } from "./anthropic-messages.js";
import { convertAnthropicUsage } from "./convert-anthropic-usage.js";
import { mapAnthropicFinishReason } from "./map-anthropic-finish-reason.js";
import { MessageContentBlocks } from "./message-content-blocks.js";

export interface AnthropicChatModelOptions extends VendorModelOptions {
  /** Default https://api.anthropic.com; the SDK appends /v1/messages. */
  baseURL?: string | undefined;
}

const VENDOR = "anthropic";

/** Anthropic's Messages API, streamed, through the official client. */
export class AnthropicChatModel implements ChatModel {
  readonly provider = VENDOR;
  private readonly client: Anthropic;
  private readonly apiKey: string;
  private readonly firstTokenTimeoutMs: number;
  private readonly stallTimeoutMs: number;

  constructor(options: AnthropicChatModelOptions) {
    this.apiKey = options.apiKey;
    const settings = vendorClientSettings(options);
    this.firstTokenTimeoutMs = settings.timeouts.firstTokenTimeoutMs;
    this.stallTimeoutMs = settings.timeouts.stallTimeoutMs;
    this.client = new Anthropic(settings.client);
  }

  async *stream(request: ChatRequest): AsyncIterable<ChatStreamPart> {
    const body = messagesRequest(request);
    const events = guardStream<RawMessageStreamEvent>({
      vendor: VENDOR,
      abortSignal: request.abortSignal,
      firstTokenTimeoutMs: this.firstTokenTimeoutMs,
      stallTimeoutMs: this.stallTimeoutMs,
      isFirstToken: carriesAnswer,
      open: (signal) => this.client.messages.create(body, { signal }),
      toError: (err, phase) => toProviderError(VENDOR, err, { sdk: Anthropic, apiKey: this.apiKey, phase }),
    });
    yield* readMessageStream(events, request.abortSignal);
  }
}

/**
 * Turns the guarded events into the parts of a `ChatModel` (see `MessageContentBlocks`), then one
 * `finish` with the mapped stop reason, the usage (input from `message_start`, output from the last
 * `message_delta`) and the model. Only `message_stop` proves the answer is whole.
 */
async function* readMessageStream(
  events: AsyncIterable<RawMessageStreamEvent>,
  abortSignal: AbortSignal,
): AsyncIterable<ChatStreamPart> {
  let inputUsage: AnthropicUsage | undefined;
  let outputUsage: MessageDeltaUsage | AnthropicUsage | undefined;
  let modelUsed: string | undefined;
  let finishReason: FinishReason | undefined;
  let stopped = false;
  const blocks = new MessageContentBlocks(VENDOR);
  for await (const event of events) {
    if (!isEvent(event)) throw malformedError(VENDOR);
    switch (event.type) {
      case "message_start":
        inputUsage = event.message.usage;
        outputUsage = event.message.usage;
        modelUsed = event.message.model;
        break;
      case "content_block_start":
        yield* blocks.start(event);
        break;
      case "content_block_delta":
        yield* blocks.delta(event);
        break;
      case "content_block_stop":
        yield* blocks.stop(event);
        break;
      case "message_delta":
        finishReason = mapAnthropicFinishReason(event.delta.stop_reason);
        outputUsage = event.usage ?? outputUsage;
        break;
      case "message_stop":
        stopped = true;
        break;
      default:
        break;
    }
  }
  if (abortSignal.aborted) return;
  // The SDK ends quietly when the body ends early; only message_stop proves the answer is whole.
  if (!stopped) throw cutOffError(VENDOR);
  yield {
    type: "finish",
    finishReason: finishReason ?? "other",
    usage: convertAnthropicUsage(inputUsage, outputUsage),
    ...(modelUsed ? { modelUsed } : {}),
  };
}

/** Valid JSON can still lack what an event needs; that is malformed data, not a crash. */
function isEvent(event: unknown): event is RawMessageStreamEvent {
  if (!isRecord(event) || typeof event.type !== "string") return false;
  switch (event.type) {
    case "message_start":
      return isRecord(event.message);
    case "content_block_start":
      return isRecord(event.content_block) && typeof event.index === "number";
    case "content_block_stop":
      return typeof event.index === "number";
    case "content_block_delta":
    case "message_delta":
      return isRecord(event.delta);
    default:
      return true;
  }
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null;
}

function carriesAnswer(event: RawMessageStreamEvent): boolean {
  return !isEvent(event) || ["content_block_delta", "message_delta", "message_stop"].includes(event.type);
}
