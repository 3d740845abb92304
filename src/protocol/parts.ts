import { z } from "zod";

/**
 * The parts of a message (PROTOCOL.md: parts), in the order they were produced. An answer's
 * `content` is the concatenation of its `text` parts; a user message's parts are its text.
 */
export const TOOL_STATES = [
  "input-streaming",
  "input-available",
  "approval-requested",
  "approved",
  "denied",
  "output-available",
  "output-error",
] as const;
export type ToolState = (typeof TOOL_STATES)[number];

/** States after which a tool call changes no more. */
export const SETTLED_TOOL_STATES: readonly ToolState[] = ["denied", "output-available", "output-error"];

/** Who decided a tool call, and how; `decidedBy` null when the approval's time ran out. */
export const toolApproval = z.object({
  decidedBy: z.object({ id: z.string(), name: z.string() }).nullable(),
  decidedAt: z.string().describe("ISO 8601 time"),
  approved: z.boolean(),
  reason: z.string().optional(),
});

export const textPart = z.object({ type: z.literal("text"), text: z.string() });
export const reasoningPart = z.object({ type: z.literal("reasoning"), text: z.string() });
export const toolPart = z.object({
  type: z.literal("tool"),
  toolCallId: z.string(),
  toolName: z.string(),
  /** The input the model gave (parsed JSON; the raw text while it streams or when it is not JSON). */
  input: z.unknown(),
  state: z.enum(TOOL_STATES),
  /** The tool's output (JSON), when `output-available`. */
  output: z.unknown().optional(),
  /** A short reason, when `output-error`. */
  error: z.string().optional(),
  /** Set once someone decided (or the time ran out); null while approval is pending or not needed. */
  approval: toolApproval.nullable().optional(),
});
export const sourcePart = z.object({
  type: z.literal("source"),
  url: z.string(),
  title: z.string().optional(),
});

/**
 * A file a person attached to a user message (PROTOCOL.md: files). Its bytes are read at
 * `GET /files/:id/content` or through a signed link from `GET /files/:id/url`.
 */
export const filePart = z.object({
  type: z.literal("file"),
  fileId: z.string(),
  /** The name it was uploaded with: a display name only, never a path. */
  name: z.string(),
  /** The media type read from its bytes. */
  mediaType: z.string(),
  size: z.number().int(),
  /** An image's size in pixels, read from its header. */
  width: z.number().int().optional(),
  height: z.number().int().optional(),
});

export const messagePart = z
  .discriminatedUnion("type", [textPart, reasoningPart, toolPart, sourcePart, filePart])
  .meta({ id: "Part" });

export type TextPart = z.output<typeof textPart>;
export type ReasoningPart = z.output<typeof reasoningPart>;
export type ToolPart = z.output<typeof toolPart>;
export type SourcePart = z.output<typeof sourcePart>;
export type FilePart = z.output<typeof filePart>;
export type MessagePart = z.output<typeof messagePart>;
export type ToolApproval = z.output<typeof toolApproval>;

/** The text of a list of parts: what `content` holds. */
export function textOfParts(parts: readonly MessagePart[]): string {
  let text = "";
  for (const part of parts) if (part.type === "text") text += part.text;
  return text;
}

/** Whether a tool call still waits for someone's decision. */
export const isPendingApproval = (part: MessagePart): part is ToolPart =>
  part.type === "tool" && part.state === "approval-requested";
