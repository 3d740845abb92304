import type { CreationAttributes } from "sequelize";
import type { Models, Template } from "../models/index.js";
import type { TemplateRecord } from "../records.js";

/** The `templates` table. */
export class TemplateRepository {
  constructor(private readonly models: Models) {}

  async list(options: { activeOnly: boolean }): Promise<TemplateRecord[]> {
    const rows = await this.models.Template.findAll({
      ...(options.activeOnly ? { where: { active: true } } : {}),
      order: [
        ["name", "ASC"],
        ["id", "ASC"],
      ],
    });
    return rows.map((t) => t.get({ plain: true }));
  }

  async findById(id: string): Promise<TemplateRecord | null> {
    return (await this.models.Template.findByPk(id))?.get({ plain: true }) ?? null;
  }

  async create(fields: CreationAttributes<Template>): Promise<TemplateRecord> {
    return (await this.models.Template.create(fields)).get({ plain: true });
  }

  async update(id: string, changes: Partial<TemplateRecord>): Promise<TemplateRecord | null> {
    const [, rows] = await this.models.Template.update(changes, { where: { id }, returning: true });
    return rows[0]?.get({ plain: true }) ?? null;
  }
}
