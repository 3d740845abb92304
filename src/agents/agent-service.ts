import type { Agent, Models, ProviderName } from "../db/models/index.js";
import { notFound, validationFailed } from "../errors.js";
import type { ModelRegistry } from "../providers/model-registry.js";
import type { CreateAgentInput, PatchAgentInput } from "./agent-inputs.js";

const KEY_VARIABLE: Record<Exclude<ProviderName, "demo">, string> = {
  openai: "OPENAI_API_KEY",
  anthropic: "ANTHROPIC_API_KEY",
  groq: "GROQ_API_KEY",
};

/** Agents, as admins manage them. Deleting deactivates: the agent's conversations stay readable. */
export class AgentService {
  constructor(private readonly deps: { models: Models; modelRegistry: ModelRegistry }) {}

  list(): Promise<Agent[]> {
    return this.deps.models.Agent.findAll({ order: [["name", "ASC"]] });
  }

  listActive(): Promise<Agent[]> {
    return this.deps.models.Agent.findAll({ where: { active: true }, order: [["name", "ASC"]] });
  }

  async get(id: string): Promise<Agent> {
    const agent = await this.deps.models.Agent.findByPk(id);
    if (!agent) throw notFound("agent");
    return agent;
  }

  async create(input: CreateAgentInput): Promise<Agent> {
    this.assertConfigured(input.provider);
    return this.deps.models.Agent.create({
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
    });
  }

  async update(id: string, input: PatchAgentInput): Promise<Agent> {
    const agent = await this.get(id);
    if (input.provider !== undefined && input.provider !== agent.provider)
      this.assertConfigured(input.provider);
    const changes = Object.fromEntries(Object.entries(input).filter(([, v]) => v !== undefined));
    if (typeof changes.name === "string") changes.name = changes.name.trim();
    if (typeof changes.model === "string") changes.model = changes.model.trim();
    await agent.update(changes);
    return agent;
  }

  async deactivate(id: string): Promise<Agent> {
    const agent = await this.get(id);
    await agent.update({ active: false });
    return agent;
  }

  /** An agent whose vendor has no key would fail every turn: refuse it up front, naming the variable. */
  private assertConfigured(provider: ProviderName): void {
    if (provider === "demo" || this.deps.modelRegistry.has(provider)) return;
    throw validationFailed(`the ${provider} provider has no key configured: set ${KEY_VARIABLE[provider]}`, {
      issues: [{ path: "provider", message: `set ${KEY_VARIABLE[provider]} to use ${provider}` }],
    });
  }
}
