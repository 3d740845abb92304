import type {
  ContentBlockParam,
  MessageCreateParamsStreaming,
  MessageParam,
  Tool,
} from "@anthropic-ai/sdk/resources/messages";
import { namePrefix } from "../author-name.js";
import { DEFAULT_MAX_OUTPUT_TOKENS, type ChatPromptMessage, type ChatRequest } from "../chat-model.js";
import { anthropicFileBlock } from "./anthropic-file-block.js";

/** What the API asks on top of the thinking budget, so that the answer itself has room. */
const ANSWER_ROOM_TOKENS = 1024;
/** The smallest thinking budget the API takes. */
const MIN_THINKING_BUDGET_TOKENS = 1024;

/**
 * The prompt as the Messages API takes it: system messages apart, authors' names as a prefix, the
 * tools when there are any, and extended thinking when the request asks for it (its budget at least
 * the API's 1024; `max_tokens` must exceed it, so it grows to leave the answer room).
 */
export function messagesRequest(request: ChatRequest): MessageCreateParamsStreaming {
  const system = request.messages
    .filter((m) => m.role === "system")
    .map((m) => m.content)
    .join("\n\n");
  const maxTokens = request.maxOutputTokens ?? DEFAULT_MAX_OUTPUT_TOKENS;
  const asked = request.reasoning?.budgetTokens;
  const budget = asked === undefined ? undefined : Math.max(asked, MIN_THINKING_BUDGET_TOKENS);
  // No temperature: API version 2026-10-21, which this SDK sends, rejects temperature (even 1.0)
  // with a 400, and the SDK no longer has the field.
  return {
    model: request.model,
    max_tokens: budget === undefined ? maxTokens : Math.max(maxTokens, budget + ANSWER_ROOM_TOKENS),
    ...(system ? { system } : {}),
    messages: anthropicMessages(request.messages),
    ...(request.tools?.length ? { tools: request.tools.map(anthropicTool) } : {}),
    ...(budget === undefined ? {} : { thinking: { type: "enabled", budget_tokens: budget } }),
    stream: true,
  };
}

function anthropicTool(tool: NonNullable<ChatRequest["tools"]>[number]): Tool {
  return {
    name: tool.name,
    description: tool.description,
    input_schema: { ...tool.inputSchema, type: "object" },
  };
}

/**
 * The conversation as alternating user and assistant messages. An assistant message with tool calls
 * or signed thinking becomes content blocks (thinking, text, tool_use); tool results become
 * `tool_result` blocks of a user message, all the results of one step in one message, with a user
 * message that follows them merged in too.
 */
export function anthropicMessages(messages: ChatPromptMessage[]): MessageParam[] {
  const result: MessageParam[] = [];
  for (const m of messages) {
    if (m.role === "system") continue;
    const message = anthropicMessage(m);
    const previous = result.at(-1);
    if (previous && previous.role === "user" && message.role === "user" && carriesToolResults(previous)) {
      previous.content = [...blocksOf(previous.content), ...blocksOf(message.content)];
    } else {
      result.push(message);
    }
  }
  return result;
}

function anthropicMessage(m: ChatPromptMessage): MessageParam {
  if (m.role === "tool") {
    const content = m.content === "" ? {} : { content: m.content };
    const isError = m.isError ? { is_error: true } : {};
    return {
      role: "user",
      content: [{ type: "tool_result", tool_use_id: m.toolCallId ?? "", ...content, ...isError }],
    };
  }
  const text = m.name === undefined ? m.content : namePrefix(m.name, m.content);
  if (m.role === "user") return { role: "user", content: userContent(m, text) };
  if (!m.toolCalls?.length && !m.thinking?.length) return { role: "assistant", content: text };
  const blocks: ContentBlockParam[] = (m.thinking ?? []).map((t) => ({
    type: "thinking",
    thinking: t.text,
    signature: t.signature,
  }));
  if (text) blocks.push({ type: "text", text });
  for (const call of m.toolCalls ?? []) {
    blocks.push({ type: "tool_use", id: call.id, name: call.name, input: toolInput(call.input) });
  }
  return { role: "assistant", content: blocks };
}

/**
 * A user message's content: its text as a string when it has no files (as it always was); otherwise
 * the files first (Anthropic advises images and documents before the question), then the text. With
 * no text (or only spaces), the author's name alone still says who sent the files ("Ada:"); a blank
 * text block is left out, since the API rejects one.
 */
function userContent(m: ChatPromptMessage, text: string): MessageParam["content"] {
  if (!m.files?.length) return text;
  const blocks = m.files.map(anthropicFileBlock);
  const said =
    m.content.trim() === "" ? (m.name === undefined ? "" : namePrefix(m.name, "").trimEnd()) : text;
  if (said !== "") blocks.push({ type: "text", text: said });
  return blocks;
}

/** Anthropic takes a call's input only as an object: raw text that was not JSON goes back as `{}`. */
function toolInput(input: unknown): Record<string, unknown> {
  return typeof input === "object" && input !== null && !Array.isArray(input)
    ? (input as Record<string, unknown>)
    : {};
}

function carriesToolResults(message: MessageParam): boolean {
  return typeof message.content !== "string" && message.content.some((b) => b.type === "tool_result");
}

function blocksOf(content: MessageParam["content"]): ContentBlockParam[] {
  return typeof content === "string" ? [{ type: "text", text: content }] : content;
}
