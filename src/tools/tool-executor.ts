/**
 * What runs a tool call (PROTOCOL.md: tools): a webhook of the host application, an MCP server's
 * tool, or a tool that ships with Confab. Each execution implements this one interface; none throws
 * for a failure of the tool: it returns `{error}` with a short reason that the model and the people
 * may read (never a secret, never a stack).
 */
export interface ToolCallContext {
  toolCallId: string;
  toolName: string;
  /** The input, already checked against the tool's schema. */
  input: unknown;
  conversationId: string;
  messageId: string;
  /** Who asked the question the answer is written for. */
  user: { id: string; name: string };
  /** Who approved the call (null when the tool needs no approval). */
  approvedBy: { id: string; name: string } | null;
  /** Aborted when the answer is stopped or the tool's time runs out. */
  signal: AbortSignal;
}

export type ToolOutcome = { output: unknown } | { error: string };

export interface ToolExecutor {
  run(call: ToolCallContext): Promise<ToolOutcome>;
}
