import {
  DataTypes,
  Model,
  type CreationOptional,
  type InferAttributes,
  type InferCreationAttributes,
  type Sequelize,
} from "sequelize";
import type { ToolApprovalMode, ToolExecution } from "../../protocol/index.js";

/** A tool an admin defined: what the model is told of it, how it runs, and whether a call needs approval. */
export class Tool extends Model<InferAttributes<Tool>, InferCreationAttributes<Tool>> {
  declare id: CreationOptional<string>;
  declare name: string;
  declare description: CreationOptional<string>;
  declare inputSchema: Record<string, unknown>;
  declare execution: ToolExecution;
  declare approval: CreationOptional<ToolApprovalMode>;
  declare timeoutMs: CreationOptional<number>;
  declare active: CreationOptional<boolean>;
  /** The webhook signing secret (null for other executions); shown only at creation and rotation. */
  declare secret: CreationOptional<string | null>;
  declare createdAt: CreationOptional<Date>;
  declare updatedAt: CreationOptional<Date>;

  static initModel(sequelize: Sequelize): void {
    this.init(
      {
        id: { type: DataTypes.UUID, primaryKey: true, defaultValue: DataTypes.UUIDV4 },
        name: { type: DataTypes.STRING(64), allowNull: false },
        description: { type: DataTypes.TEXT, allowNull: false, defaultValue: "" },
        inputSchema: { type: DataTypes.JSONB, allowNull: false },
        execution: { type: DataTypes.JSONB, allowNull: false },
        approval: { type: DataTypes.STRING(8), allowNull: false, defaultValue: "always" },
        timeoutMs: { type: DataTypes.INTEGER, allowNull: false, defaultValue: 30_000 },
        active: { type: DataTypes.BOOLEAN, allowNull: false, defaultValue: true },
        secret: { type: DataTypes.TEXT, allowNull: true },
        createdAt: DataTypes.DATE,
        updatedAt: DataTypes.DATE,
      },
      { sequelize, tableName: "tools", underscored: true },
    );
  }
}
