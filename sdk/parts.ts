/**
 * The parts of an answer as its events build them (PROTOCOL.md: parts): text and reasoning deltas
 * appended to the last part of their kind, a whole part set at its index. Pure functions over
 * immutable arrays: a face compares parts by reference to know what to draw again.
 */
import type { AssistantPartEvent, MessagePart, ToolPart } from "../src/protocol/index.js";

/** One event of an answer, as it changes the parts (the `seq` is checked by the caller). */
export type PartsEvent =
  | { type: "text"; delta: string }
  | { type: "reasoning"; delta: string }
  | { type: "part"; index: number; part: MessagePart };

/** Text appended to the last part when it is of this kind, else a new part of it at the end. */
function appendTo(parts: readonly MessagePart[], kind: "text" | "reasoning", delta: string): MessagePart[] {
  const last = parts.at(-1);
  if (last && last.type === kind) return [...parts.slice(0, -1), { type: kind, text: last.text + delta }];
  return [...parts, { type: kind, text: delta }];
}

/** The whole part at `index`; an index past the end (a part not yet seen) pads nothing, it appends. */
function setAt(parts: readonly MessagePart[], index: number, part: MessagePart): MessagePart[] {
  const next = [...parts];
  if (index < next.length) next[index] = part;
  else next.push(part);
  return next;
}

/** The parts after one event of the answer. */
export function applyPartsEvent(parts: readonly MessagePart[], event: PartsEvent): MessagePart[] {
  switch (event.type) {
    case "text":
      return event.delta === "" ? [...parts] : appendTo(parts, "text", event.delta);
    case "reasoning":
      return event.delta === "" ? [...parts] : appendTo(parts, "reasoning", event.delta);
    case "part":
      return setAt(parts, event.index, event.part);
  }
}

/** An `assistant:part` event as a parts event. */
export const partEvent = (event: AssistantPartEvent): PartsEvent => ({
  type: "part",
  index: event.index,
  part: event.part,
});

/**
 * A decision's ack (`tool:decide`): the tool call with that id takes the decided part, unless the
 * room's events already moved it past the request (they are never undone).
 */
export function applyDecision(parts: readonly MessagePart[], decided: ToolPart): MessagePart[] {
  const index = parts.findIndex((p) => p.type === "tool" && p.toolCallId === decided.toolCallId);
  const held = parts[index];
  if (!held || held.type !== "tool" || held.state !== "approval-requested") return [...parts];
  return setAt(parts, index, decided);
}

/** The tool calls that wait for someone's decision. */
export function pendingTools(parts: readonly MessagePart[]): ToolPart[] {
  return parts.filter((p): p is ToolPart => p.type === "tool" && p.state === "approval-requested");
}

/** A user message's or a v1 message's parts when the server gave none: its text as one part. */
export function partsOrText(parts: readonly MessagePart[] | undefined, content: string): MessagePart[] {
  if (parts && parts.length > 0) return [...parts];
  return content === "" ? [] : [{ type: "text", text: content }];
}
