import type { AgentRecord } from "../db/records.js";
import type { ToolApprovalMode } from "../protocol/index.js";
import type { ToolSpec } from "../providers/chat-model.js";
import type { ToolCallContext, ToolOutcome } from "./tool-executor.js";

/**
 * The tools one agent may call, as an answer sees them: what the model is told, whether a call needs
 * approval, whether its input fits the schema, and running it. Read once per answer (per step after
 * a decision), never per token.
 */
export interface ToolBox {
  /** What the model is given (the agent's active tools); empty when it has none. */
  readonly specs: ToolSpec[];
  /** The tool's approval mode; undefined for a name the agent has no tool of. */
  approvalOf(toolName: string): ToolApprovalMode | undefined;
  /** Why the input does not fit the tool's schema (a short reason), or null when it fits. */
  check(toolName: string, input: unknown): string | null;
  /**
   * Runs the call within the tool's time limit. Never throws: a failure, a time-out, an unknown
   * tool each come back as `{error}` with a short reason.
   */
  run(call: Omit<ToolCallContext, "signal">, signal: AbortSignal): Promise<ToolOutcome>;
}

/** Where an answer gets its agent's tools. */
export interface ToolCatalog {
  forAgent(agent: Pick<AgentRecord, "id" | "toolIds">): Promise<ToolBox>;
}

/** An agent with no tools. */
export const NO_TOOLS: ToolBox = {
  specs: [],
  approvalOf: () => undefined,
  check: () => null,
  run: () => Promise.resolve({ error: "the agent has no such tool" }),
};
