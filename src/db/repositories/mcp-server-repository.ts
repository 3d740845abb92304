import type { CreationAttributes } from "sequelize";
import type { McpServer, Models } from "../models/index.js";
import type { McpServerRecord } from "../records.js";

/** The `mcp_servers` table. */
export class McpServerRepository {
  constructor(private readonly models: Models) {}

  async list(): Promise<McpServerRecord[]> {
    const rows = await this.models.McpServer.findAll({
      order: [
        ["name", "ASC"],
        ["id", "ASC"],
      ],
    });
    return rows.map((s) => s.get({ plain: true }));
  }

  async findById(id: string): Promise<McpServerRecord | null> {
    return (await this.models.McpServer.findByPk(id))?.get({ plain: true }) ?? null;
  }

  async create(fields: CreationAttributes<McpServer>): Promise<McpServerRecord> {
    return (await this.models.McpServer.create(fields)).get({ plain: true });
  }

  async update(id: string, changes: Partial<McpServerRecord>): Promise<McpServerRecord | null> {
    const [, rows] = await this.models.McpServer.update(changes, { where: { id }, returning: true });
    return rows[0]?.get({ plain: true }) ?? null;
  }

  async delete(id: string): Promise<boolean> {
    return (await this.models.McpServer.destroy({ where: { id } })) > 0;
  }
}
