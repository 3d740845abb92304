import type { Sequelize, Transaction } from "sequelize";

/** What every migration and seeder receives: one transaction that holds the migration lock. */
export interface MigrationContext {
  sequelize: Sequelize;
  transaction: Transaction;
}

export interface MigrationStep {
  name: string;
  up(params: { context: MigrationContext }): Promise<void>;
  down(params: { context: MigrationContext }): Promise<void>;
}

/** A migration written as SQL statements, run in order up and in order down. */
export function sqlMigration(name: string, up: string[], down: string[]): MigrationStep {
  const run = async (statements: string[], { sequelize, transaction }: MigrationContext) => {
    for (const sql of statements) await sequelize.query(sql, { transaction });
  };
  return {
    name,
    up: ({ context }) => run(up, context),
    down: ({ context }) => run(down, context),
  };
}
