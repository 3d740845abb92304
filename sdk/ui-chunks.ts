/**
 * `UIChunkMapper`: an answer's parts, as they grow, turned into the AI SDK's UI message chunks (`ai` 6,
 * PROTOCOL.md: clients): text and reasoning as `*-start/-delta/-end` blocks, a tool call as
 * `tool-input-start` (and its input's deltas while it streams), `tool-input-available`,
 * `tool-approval-request` (its `approvalId` is the `toolCallId`), then `tool-output-available`,
 * `tool-output-error` or `tool-output-denied`, a source as `source-url`, each model call between
 * `start-step` and `finish-step`. Only the `ai` package's types are used.
 */
import type { UIMessage, UIMessageChunk } from "ai";
import type { FilePart, MessagePart, ToolPart } from "../src/protocol/index.js";

/** What was sent of one tool call. */
interface ToolSent {
  inputText: number;
  available: boolean;
  requested: boolean;
  ended: boolean;
}

/** What was sent of one text or reasoning block. */
interface BlockSent {
  kind: "text" | "reasoning";
  chars: number;
  open: boolean;
}

/**
 * Compares each new list of parts with what it sent and gives the chunks that tell the difference.
 * Parts only grow (text appended, a tool call moving on to a later state), as Confab sends them.
 */
export class UIChunkMapper {
  private readonly blocks = new Map<number, BlockSent>();
  private readonly tools = new Map<string, ToolSent>();
  private readonly sources = new Set<number>();
  private stepOpen = false;
  /** Whether the step under way has called a tool: text after that is the model's next call. */
  private toolsInStep = false;

  constructor(private readonly answerId: string) {}

  /**
   * Marks these parts as already sent (a stream that continues an answer the UI message holds, after
   * an approval): only what comes after them is told.
   */
  seed(parts: readonly MessagePart[]): void {
    this.update(parts);
    for (const block of this.blocks.values()) block.open = false;
    this.stepOpen = false;
    this.toolsInStep = false;
  }

  /** The chunks that take the UI message from what was sent to these parts. */
  update(parts: readonly MessagePart[]): UIMessageChunk[] {
    const out: UIMessageChunk[] = [];
    parts.forEach((part, index) => {
      if (part.type === "text" || part.type === "reasoning") this.block(index, part.type, part.text, out);
      else if (part.type === "tool") this.tool(part, out);
      else if (part.type === "source" && !this.sources.has(index)) {
        this.sources.add(index);
        this.openStep(out);
        const title = part.title === undefined ? {} : { title: part.title };
        out.push({ type: "source-url", sourceId: `${this.answerId}:${index}`, url: part.url, ...title });
      }
      // Text goes to a new part once another part follows: the block before it is complete.
      if (index < parts.length - 1) this.close(index, out);
    });
    return out;
  }

  /** Closes what is open: the last block, then the step. */
  end(): UIMessageChunk[] {
    const out: UIMessageChunk[] = [];
    for (const index of this.blocks.keys()) this.close(index, out);
    if (this.stepOpen) out.push({ type: "finish-step" });
    this.stepOpen = false;
    this.toolsInStep = false;
    return out;
  }

  private openStep(out: UIMessageChunk[]): void {
    if (this.stepOpen) return;
    out.push({ type: "start-step" });
    this.stepOpen = true;
  }

  private block(index: number, kind: "text" | "reasoning", text: string, out: UIMessageChunk[]): void {
    let sent = this.blocks.get(index);
    if (!sent) {
      if (text === "") return;
      if (this.toolsInStep) {
        // Text after tool calls: the model was called again with their results.
        out.push({ type: "finish-step" });
        this.stepOpen = false;
        this.toolsInStep = false;
      }
      this.openStep(out);
      sent = { kind, chars: 0, open: true };
      this.blocks.set(index, sent);
      out.push({ type: `${kind}-start`, id: this.blockId(index) });
    }
    if (text.length <= sent.chars || !sent.open) return;
    out.push({ type: `${kind}-delta`, id: this.blockId(index), delta: text.slice(sent.chars) });
    sent.chars = text.length;
  }

  private close(index: number, out: UIMessageChunk[]): void {
    const sent = this.blocks.get(index);
    if (!sent?.open) return;
    sent.open = false;
    out.push({ type: `${sent.kind}-end`, id: this.blockId(index) });
  }

  private blockId(index: number): string {
    return `${this.answerId}:${index}`;
  }

