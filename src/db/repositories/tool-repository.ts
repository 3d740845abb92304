import { Op, type CreationAttributes, type Sequelize } from "sequelize";
import type { Models, Tool } from "../models/index.js";
import type { ToolRecord } from "../records.js";

/** The `tools` table (and the agents' `tool_ids` that point into it). */
export class ToolRepository {
  constructor(
    private readonly sequelize: Sequelize,
    private readonly models: Models,
  ) {}

  async list(): Promise<ToolRecord[]> {
    const rows = await this.models.Tool.findAll({
      order: [
        ["name", "ASC"],
        ["id", "ASC"],
      ],
    });
    return rows.map((t) => t.get({ plain: true }));
  }

  async findById(id: string): Promise<ToolRecord | null> {
    return (await this.models.Tool.findByPk(id))?.get({ plain: true }) ?? null;
  }

  /** The tools of these ids (one query), in no particular order; missing ids are left out. */
  async findByIds(ids: readonly string[], options: { activeOnly: boolean }): Promise<ToolRecord[]> {
    if (ids.length === 0) return [];
    const rows = await this.models.Tool.findAll({
      where: { id: { [Op.in]: [...ids] }, ...(options.activeOnly ? { active: true } : {}) },
    });
    return rows.map((t) => t.get({ plain: true }));
  }

  /** The names already taken among these. */
  async takenNames(names: readonly string[]): Promise<Set<string>> {
    if (names.length === 0) return new Set();
    const rows = await this.models.Tool.findAll({
      attributes: ["name"],
      where: { name: { [Op.in]: [...names] } },
    });
    return new Set(rows.map((t) => t.name));
  }

  async create(fields: CreationAttributes<Tool>): Promise<ToolRecord> {
    return (await this.models.Tool.create(fields)).get({ plain: true });
  }

  async update(id: string, changes: Partial<ToolRecord>): Promise<ToolRecord | null> {
    const [, rows] = await this.models.Tool.update(changes, { where: { id }, returning: true });
    return rows[0]?.get({ plain: true }) ?? null;
  }

  /** Deletes the tools and takes them from every agent that had them, in one transaction. */
  async delete(ids: readonly string[]): Promise<number> {
    if (ids.length === 0) return 0;
    return this.sequelize.transaction(async (transaction) => {
      for (const id of ids) {
        await this.sequelize.query(
          `UPDATE agents SET tool_ids = array_remove(tool_ids, CAST(:id AS uuid)) WHERE CAST(:id AS uuid) = ANY(tool_ids)`,
          { replacements: { id }, transaction },
        );
      }
      return this.models.Tool.destroy({ where: { id: { [Op.in]: [...ids] } }, transaction });
    });
  }

  /** The ids of the tools imported from this MCP server. */
  async idsOfMcpServer(serverId: string): Promise<string[]> {
    const rows = await this.models.Tool.findAll({
      attributes: ["id"],
      where: { execution: { type: "mcp", serverId } },
    });
    return rows.map((t) => t.id);
  }
}
