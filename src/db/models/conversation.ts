import {
  DataTypes,
  Model,
  type CreationOptional,
  type InferAttributes,
  type InferCreationAttributes,
  type Sequelize,
} from "sequelize";

import type { AssistantMode, ConversationResource, ToolApprover } from "../../protocol/index.js";

export type ConversationStatus = ConversationResource["status"];

/**
 * One conversation between a user and an agent. `totalMessages` counts every stored message and so
 * is also the `seq` of the newest one: the next message takes `totalMessages + 1`.
 */
export class Conversation extends Model<
  InferAttributes<Conversation>,
  InferCreationAttributes<Conversation>
> {
  declare id: CreationOptional<string>;
  declare userId: string;
  declare agentId: string;
  declare title: string;
  declare status: CreationOptional<ConversationStatus>;
  declare totalMessages: CreationOptional<number>;
  declare totalTokensUsed: CreationOptional<number>;
  declare summary: CreationOptional<string | null>;
  /** The newest `seq` the summary covers. */
  declare summaryThroughSeq: CreationOptional<number>;
  /** The message the summary covers up to: it is used only on a path that contains it. */
  declare summaryThroughId: CreationOptional<string | null>;
  /** The newest message of the path the conversation shows (the same for every tab). */
  declare headId: CreationOptional<string | null>;
  declare assistantMode: CreationOptional<AssistantMode>;
  /** Who may decide the assistant's tool calls. */
  declare toolApproval: CreationOptional<ToolApprover>;
  declare tags: CreationOptional<string[]>;
  declare metadata: CreationOptional<Record<string, unknown>>;
  declare createdAt: CreationOptional<Date>;
  declare updatedAt: CreationOptional<Date>;
  declare lastMessageAt: CreationOptional<Date | null>;
  declare archivedAt: CreationOptional<Date | null>;
  declare deletedAt: CreationOptional<Date | null>;

  static initModel(sequelize: Sequelize): void {
    this.init(
      {
        id: { type: DataTypes.UUID, primaryKey: true, defaultValue: DataTypes.UUIDV4 },
        userId: { type: DataTypes.STRING(255), allowNull: false },
        agentId: { type: DataTypes.UUID, allowNull: false },
        title: { type: DataTypes.STRING(255), allowNull: false },
        status: { type: DataTypes.STRING(16), allowNull: false, defaultValue: "active" },
        totalMessages: { type: DataTypes.INTEGER, allowNull: false, defaultValue: 0 },
        totalTokensUsed: { type: DataTypes.INTEGER, allowNull: false, defaultValue: 0 },
        summary: { type: DataTypes.TEXT, allowNull: true },
        summaryThroughSeq: { type: DataTypes.INTEGER, allowNull: false, defaultValue: 0 },
        summaryThroughId: { type: DataTypes.UUID, allowNull: true },
        headId: { type: DataTypes.UUID, allowNull: true },
        assistantMode: { type: DataTypes.STRING(8), allowNull: false, defaultValue: "auto" },
        toolApproval: { type: DataTypes.STRING(16), allowNull: false, defaultValue: "participant" },
        tags: { type: DataTypes.ARRAY(DataTypes.STRING(50)), allowNull: false, defaultValue: [] },
        metadata: { type: DataTypes.JSONB, allowNull: false, defaultValue: {} },
        createdAt: DataTypes.DATE,
        updatedAt: DataTypes.DATE,
        lastMessageAt: { type: DataTypes.DATE, allowNull: true },
        archivedAt: { type: DataTypes.DATE, allowNull: true },
        deletedAt: { type: DataTypes.DATE, allowNull: true },
      },
      { sequelize, tableName: "conversations", underscored: true },
    );
  }
}
