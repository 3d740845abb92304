import {
  DataTypes,
  Model,
  type CreationOptional,
  type InferAttributes,
  type InferCreationAttributes,
  type Sequelize,
} from "sequelize";
import { DEFAULT_ACCEPTED_FILES } from "../../protocol/index.js";

import type { ProviderName } from "../../protocol/index.js";

/** An assistant persona: which vendor and model answer, with what prompt and budgets. */
export class Agent extends Model<InferAttributes<Agent>, InferCreationAttributes<Agent>> {
  declare id: CreationOptional<string>;
  declare name: string;
  declare description: string;
  declare provider: ProviderName;
  declare model: string;
  declare systemPrompt: string;
  declare temperature: number;
  declare maxConversationTokens: CreationOptional<number>;
  declare contextTokens: CreationOptional<number>;
  declare conversationMemoryEnabled: CreationOptional<boolean>;
  declare autoGenerateSummary: CreationOptional<boolean>;
  declare active: CreationOptional<boolean>;
  /** Prompts a widget offers on an empty conversation. */
  declare starters: CreationOptional<string[]>;
  /** The tools it may call. */
  declare toolIds: CreationOptional<string[]>;
  /** Model calls per answer. */
  declare maxSteps: CreationOptional<number>;
  /** Extended thinking, where the vendor has it. */
  declare reasoning: CreationOptional<{ budgetTokens: number } | null>;
  /** The media types of files its model reads (PROTOCOL.md: files); default: text. */
  declare acceptsFiles: CreationOptional<string[]>;
  declare createdAt: CreationOptional<Date>;
  declare updatedAt: CreationOptional<Date>;

  static initModel(sequelize: Sequelize): void {
    this.init(
      {
        id: { type: DataTypes.UUID, primaryKey: true, defaultValue: DataTypes.UUIDV4 },
        name: { type: DataTypes.STRING(255), allowNull: false },
        description: { type: DataTypes.TEXT, allowNull: false, defaultValue: "" },
        provider: { type: DataTypes.STRING(32), allowNull: false },
        model: { type: DataTypes.STRING(255), allowNull: false },
        systemPrompt: { type: DataTypes.TEXT, allowNull: false, defaultValue: "" },
        temperature: { type: DataTypes.REAL, allowNull: false, defaultValue: 0.7 },
        maxConversationTokens: { type: DataTypes.INTEGER, allowNull: false, defaultValue: 8000 },
        contextTokens: { type: DataTypes.INTEGER, allowNull: false, defaultValue: 6000 },
        conversationMemoryEnabled: { type: DataTypes.BOOLEAN, allowNull: false, defaultValue: true },
        autoGenerateSummary: { type: DataTypes.BOOLEAN, allowNull: false, defaultValue: true },
        active: { type: DataTypes.BOOLEAN, allowNull: false, defaultValue: true },
        starters: { type: DataTypes.ARRAY(DataTypes.STRING(200)), allowNull: false, defaultValue: [] },
        toolIds: { type: DataTypes.ARRAY(DataTypes.UUID), allowNull: false, defaultValue: [] },
        maxSteps: { type: DataTypes.INTEGER, allowNull: false, defaultValue: 5 },
        reasoning: { type: DataTypes.JSONB, allowNull: true },
        acceptsFiles: {
          type: DataTypes.ARRAY(DataTypes.TEXT),
          allowNull: false,
          defaultValue: [...DEFAULT_ACCEPTED_FILES],
        },
        createdAt: DataTypes.DATE,
        updatedAt: DataTypes.DATE,
      },
      { sequelize, tableName: "agents", underscored: true },
    );
  }
}
