import { vendorName } from "./author-name.js";
import type { ChatPromptMessage, PromptToolCall, ToolSpec } from "./chat-model.js";

/** A chat-completions message, in the shape OpenAI's and Groq's SDKs both accept. */
export type CompatibleMessage =
  | { role: "system"; content: string; name?: string }
  | { role: "user"; content: string; name?: string }
  | { role: "assistant"; content: string | null; name?: string; tool_calls?: CompatibleToolCall[] }
  | { role: "tool"; content: string; tool_call_id: string };

/** An assistant's tool call in a chat-completions request: the arguments as JSON text. */
export interface CompatibleToolCall {
  id: string;
  type: "function";
  function: { name: string; arguments: string };
}

/** A tool in a chat-completions request. */
export interface CompatibleTool {
  type: "function";
  function: { name: string; description: string; parameters: Record<string, unknown> };
}

/**
 * The prompt as chat completions take it: the author of a message as its `name`; an assistant's
 * tool calls as `tool_calls` (its content null when it wrote no text); a tool's result as a `tool`
 * message naming the call it answers. These servers have no flag for a failed call: a failure's
 * reason is sent as the result.
 */
export function compatibleMessages(messages: ChatPromptMessage[]): CompatibleMessage[] {
  return messages.map((m): CompatibleMessage => {
    const name = m.name === undefined ? {} : { name: vendorName(m.name) };
    switch (m.role) {
      case "tool":
        return { role: "tool", content: m.content, tool_call_id: m.toolCallId ?? "" };
      case "assistant":
        if (!m.toolCalls?.length) return { role: "assistant", content: m.content, ...name };
        return {
          role: "assistant",
          content: m.content === "" ? null : m.content,
          ...name,
          tool_calls: m.toolCalls.map(compatibleToolCall),
        };
      default:
        return { role: m.role, content: m.content, ...name };
    }
  });
}

function compatibleToolCall(call: PromptToolCall): CompatibleToolCall {
  return {
    id: call.id,
    type: "function",
    function: { name: call.name, arguments: argumentsText(call.input) },
  };
}

/**
 * A call's input as the JSON text chat completions carry: a string is the raw text the model wrote
 * when it was not JSON, and goes back as it was; nothing at all is `{}`.
 */
export function argumentsText(input: unknown): string {
  if (typeof input === "string") return input;
  return input === undefined ? "{}" : JSON.stringify(input);
}

/** The `tools` field of a request: absent when the model may call none. */
export function compatibleTools(tools: ToolSpec[] | undefined): { tools?: CompatibleTool[] } {
  if (!tools?.length) return {};
  return {
    tools: tools.map((t) => ({
      type: "function",
      function: { name: t.name, description: t.description, parameters: t.inputSchema },
    })),
  };
}
