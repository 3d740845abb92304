import type {
  RawContentBlockDeltaEvent,
  RawContentBlockStartEvent,
  RawContentBlockStopEvent,
} from "@anthropic-ai/sdk/resources/messages";
import type { ChatStreamPart } from "../chat-model.js";
import { malformedError } from "../provider-error.js";

interface ToolUseInProgress {
  id: string;
  name: string;
  input: string;
}

/**
 * The content blocks of one Messages stream, read into the parts of a `ChatModel`: text deltas;
 * thinking deltas as `reasoning-delta` and the signature that closes a thinking block as
 * `reasoning-signature`; a `tool_use` block as `tool-input-start`, its `input_json_delta` pieces as
 * `tool-input-delta`, and at its `content_block_stop` the whole call (`tool-call`, its input the JSON
 * text gathered, "" when the tool takes none). Citations and redacted thinking are not passed on.
 */
export class MessageContentBlocks {
  private readonly toolUses = new Map<number, ToolUseInProgress>();

  constructor(private readonly vendor: string) {}

  *start(event: RawContentBlockStartEvent): Iterable<ChatStreamPart> {
    const block = event.content_block;
    if (block.type !== "tool_use") return;
    if (typeof block.id !== "string" || typeof block.name !== "string") throw malformedError(this.vendor);
    this.toolUses.set(event.index, { id: block.id, name: block.name, input: "" });
    yield { type: "tool-input-start", toolCallId: block.id, toolName: block.name };
  }

  *delta(event: RawContentBlockDeltaEvent): Iterable<ChatStreamPart> {
    const { delta } = event;
    switch (delta.type) {
      case "text_delta":
        if (delta.text) yield { type: "text-delta", delta: delta.text };
        break;
      case "thinking_delta":
        if (delta.thinking) yield { type: "reasoning-delta", delta: delta.thinking };
        break;
      case "signature_delta":
        if (delta.signature) yield { type: "reasoning-signature", signature: delta.signature };
        break;
      case "input_json_delta": {
        const toolUse = this.toolUses.get(event.index);
        if (!toolUse) break;
        if (typeof delta.partial_json !== "string") throw malformedError(this.vendor);
        if (!delta.partial_json) break;
        toolUse.input += delta.partial_json;
        yield { type: "tool-input-delta", toolCallId: toolUse.id, delta: delta.partial_json };
        break;
      }
      default:
        break;
    }
  }

  *stop(event: RawContentBlockStopEvent): Iterable<ChatStreamPart> {
    const toolUse = this.toolUses.get(event.index);
    if (!toolUse) return;
    this.toolUses.delete(event.index);
    yield { type: "tool-call", toolCallId: toolUse.id, toolName: toolUse.name, input: toolUse.input };
  }
}
