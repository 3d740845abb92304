import { QueryTypes, type Sequelize, type Transaction } from "sequelize";
import type { UmzugStorage } from "umzug";
import type { MigrationContext, MigrationStep } from "../../migrations/context.js";
import { migrations } from "../../migrations/index.js";
import type { SeedContext } from "../../seeders/context.js";
import { seeders } from "../../seeders/index.js";
import type { Logger } from "../observability/logger.js";

/** Any fixed number: every node asks PostgreSQL for this lock before touching the schema. */
const SCHEMA_LOCK_KEY = 7_140_255_001;

/**
 * Runs umzug inside one transaction that holds a PostgreSQL advisory lock, so that two nodes started
 * together on an empty database take turns: the second sees the first one's work and does nothing.
 * Migrations receive that transaction explicitly (the embedded database has one connection).
 */
async function withSchemaLock<T>(sequelize: Sequelize, work: (t: Transaction) => Promise<T>): Promise<T> {
  return sequelize.transaction(async (transaction) => {
    await sequelize.query("SELECT pg_advisory_xact_lock(:key)", {
      replacements: { key: SCHEMA_LOCK_KEY },
      transaction,
    });
    return work(transaction);
  });
}

function tableStorage<C extends MigrationContext>(table: string): UmzugStorage<C> {
  return {
    async executed({ context }) {
      const { sequelize, transaction } = context;
      await sequelize.query(
        `CREATE TABLE IF NOT EXISTS ${table} (name varchar(255) PRIMARY KEY, run_at timestamptz NOT NULL DEFAULT now())`,
        { transaction },
      );
      const rows = await sequelize.query<{ name: string }>(`SELECT name FROM ${table} ORDER BY name`, {
        type: QueryTypes.SELECT,
        transaction,
      });
      return rows.map((r) => r.name);
    },
    async logMigration({ name, context }) {
      await context.sequelize.query(`INSERT INTO ${table} (name) VALUES (:name)`, {
        replacements: { name },
        transaction: context.transaction,
      });
    },
    async unlogMigration({ name, context }) {
      await context.sequelize.query(`DELETE FROM ${table} WHERE name = :name`, {
        replacements: { name },
        transaction: context.transaction,
      });
    },
  };
}

function umzugLogger(logger: Logger) {
  return {
    info: (m: Record<string, unknown>) => logger.info(m, "schema"),
    warn: (m: Record<string, unknown>) => logger.warn(m, "schema"),
    error: (m: Record<string, unknown>) => logger.error(m, "schema"),
    debug: (m: Record<string, unknown>) => logger.debug(m, "schema"),
  };
}

/**
 * Runs the steps not yet recorded, in order, each recorded as it ends, and returns their names: what
 * umzug's `up` does, without loading umzug (and its command-line dependencies, some 200 ms and 20 MB)
 * at every start. Umzug still reverts (`down`).
 */
async function runPending<C extends MigrationContext>(
  storage: UmzugStorage<C>,
  context: C,
  steps: { name: string; up(params: { context: C }): Promise<void> }[],
  logger: Logger,
): Promise<string[]> {
  const done = new Set(await storage.executed({ context }));
  const ran: string[] = [];
  for (const step of steps) {
    if (done.has(step.name)) continue;
    const started = performance.now();
    logger.info({ event: "migrating", name: step.name }, "schema");
    await step.up({ context });
    await storage.logMigration({ name: step.name, context });
    const durationSeconds = Number(((performance.now() - started) / 1000).toFixed(3));
    logger.info({ event: "migrated", name: step.name, durationSeconds }, "schema");
    ran.push(step.name);
  }
  return ran;
}

async function migrator(context: MigrationContext, logger: Logger, steps: MigrationStep[] = migrations) {
  const { Umzug } = await import("umzug");
  return new Umzug<MigrationContext>({
    migrations: steps,
    context,
    storage: tableStorage<MigrationContext>("confab_migrations"),
    logger: umzugLogger(logger),
  });
}

/** Applies every pending migration; returns the names applied. */
export async function migrateUp(sequelize: Sequelize, logger: Logger): Promise<string[]> {
  return withSchemaLock(sequelize, (transaction) =>
    runPending(tableStorage("confab_migrations"), { sequelize, transaction }, migrations, logger),
  );
}

/** Reverts the newest migration (or all of them with `all`). */
export async function migrateDown(sequelize: Sequelize, logger: Logger, all = false): Promise<string[]> {
  return withSchemaLock(sequelize, async (transaction) => {
    const done = await (
      await migrator({ sequelize, transaction }, logger)
    ).down(all ? { to: 0 } : { step: 1 });
    return done.map((m) => m.name);
  });
}

/** Runs every seeder not yet run on this database. */
export async function seedUp(
  sequelize: Sequelize,
  logger: Logger,
  configuredProviders: SeedContext["configuredProviders"],
): Promise<string[]> {
  return withSchemaLock(sequelize, (transaction) =>
    runPending(
      tableStorage<SeedContext>("confab_seeds"),
      { sequelize, transaction, configuredProviders },
      seeders,
      logger,
    ),
  );
}
