import type { CreationAttributes } from "sequelize";
import type { Agent, Models } from "../models/index.js";
import { inTx, type AgentRecord, type Tx } from "../records.js";

/** The `agents` table. */
export class AgentRepository {
  constructor(private readonly models: Models) {}

  async list(options: { activeOnly: boolean }): Promise<AgentRecord[]> {
    const rows = await this.models.Agent.findAll({
      ...(options.activeOnly ? { where: { active: true } } : {}),
      order: [["name", "ASC"]],
    });
    return rows.map((a) => a.get({ plain: true }));
  }

  async findById(id: string, tx?: Tx): Promise<AgentRecord | null> {
    return (await this.models.Agent.findByPk(id, inTx(tx)))?.get({ plain: true }) ?? null;
  }

  async create(fields: CreationAttributes<Agent>): Promise<AgentRecord> {
    return (await this.models.Agent.create(fields)).get({ plain: true });
  }

  async update(id: string, changes: Partial<AgentRecord>): Promise<AgentRecord | null> {
    const [, rows] = await this.models.Agent.update(changes, { where: { id }, returning: true });
    return rows[0]?.get({ plain: true }) ?? null;
  }
}
