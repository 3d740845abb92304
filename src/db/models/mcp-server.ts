import {
  DataTypes,
  Model,
  type CreationOptional,
  type InferAttributes,
  type InferCreationAttributes,
  type Sequelize,
} from "sequelize";

/** An MCP server (Streamable HTTP) an admin registered, whose tools may be imported. */
export class McpServer extends Model<InferAttributes<McpServer>, InferCreationAttributes<McpServer>> {
  declare id: CreationOptional<string>;
  declare name: string;
  declare url: string;
  /** Sent with every request to the server (credentials): write-only, never returned. */
  declare headers: CreationOptional<Record<string, string>>;
  declare active: CreationOptional<boolean>;
  declare createdAt: CreationOptional<Date>;
  declare updatedAt: CreationOptional<Date>;

  static initModel(sequelize: Sequelize): void {
    this.init(
      {
        id: { type: DataTypes.UUID, primaryKey: true, defaultValue: DataTypes.UUIDV4 },
        name: { type: DataTypes.STRING(255), allowNull: false },
        url: { type: DataTypes.TEXT, allowNull: false },
        headers: { type: DataTypes.JSONB, allowNull: false, defaultValue: {} },
        active: { type: DataTypes.BOOLEAN, allowNull: false, defaultValue: true },
        createdAt: DataTypes.DATE,
        updatedAt: DataTypes.DATE,
      },
      { sequelize, tableName: "mcp_servers", underscored: true },
    );
  }
}
