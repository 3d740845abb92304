import type { TemplateRecord } from "../db/records.js";
import type { AgentRepository, TemplateRepository } from "../db/repositories/index.js";
import { notFound } from "../errors.js";
import type { CreateTemplateInput, PatchTemplateInput } from "../protocol/index.js";

/**
 * Templates: a pre-filled start for conversations (an agent, a title, the first messages), managed
 * by admins and listed to users. Deleting deactivates: conversations started from it keep their
 * messages, which were copied.
 */
export class TemplateService {
  constructor(private readonly deps: { templates: TemplateRepository; agents: AgentRepository }) {}

  list(): Promise<TemplateRecord[]> {
    return this.deps.templates.list({ activeOnly: false });
  }

  /** The templates users may start from: active ones, of active agents. */
  async listActive(): Promise<TemplateRecord[]> {
    const [templates, agents] = await Promise.all([
      this.deps.templates.list({ activeOnly: true }),
      this.deps.agents.list({ activeOnly: true }),
    ]);
    const usable = new Set(agents.map((a) => a.id));
    return templates.filter((t) => usable.has(t.agentId));
  }

  async get(id: string): Promise<TemplateRecord> {
    const template = await this.deps.templates.findById(id);
    if (!template) throw notFound("template");
    return template;
  }

  async create(input: CreateTemplateInput): Promise<TemplateRecord> {
    await this.assertAgent(input.agentId);
    const name = input.name.trim();
    return this.deps.templates.create({
      name,
      agentId: input.agentId,
      title: input.title?.trim() ?? name,
      description: input.description ?? "",
      messages: input.messages,
      ...(input.active !== undefined ? { active: input.active } : {}),
    });
  }

  async update(id: string, input: PatchTemplateInput): Promise<TemplateRecord> {
    await this.get(id);
    if (input.agentId !== undefined) await this.assertAgent(input.agentId);
    const changes: Partial<TemplateRecord> = Object.fromEntries(
      Object.entries(input).filter(([, v]) => v !== undefined),
    );
    if (changes.name !== undefined) changes.name = changes.name.trim();
    if (changes.title !== undefined) changes.title = changes.title.trim();
    const updated = await this.deps.templates.update(id, changes);
    if (!updated) throw notFound("template");
    return updated;
  }

  async deactivate(id: string): Promise<void> {
    await this.update(id, { active: false });
  }

  /** A template names an agent that exists (it may be inactive: users then do not see the template). */
  private async assertAgent(agentId: string): Promise<void> {
    if (!(await this.deps.agents.findById(agentId))) throw notFound("agent");
  }
}
