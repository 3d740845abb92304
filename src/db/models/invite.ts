import {
  DataTypes,
  Model,
  type CreationOptional,
  type InferAttributes,
  type InferCreationAttributes,
  type Sequelize,
} from "sequelize";
import type { MemberRole } from "../../protocol/index.js";

/** A link an owner hands out: its token is never stored, only its SHA-256. */
export class Invite extends Model<InferAttributes<Invite>, InferCreationAttributes<Invite>> {
  declare id: CreationOptional<string>;
  declare conversationId: string;
  declare tokenHash: string;
  declare role: Exclude<MemberRole, "owner">;
  declare expiresAt: Date;
  declare maxUses: CreationOptional<number | null>;
  declare uses: CreationOptional<number>;
  declare revokedAt: CreationOptional<Date | null>;
  declare createdBy: CreationOptional<string | null>;
  declare createdAt: CreationOptional<Date>;

  static initModel(sequelize: Sequelize): void {
    this.init(
      {
        id: { type: DataTypes.UUID, primaryKey: true, defaultValue: DataTypes.UUIDV4 },
        conversationId: { type: DataTypes.UUID, allowNull: false },
        tokenHash: { type: DataTypes.CHAR(64), allowNull: false },
        role: { type: DataTypes.STRING(16), allowNull: false },
        expiresAt: { type: DataTypes.DATE, allowNull: false },
        maxUses: { type: DataTypes.INTEGER, allowNull: true },
        uses: { type: DataTypes.INTEGER, allowNull: false, defaultValue: 0 },
        revokedAt: { type: DataTypes.DATE, allowNull: true },
        createdBy: { type: DataTypes.STRING(255), allowNull: true },
        createdAt: DataTypes.DATE,
      },
      { sequelize, tableName: "invites", underscored: true, updatedAt: false },
    );
  }
}
