import {
  DataTypes,
  Model,
  type CreationOptional,
  type InferAttributes,
  type InferCreationAttributes,
  type Sequelize,
} from "sequelize";
import type { MemberRole } from "../../protocol/index.js";

/** A person's place in a conversation: its role there, since when. */
export class Member extends Model<InferAttributes<Member>, InferCreationAttributes<Member>> {
  declare conversationId: string;
  declare userId: string;
  declare role: MemberRole;
  declare joinedAt: CreationOptional<Date>;

  static initModel(sequelize: Sequelize): void {
    this.init(
      {
        conversationId: { type: DataTypes.UUID, primaryKey: true },
        userId: { type: DataTypes.STRING(255), primaryKey: true },
        role: { type: DataTypes.STRING(16), allowNull: false },
        joinedAt: { type: DataTypes.DATE, allowNull: false, defaultValue: DataTypes.NOW },
      },
      { sequelize, tableName: "conversation_members", underscored: true, timestamps: false },
    );
  }
}
