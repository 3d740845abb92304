import type { AgentRecord } from "../db/records.js";
import type { AgentRepository, ToolRepository } from "../db/repositories/index.js";
import type { ProviderName } from "../protocol/index.js";
import { notFound, validationFailed } from "../errors.js";
import type { ModelRegistry } from "../providers/model-registry.js";
import type { CreateAgentInput, PatchAgentInput } from "../protocol/index.js";

const KEY_VARIABLE: Record<Exclude<ProviderName, "demo">, string> = {
  openai: "OPENAI_API_KEY",
  anthropic: "ANTHROPIC_API_KEY",
  groq: "GROQ_API_KEY",
};

/** Agents, as admins manage them. Deleting deactivates: the agent's conversations stay readable. */
export class AgentService {
  constructor(
    private readonly deps: {
      agents: AgentRepository;
      tools: Pick<ToolRepository, "findByIds">;
      modelRegistry: ModelRegistry;
    },
  ) {}

  list(): Promise<AgentRecord[]> {
    return this.deps.agents.list({ activeOnly: false });
  }

  listActive(): Promise<AgentRecord[]> {
    return this.deps.agents.list({ activeOnly: true });
  }

  async get(id: string): Promise<AgentRecord> {
    const agent = await this.deps.agents.findById(id);
    if (!agent) throw notFound("agent");
    return agent;
  }

  async create(input: CreateAgentInput): Promise<AgentRecord> {
    this.assertConfigured(input.provider);
    if (input.toolIds) await this.assertTools(input.toolIds);
    return this.deps.agents.create({
      name: input.name.trim(),
      provider: input.provider,
      model: input.model.trim(),
      description: input.description ?? "",
      systemPrompt: input.systemPrompt ?? "",
      temperature: input.temperature ?? 0.7,
      ...(input.maxConversationTokens !== undefined
        ? { maxConversationTokens: input.maxConversationTokens }
        : {}),
      ...(input.contextTokens !== undefined ? { contextTokens: input.contextTokens } : {}),
      ...(input.conversationMemoryEnabled !== undefined
        ? { conversationMemoryEnabled: input.conversationMemoryEnabled }
        : {}),
      ...(input.autoGenerateSummary !== undefined ? { autoGenerateSummary: input.autoGenerateSummary } : {}),
      ...(input.active !== undefined ? { active: input.active } : {}),
      ...(input.starters !== undefined ? { starters: input.starters.map((s) => s.trim()) } : {}),
      ...(input.toolIds !== undefined ? { toolIds: [...new Set(input.toolIds)] } : {}),
      ...(input.maxSteps !== undefined ? { maxSteps: input.maxSteps } : {}),
      ...(input.reasoning !== undefined ? { reasoning: input.reasoning } : {}),
    });
  }

  async update(id: string, input: PatchAgentInput): Promise<AgentRecord> {
    const agent = await this.get(id);
    if (input.provider !== undefined && input.provider !== agent.provider)
      this.assertConfigured(input.provider);
    if (input.toolIds) await this.assertTools(input.toolIds);
    const changes: Partial<AgentRecord> = Object.fromEntries(
      Object.entries(input).filter(([, v]) => v !== undefined),
    );
    if (changes.name !== undefined) changes.name = changes.name.trim();
    if (changes.model !== undefined) changes.model = changes.model.trim();
    if (changes.starters !== undefined) changes.starters = changes.starters.map((s) => s.trim());
    if (changes.toolIds !== undefined) changes.toolIds = [...new Set(changes.toolIds)];
    return this.changed(id, changes);
  }

  async deactivate(id: string): Promise<AgentRecord> {
    return this.changed(id, { active: false });
  }

  /** Writes the changes that differ from the stored agent (none: nothing is written). */
  private async changed(id: string, changes: Partial<AgentRecord>): Promise<AgentRecord> {
    const agent = await this.get(id);
    const different = Object.fromEntries(
      Object.entries(changes).filter(([key, value]) => agent[key as keyof AgentRecord] !== value),
    );
    if (Object.keys(different).length === 0) return agent;
    const updated = await this.deps.agents.update(id, different);
    if (!updated) throw notFound("agent");
    return updated;
  }

  /** Every id must be a tool's (inactive ones included: an admin may give a tool before turning it on). */
  private async assertTools(toolIds: string[]): Promise<void> {
    const found = new Set((await this.deps.tools.findByIds(toolIds, { activeOnly: false })).map((t) => t.id));
    const unknown = toolIds.filter((id) => !found.has(id));
    if (unknown.length === 0) return;
    throw validationFailed(`there is no tool of id ${unknown.join(", ")}`, {
      issues: unknown.map((id) => ({ path: "toolIds", message: `no tool of id ${id}` })),
    });
  }

  /** An agent whose vendor has no key would fail every turn: refuse it up front, naming the variable. */
  private assertConfigured(provider: ProviderName): void {
    if (provider === "demo" || this.deps.modelRegistry.has(provider)) return;
    throw validationFailed(`the ${provider} provider has no key configured: set ${KEY_VARIABLE[provider]}`, {
      issues: [{ path: "provider", message: `set ${KEY_VARIABLE[provider]} to use ${provider}` }],
    });
  }
}
