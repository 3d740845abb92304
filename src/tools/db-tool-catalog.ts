import type { AgentRecord, McpServerRecord, ToolRecord } from "../db/records.js";
import type { McpServerRepository, ToolRepository } from "../db/repositories/index.js";
import type { Metrics } from "../observability/metrics.js";
import type { ToolApprovalMode } from "../protocol/index.js";
import type { ToolSpec } from "../providers/chat-model.js";
import { BuiltinToolExecutor } from "./builtin-tools.js";
import { InputChecker } from "./input-checker.js";
import { McpToolExecutor } from "./mcp-tool-executor.js";
import { NO_TOOLS, type ToolBox, type ToolCatalog } from "./tool-box.js";
import type { ToolCallContext, ToolExecutor, ToolOutcome } from "./tool-executor.js";
import { WebhookToolExecutor } from "./webhook-tool-executor.js";

export interface DbToolCatalogDeps {
  tools: Pick<ToolRepository, "findByIds">;
  mcpServers: Pick<McpServerRepository, "findById">;
  metrics?: Pick<Metrics, "toolCalls" | "toolDuration">;
  /** Shared with the admin service, so that a schema is compiled once. */
  checker?: InputChecker;
}

/**
 * How long a node reuses the tools it read for a set of tool ids: a busy node reads them once per
 * this long, not once per answer, and a change an admin makes reaches every node's answers within it.
 */
const TOOLS_FRESH_MS = 2_000;

/**
 * The agents' tools as stored: read in one query (at most once per `TOOLS_FRESH_MS` for the same
 * tool ids), so that a text turn of an agent with tools costs no statement more than one without.
 */
export class DbToolCatalog implements ToolCatalog {
  private readonly checker: InputChecker;
  private readonly recent = new Map<string, { at: number; tools: Promise<ToolRecord[]> }>();

  constructor(private readonly deps: DbToolCatalogDeps) {
    this.checker = deps.checker ?? new InputChecker();
  }

  async forAgent(agent: Pick<AgentRecord, "id" | "toolIds">): Promise<ToolBox> {
    if (agent.toolIds.length === 0) return NO_TOOLS;
    const tools = await this.read(agent.toolIds);
    if (tools.length === 0) return NO_TOOLS;
    return new StoredToolBox(tools, this.checker, this.deps);
  }

  private read(ids: string[]): Promise<ToolRecord[]> {
    const key = [...ids].sort().join(",");
    const now = performance.now();
    const held = this.recent.get(key);
    if (held && now - held.at < TOOLS_FRESH_MS) return held.tools;
    const tools = this.deps.tools.findByIds(ids, { activeOnly: true });
    if (this.recent.size > 1000) this.recent.clear();
    this.recent.set(key, { at: now, tools });
    // A failed read is not kept: the next answer asks again.
    tools.catch(() => this.recent.delete(key));
    return tools;
  }
}

/** One answer's tools. */
class StoredToolBox implements ToolBox {
  readonly specs: ToolSpec[];
  private readonly byName: Map<string, ToolRecord>;

  constructor(
    tools: ToolRecord[],
    private readonly checker: InputChecker,
    private readonly deps: DbToolCatalogDeps,
  ) {
    const sorted = [...tools].sort((a, b) => a.name.localeCompare(b.name));
    this.byName = new Map(sorted.map((t) => [t.name, t]));
    this.specs = sorted.map((t) => ({
      name: t.name,
      description: t.description,
      inputSchema: t.inputSchema,
    }));
  }

  approvalOf(toolName: string): ToolApprovalMode | undefined {
    return this.byName.get(toolName)?.approval;
  }

  check(toolName: string, input: unknown): string | null {
    const tool = this.byName.get(toolName);
    if (!tool) return `there is no tool named ${toolName}`;
    return this.checker.check(tool, input);
  }

  async run(call: Omit<ToolCallContext, "signal">, signal: AbortSignal): Promise<ToolOutcome> {
    const tool = this.byName.get(call.toolName);
    if (!tool) return { error: `there is no tool named ${call.toolName}` };
    const started = performance.now();
    const bounded = AbortSignal.any([signal, AbortSignal.timeout(tool.timeoutMs)]);
    let outcome: ToolOutcome;
    try {
      const executor = await this.executorOf(tool);
      outcome = await executor.run({ ...call, signal: bounded });
    } catch {
      outcome = { error: "the tool failed" };
    }
    this.record(tool.name, outcome, bounded, signal, started);
    return outcome;
  }

  private async executorOf(tool: ToolRecord): Promise<ToolExecutor> {
    const execution = tool.execution;
    switch (execution.type) {
      case "webhook":
        return new WebhookToolExecutor({ url: execution.url, secret: tool.secret ?? "" });
      case "mcp": {
        const server = await this.deps.mcpServers.findById(execution.serverId);
        return new McpToolExecutor(usable(server), execution.toolName);
      }
      case "builtin":
        return new BuiltinToolExecutor(execution.name);
    }
  }

  private record(
    tool: string,
    outcome: ToolOutcome,
    bounded: AbortSignal,
    caller: AbortSignal,
    started: number,
  ): void {
    const metrics = this.deps.metrics;
    if (!metrics) return;
    const outcomeLabel =
      "output" in outcome ? "output" : caller.aborted ? "stopped" : bounded.aborted ? "timeout" : "error";
    metrics.toolCalls.inc({ tool, outcome: outcomeLabel });
    metrics.toolDuration.observe({ tool }, (performance.now() - started) / 1000);
  }
}

function usable(server: McpServerRecord | null): { url: string; headers: Record<string, string> } | null {
  return server?.active ? { url: server.url, headers: server.headers } : null;
}
