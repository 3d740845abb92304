import { randomUUID } from "node:crypto";
import type { ChatStreamPart } from "./chat-model.js";
import { malformedError } from "./provider-error.js";

/** One piece of a tool call in a chat-completions delta (`delta.tool_calls[i]`). */
export interface ToolCallPiece {
  index?: number;
  id?: string | null;
  function?: { name?: string | null; arguments?: string | null } | null;
}

interface ToolCallInProgress {
  id: string;
  name: string;
  input: string;
}

/**
 * The tool calls of one chat-completions stream, gathered from their pieces: the first piece of an
 * index names the call (`tool-input-start`), each piece of its arguments is a `tool-input-delta`,
 * and once the stream has finished every call is whole (`tool-call`, in index order). A server that
 * gives no id gets one made up, so that the result can still be matched to its call.
 */
export class CompatibleToolCalls {
  private readonly calls = new Map<number, ToolCallInProgress>();

  constructor(private readonly vendor: string) {}

  get made(): boolean {
    return this.calls.size > 0;
  }

  /** The parts one delta's `tool_calls` bring. */
  *read(pieces: unknown): Iterable<ChatStreamPart> {
    if (pieces === undefined || pieces === null) return;
    if (!Array.isArray(pieces)) throw malformedError(this.vendor);
    for (const [position, piece] of (pieces as unknown[]).entries()) {
      if (typeof piece !== "object" || piece === null) throw malformedError(this.vendor);
      const { index, id, function: fn } = piece as ToolCallPiece;
      const key = typeof index === "number" ? index : this.keyWithoutIndex(id, position);
      let call = this.calls.get(key);
      if (!call) {
        call = { id: id || `call_${randomUUID()}`, name: fn?.name ?? "", input: "" };
        this.calls.set(key, call);
        yield { type: "tool-input-start", toolCallId: call.id, toolName: call.name };
      } else if (!call.name && fn?.name) {
        call.name = fn.name;
      }
      const delta = fn?.arguments;
      if (typeof delta === "string" && delta !== "") {
        call.input += delta;
        yield { type: "tool-input-delta", toolCallId: call.id, delta };
      }
    }
  }

  /**
   * Where a piece without an index belongs (servers that leave it out): a new id opens a new call,
   * anything else continues the last one.
   */
  private keyWithoutIndex(id: string | null | undefined, position: number): number {
    const keys = [...this.calls.keys()];
    const known = [...this.calls.values()].some((call) => call.id === id);
    if (keys.length === 0) return position;
    if (id && !known) return Math.max(...keys) + 1;
    return keys.at(-1)!;
  }

  /** Every call, whole, in index order. */
  *finished(): Iterable<ChatStreamPart> {
    const keys = [...this.calls.keys()].sort((a, b) => a - b);
    for (const key of keys) {
      const call = this.calls.get(key)!;
      yield { type: "tool-call", toolCallId: call.id, toolName: call.name, input: call.input };
    }
  }
}