  private tool(part: ToolPart, out: UIMessageChunk[]): void {
    const { toolCallId, toolName } = part;
    let sent = this.tools.get(toolCallId);
    if (!sent) {
      this.openStep(out);
      this.toolsInStep = true;
      sent = { inputText: 0, available: false, requested: false, ended: false };
      this.tools.set(toolCallId, sent);
      out.push({ type: "tool-input-start", toolCallId, toolName, dynamic: true });
    }
    if (part.state === "input-streaming") {
      // While it streams, the input is the raw JSON text so far.
      const text = typeof part.input === "string" ? part.input : "";
      if (text.length > sent.inputText)
        out.push({ type: "tool-input-delta", toolCallId, inputTextDelta: text.slice(sent.inputText) });
      sent.inputText = Math.max(sent.inputText, text.length);
      return;
    }
    if (!sent.available) {
      sent.available = true;
      out.push({ type: "tool-input-available", toolCallId, toolName, input: part.input, dynamic: true });
    }
    if (part.state === "approval-requested" && !sent.requested) {
      sent.requested = true;
      out.push({ type: "tool-approval-request", approvalId: toolCallId, toolCallId });
    }
    if (sent.ended) return;
    const end = toolEnd(part);
    if (end) {
      sent.ended = true;
      out.push(end);
    }
  }
}

/** The chunk that ends a tool call, once it has ended. */
function toolEnd(part: ToolPart): UIMessageChunk | null {
  const { toolCallId } = part;
  switch (part.state) {
    case "output-available":
      return { type: "tool-output-available", toolCallId, output: part.output ?? null, dynamic: true };
    case "output-error":
      return {
        type: "tool-output-error",
        toolCallId,
        errorText: part.error ?? "the tool failed",
        dynamic: true,
      };
    case "denied":
      return { type: "tool-output-denied", toolCallId };
    default:
      return null;
  }
}

/** A UI message's part, as the `ai` package types it. */
export type UIPart = UIMessage["parts"][number];

/**
 * A stored message's parts as the UI message parts `useChat` shows (tool calls as dynamic tools, files
 * as file parts with their signed link from `fileUrls`); an answer's model calls each open with a
 * `step-start`.
 */
export function uiParts(
  parts: readonly MessagePart[],
  answer = true,
  fileUrls: ReadonlyMap<string, string> = new Map(),
): UIPart[] {
  const out: UIPart[] = [];
  for (const [index, part] of parts.entries()) {
    if (answer && (index === 0 || (part.type !== "tool" && parts[index - 1]?.type === "tool")))
      out.push({ type: "step-start" });
    if (part.type === "text" || part.type === "reasoning") out.push({ type: part.type, text: part.text });
    else if (part.type === "source")
      out.push({
        type: "source-url",
        sourceId: `${index}`,
        url: part.url,
        ...(part.title === undefined ? {} : { title: part.title }),
      });
    else if (part.type === "file") out.push(uiFile(part, fileUrls.get(part.fileId) ?? ""));
    else out.push(uiTool(part));
  }
  return out;
}

/**
 * A stored file as the AI SDK's file part: its signed link (absolute, valid for minutes) as `url`, and
 * Confab's file id in `providerMetadata.confab`, by which the transport reads it again (a fresh link)
 * when the message is sent anew.
 */
function uiFile(part: FilePart, url: string): UIPart {
  return {
    type: "file",
    mediaType: part.mediaType,
    filename: part.name,
    url,
    providerMetadata: { confab: { fileId: part.fileId, size: part.size } },
  };
}

/** The Confab file id an AI SDK file part carries, if it came from Confab. */
export function confabFileId(part: {
  providerMetadata?: Record<string, unknown> | undefined;
}): string | null {
  const confab = part.providerMetadata?.confab as { fileId?: unknown } | undefined;
  return typeof confab?.fileId === "string" ? confab.fileId : null;
}

/** A tool call as a dynamic tool part; a decision taken but not yet acted on is `approval-responded`. */
function uiTool(part: ToolPart): UIPart {
  const base = { type: "dynamic-tool" as const, toolCallId: part.toolCallId, toolName: part.toolName };
  const { input } = part;
  const decided = { id: part.toolCallId, ...(part.approval?.reason ? { reason: part.approval.reason } : {}) };
  switch (part.state) {
    case "input-streaming":
      return { ...base, state: "input-streaming", input };
    case "input-available":
      return { ...base, state: "input-available", input };
    case "approval-requested":
      return { ...base, state: "approval-requested", input, approval: { id: part.toolCallId } };
    case "approved":
      return { ...base, state: "approval-responded", input, approval: { ...decided, approved: true } };
    case "denied":
      return { ...base, state: "output-denied", input, approval: { ...decided, approved: false } };
    case "output-available":
      return { ...base, state: "output-available", input, output: part.output ?? null };
    case "output-error":
      return { ...base, state: "output-error", input, errorText: part.error ?? "the tool failed" };
  }
}
