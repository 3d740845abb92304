import type { McpServerRecord, ToolRecord } from "../db/records.js";
import type { McpServerRepository, ToolRepository } from "../db/repositories/index.js";
import { AppError, notFound, validationFailed } from "../errors.js";
import type {
  CreateMcpServerInput,
  ImportMcpToolsInput,
  OfferedTool,
  PatchMcpServerInput,
} from "../protocol/index.js";
import type { InputChecker } from "./input-checker.js";
import { listMcpTools, mcpFailure } from "./mcp-tool-executor.js";

export interface McpServerServiceDeps {
  mcpServers: McpServerRepository;
  tools: ToolRepository;
  checker: InputChecker;
  /** How long listing a server's tools may take (default 15 s). */
  listTimeoutMs?: number;
}

/** MCP servers as admins register them, and the tools imported from them (PROTOCOL.md: tools). */
export class McpServerService {
  constructor(private readonly deps: McpServerServiceDeps) {}

  list(): Promise<McpServerRecord[]> {
    return this.deps.mcpServers.list();
  }

  async get(id: string): Promise<McpServerRecord> {
    const server = await this.deps.mcpServers.findById(id);
    if (!server) throw notFound("MCP server");
    return server;
  }

  create(input: CreateMcpServerInput): Promise<McpServerRecord> {
    return this.deps.mcpServers.create({
      name: input.name.trim(),
      url: input.url,
      headers: input.headers ?? {},
      ...(input.active !== undefined ? { active: input.active } : {}),
    });
  }

  /** Changes a server; `headers`, when given, replace the stored ones. */
  async update(id: string, input: PatchMcpServerInput): Promise<McpServerRecord> {
    await this.get(id);
    const changes: Partial<McpServerRecord> = Object.fromEntries(
      Object.entries(input).filter(([, v]) => v !== undefined),
    );
    if (changes.name !== undefined) changes.name = changes.name.trim();
    const server = await this.deps.mcpServers.update(id, changes);
    if (!server) throw notFound("MCP server");
    return server;
  }

  /** Deletes the server and the tools imported from it (taken from the agents that had them). */
  async delete(id: string): Promise<void> {
    await this.get(id);
    await this.deps.tools.delete(await this.deps.tools.idsOfMcpServer(id));
    await this.deps.mcpServers.delete(id);
  }

  /** What the server offers now; a server that does not answer is `provider_error`. */
  async offered(id: string): Promise<OfferedTool[]> {
    const server = await this.get(id);
    const signal = AbortSignal.timeout(this.deps.listTimeoutMs ?? 15_000);
    try {
      return await listMcpTools(server, signal);
    } catch (err) {
      throw new AppError(
        "provider_error",
        `the MCP server could not list its tools: ${mcpFailure(err, signal)}`,
      );
    }
  }

  /**
   * Makes tools of the server's tools (all, or those named), with this approval. A tool imported
   * before is not imported again (it is returned as it is); a name another tool has gets `_2`, `_3`….
   */
  async import(id: string, input: ImportMcpToolsInput): Promise<ToolRecord[]> {
    const offered = await this.offered(id);
    const chosen = input.toolNames ? pick(offered, input.toolNames) : offered;
    const existing = await this.deps.tools.findByIds(await this.deps.tools.idsOfMcpServer(id), {
      activeOnly: false,
    });
    const imported = new Map(
      existing.flatMap((t) => (t.execution.type === "mcp" ? [[t.execution.toolName, t] as const] : [])),
    );
    const result: ToolRecord[] = [];
    for (const tool of chosen) {
      const already = imported.get(tool.name);
      if (already) {
        result.push(already);
        continue;
      }
      result.push(await this.importOne(id, tool, input.approval));
    }
    return result;
  }

  private async importOne(serverId: string, tool: OfferedTool, approval: ToolRecord["approval"]) {
    const schema = { ...tool.inputSchema, type: "object" };
    const problem = this.deps.checker.schemaProblem(schema);
    if (problem) throw validationFailed(`the input schema of ${tool.name} does not compile: ${problem}`);
    const name = await this.freeName(sanitizedName(tool.name));
    return this.deps.tools.create({
      name,
      description: tool.description.slice(0, 2000),
      inputSchema: schema,
      execution: { type: "mcp", serverId, toolName: tool.name },
      approval,
    });
  }

  private async freeName(base: string): Promise<string> {
    const candidates = [base, ...Array.from({ length: 98 }, (_, i) => withSuffix(base, `_${i + 2}`))];
    const taken = await this.deps.tools.takenNames(candidates);
    const free = candidates.find((c) => !taken.has(c));
    if (!free) throw new AppError("conflict", `too many tools are named like ${base}`);
    return free;
  }
}

/** The tools named, in the order named; a name the server does not offer is `validation_failed`. */
function pick(offered: OfferedTool[], names: string[]): OfferedTool[] {
  const byName = new Map(offered.map((t) => [t.name, t]));
  const missing = names.filter((n) => !byName.has(n));
  if (missing.length > 0) {
    throw validationFailed(`the MCP server offers no tool named ${missing.join(", ")}`, {
      issues: missing.map((n) => ({ path: "toolNames", message: `no tool named ${n}` })),
    });
  }
  return [...new Set(names)].map((n) => byName.get(n) as OfferedTool);
}

/** An MCP tool's name as every vendor accepts it: `[A-Za-z0-9_-]{1,64}`. */
export function sanitizedName(name: string): string {
  const cleaned = name.replace(/[^A-Za-z0-9_-]+/g, "_").slice(0, 64);
  return cleaned.replace(/^_+|_+$/g, "") || "tool";
}

function withSuffix(base: string, suffix: string): string {
  return `${base.slice(0, 64 - suffix.length)}${suffix}`;
}
