import {
  DataTypes,
  Model,
  type CreationOptional,
  type InferAttributes,
  type InferCreationAttributes,
  type Sequelize,
} from "sequelize";

import type { UserResource } from "../../protocol/index.js";

export type Role = UserResource["role"];

/** A person, known by the `sub` of the host application's tokens and created on first sight. */
export class User extends Model<InferAttributes<User>, InferCreationAttributes<User>> {
  declare id: string;
  declare name: string | null;
  declare email: string | null;
  declare role: Role;
  declare createdAt: CreationOptional<Date>;
  declare updatedAt: CreationOptional<Date>;

  static initModel(sequelize: Sequelize): void {
    this.init(
      {
        id: { type: DataTypes.STRING(255), primaryKey: true },
        name: { type: DataTypes.STRING(255), allowNull: true },
        email: { type: DataTypes.STRING(320), allowNull: true },
        role: { type: DataTypes.STRING(16), allowNull: false, defaultValue: "user" },
        createdAt: DataTypes.DATE,
        updatedAt: DataTypes.DATE,
      },
      { sequelize, tableName: "users", underscored: true },
    );
  }
}
