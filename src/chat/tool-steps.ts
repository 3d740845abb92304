import type { MessagePart, ToolPart } from "../protocol/index.js";
import { SETTLED_TOOL_STATES } from "../protocol/index.js";
import type { ChatPromptMessage } from "../providers/chat-model.js";

/**
 * The steps of an answer as the model is sent them again (PROTOCOL.md: an answer of several steps):
 * each group of tool calls closes a step, sent as an assistant message (the step's text and its
 * calls) followed by one `tool` message per call (its output, its error, or its denial). Reasoning is
 * not sent back. Pure: the same parts give the same messages on any node.
 */
export function stepMessages(parts: readonly MessagePart[]): ChatPromptMessage[] {
  const messages: ChatPromptMessage[] = [];
  let text = "";
  let calls: ToolPart[] = [];
  const closeStep = () => {
    if (calls.length === 0) return;
    messages.push({
      role: "assistant",
      content: text,
      toolCalls: calls.map((c) => ({ id: c.toolCallId, name: c.toolName, input: c.input })),
    });
    for (const call of calls) messages.push(toolResult(call));
    text = "";
    calls = [];
  };
  for (const part of parts) {
    if (part.type === "tool") calls.push(part);
    else if (part.type === "text") {
      closeStep();
      text += part.text;
    }
  }
  closeStep();
  return messages;
}

/** The text of the parts after the last tool call: what the model wrote since its last step. */
export function textAfterLastStep(parts: readonly MessagePart[]): string {
  let text = "";
  for (const part of parts) {
    if (part.type === "tool") text = "";
    else if (part.type === "text") text += part.text;
  }
  return text;
}

/** One tool call's result, as the model reads it. */
function toolResult(call: ToolPart): ChatPromptMessage {
  const base = { role: "tool" as const, toolCallId: call.toolCallId, toolName: call.toolName };
  if (call.state === "output-available") return { ...base, content: JSON.stringify(call.output ?? null) };
  if (call.state === "denied") {
    const reason = call.approval?.reason;
    const who = call.approval?.decidedBy ? "the people in the conversation" : "nobody in time";
    return {
      ...base,
      isError: true,
      content: `The call was denied by ${who}${reason ? `: ${reason}` : ""}.`,
    };
  }
  return { ...base, isError: true, content: `The call failed: ${call.error ?? "no result"}.` };
}

/** Whether a tool call has ended (output, error or denial). */
export const isSettled = (part: ToolPart): boolean => SETTLED_TOOL_STATES.includes(part.state);

/** The indexes of the tool parts in `parts`. */
export function toolIndexes(parts: readonly MessagePart[]): number[] {
  return parts.flatMap((p, i) => (p.type === "tool" ? [i] : []));
}

/** Parses the model's input text: JSON when it is, else the text itself (which no schema accepts). */
export function parseToolInput(raw: string): { input: unknown; parsed: boolean } {
  if (raw.trim() === "") return { input: {}, parsed: true };
  try {
    return { input: JSON.parse(raw) as unknown, parsed: true };
  } catch {
    return { input: raw, parsed: false };
  }
}
