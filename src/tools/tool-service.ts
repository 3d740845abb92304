import type { ToolRecord } from "../db/records.js";
import type { McpServerRepository, ToolRepository } from "../db/repositories/index.js";
import { AppError, notFound, validationFailed } from "../errors.js";
import type { CreateToolInput, PatchToolInput, ToolExecution } from "../protocol/index.js";
import { BUILTIN_TOOLS } from "./builtin-tools.js";
import type { InputChecker } from "./input-checker.js";
import { newSigningSecret } from "./webhook-signature.js";

export interface ToolServiceDeps {
  tools: ToolRepository;
  mcpServers: Pick<McpServerRepository, "findById">;
  checker: InputChecker;
}

/** A tool with the secret to show its caller this once (null: nothing to show). */
export interface ToolWithSecret {
  tool: ToolRecord;
  secret: string | null;
}

/**
 * Tools as admins manage them (PROTOCOL.md: tools). A webhook tool gets its own signing secret,
 * shown at creation and rotation only; a schema must compile; a name is taken once.
 */
export class ToolService {
  constructor(private readonly deps: ToolServiceDeps) {}

  list(): Promise<ToolRecord[]> {
    return this.deps.tools.list();
  }

  async get(id: string): Promise<ToolRecord> {
    const tool = await this.deps.tools.findById(id);
    if (!tool) throw notFound("tool");
    return tool;
  }

  async create(input: CreateToolInput): Promise<ToolWithSecret> {
    this.assertSchema(input.inputSchema);
    await this.assertExecution(input.execution);
    const secret = input.execution.type === "webhook" ? newSigningSecret() : null;
    const tool = await uniqueName(input.name, () =>
      this.deps.tools.create({
        name: input.name,
        description: input.description ?? "",
        inputSchema: input.inputSchema,
        execution: input.execution,
        approval: input.approval ?? "always",
        ...(input.timeoutMs !== undefined ? { timeoutMs: input.timeoutMs } : {}),
        ...(input.active !== undefined ? { active: input.active } : {}),
        secret,
      }),
    );
    return { tool, secret };
  }

  /** Changes a tool; one that becomes a webhook without a secret gets one (shown in this answer). */
  async update(id: string, input: PatchToolInput): Promise<ToolWithSecret> {
    const current = await this.get(id);
    if (input.inputSchema) this.assertSchema(input.inputSchema);
    if (input.execution) await this.assertExecution(input.execution);
    const changes: Partial<ToolRecord> = Object.fromEntries(
      Object.entries(input).filter(([, v]) => v !== undefined),
    );
    const secret = input.execution?.type === "webhook" && !current.secret ? newSigningSecret() : null;
    if (secret) changes.secret = secret;
    const tool = await uniqueName(input.name ?? current.name, () => this.deps.tools.update(id, changes));
    if (!tool) throw notFound("tool");
    return { tool, secret };
  }

  async rotateSecret(id: string): Promise<ToolWithSecret> {
    const current = await this.get(id);
    if (current.execution.type !== "webhook") throw validationFailed("only a webhook tool has a secret");
    const secret = newSigningSecret();
    const tool = await this.deps.tools.update(id, { secret });
    if (!tool) throw notFound("tool");
    return { tool, secret };
  }

  /** Deletes the tool and takes it from the agents that had it. */
  async delete(id: string): Promise<void> {
    if ((await this.deps.tools.delete([id])) === 0) throw notFound("tool");
  }

  private assertSchema(schema: Record<string, unknown>): void {
    const problem = this.deps.checker.schemaProblem(schema);
    if (problem) {
      throw validationFailed(`invalid body: inputSchema: ${problem}`, {
        issues: [{ path: "inputSchema", message: problem }],
      });
    }
  }

  private async assertExecution(execution: ToolExecution): Promise<void> {
    if (execution.type === "builtin" && !BUILTIN_TOOLS.has(execution.name)) {
      const names = [...BUILTIN_TOOLS.keys()].join(", ");
      throw validationFailed(`there is no builtin tool ${execution.name} (there are: ${names})`, {
        issues: [{ path: "execution.name", message: `one of ${names}` }],
      });
    }
    if (execution.type === "mcp" && !(await this.deps.mcpServers.findById(execution.serverId))) {
      throw validationFailed("there is no MCP server of that id", {
        issues: [{ path: "execution.serverId", message: "no MCP server of that id" }],
      });
    }
  }
}

/** Runs the write; a name another tool has is `conflict`. */
async function uniqueName<T>(name: string, write: () => Promise<T>): Promise<T> {
  try {
    return await write();
  } catch (err) {
    if (err instanceof Error && err.name === "SequelizeUniqueConstraintError") {
      throw new AppError("conflict", `a tool named ${name} exists`);
    }
    throw err;
  }
}
