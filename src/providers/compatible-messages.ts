import { vendorName } from "./author-name.js";
import type { ChatPromptMessage, PromptFile, PromptToolCall, ToolSpec } from "./chat-model.js";

/**
 * A chat-completions message, in the shape OpenAI's and Groq's SDKs both accept; `P` is the vendor's
 * own content part for a file (`never`: a prompt without files).
 */
export type CompatibleMessage<P = never> =
  | { role: "system"; content: string; name?: string }
  | { role: "user"; content: CompatibleUserContent<P>; name?: string }
  | { role: "assistant"; content: string | null; name?: string; tool_calls?: CompatibleToolCall[] }
  | { role: "tool"; content: string; tool_call_id: string };

/** An assistant's tool call in a chat-completions request: the arguments as JSON text. */
export interface CompatibleToolCall {
  id: string;
  type: "function";
  function: { name: string; arguments: string };
}

/** A user message's content: its text, or parts (the files, then the text). */
export type CompatibleUserContent<P> = string | (CompatibleTextPart | P)[];

/** A text content part, which every chat-completions server takes. */
export interface CompatibleTextPart {
  type: "text";
  text: string;
}

/**
 * How one chat-completions vendor is sent a file: a content part of its own (an image, a document),
 * or text (see `fileAsText`), in the types of its official SDK so that the compiler checks them.
 */
export type CompatibleFilePart<P> = (file: PromptFile) => P | CompatibleTextPart;

/** A tool in a chat-completions request. */
export interface CompatibleTool {
  type: "function";
  function: { name: string; description: string; parameters: Record<string, unknown> };
}

/**
 * The prompt as chat completions take it: the author of a message as its `name`; an assistant's
 * tool calls as `tool_calls` (its content null when it wrote no text); a tool's result as a `tool`
 * message naming the call it answers. These servers have no flag for a failed call: a failure's
 * reason is sent as the result. A user message's files come before its text, each in the vendor's
 * own format (`filePart`).
 */
export function compatibleMessages<P>(
  messages: ChatPromptMessage[],
  filePart: CompatibleFilePart<P>,
): CompatibleMessage<P>[] {
  return messages.map((m): CompatibleMessage<P> => {
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
      case "user":
        return { role: "user", content: userContent(m, filePart), ...name };
      default:
        return { role: m.role, content: m.content, ...name };
    }
  });
}

/**
 * A user message's content: its text alone as a string when it has no files (as it always was);
 * otherwise the files, then the text when there is any (not only spaces). When every part is text (text files, a file
 * the model cannot read), they go as one string, paragraphs apart: servers and models that take no
 * images (most of Groq's, Ollama's and vLLM's) may accept only a string, and a string says the same.
 */
function userContent<P>(m: ChatPromptMessage, filePart: CompatibleFilePart<P>): CompatibleUserContent<P> {
  if (!m.files?.length) return m.content;
  const parts = m.files.map(filePart);
  if (m.content.trim() !== "") parts.push({ type: "text", text: m.content });
  const texts = parts.filter(isTextPart);
  if (texts.length === parts.length) return texts.map((p) => p.text).join("\n\n");
  return parts;
}

function isTextPart<P>(part: P | CompatibleTextPart): part is CompatibleTextPart {
  return typeof part === "object" && part !== null && (part as { type?: unknown }).type === "text";
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
