import { Sequelize } from "sequelize";
import type { Config } from "../config.js";
import type { Logger } from "../observability/logger.js";
import { startEmbeddedPostgres, type EmbeddedPostgres } from "./embedded-postgres.js";
import { migrateUp, seedUp } from "./migrator.js";
import { createModels, type Models } from "./models/index.js";
import { createRepositories, type Repositories } from "./repositories/index.js";

/** The database: Sequelize over PostgreSQL at DATABASE_URL, or over the embedded PGlite. */
export interface Database {
  sequelize: Sequelize;
  /** For migrations and tests; the server reads and writes through `repositories` only. */
  models: Models;
  repositories: Repositories;
  embedded: boolean;
  /** The embedded PostgreSQL, when there is no DATABASE_URL. */
  embeddedPostgres: EmbeddedPostgres | undefined;
  close(): Promise<void>;
}

export async function openDatabase(
  config: Pick<Config, "databaseUrl" | "dataDir" | "databasePoolMax">,
  logger: Logger,
  options: { embeddedTemplate?: string } = {},
): Promise<Database> {
  let embedded: EmbeddedPostgres | undefined;
  let sequelize: Sequelize;
  const common = {
    dialect: "postgres" as const,
    logging: (sql: string) => logger.trace({ sql }, "sql"),
    define: { underscored: true },
    // A dead peer (a partition, a host gone without closing) is noticed by TCP keep-alive, and a
    // connection that cannot be opened fails in seconds rather than hanging.
    dialectOptions: { keepAlive: true, connectionTimeoutMillis: 5000 },
  };
  if (config.databaseUrl) {
    sequelize = new Sequelize(config.databaseUrl, {
      ...common,
      // A request that waits longer than `acquire` for a connection is `unavailable`; an answer that
      // waits retries rather than fail.
      pool: { max: config.databasePoolMax, min: 0, acquire: 10_000, idle: 10_000 },
    });
  } else {
    embedded = await startEmbeddedPostgres(config.dataDir, { template: options.embeddedTemplate });
    // One connection: PGlite is a single session. Every query inside a transaction passes it along.
    sequelize = new Sequelize({
      ...common,
      host: embedded.socketDir,
      port: embedded.port,
      database: "postgres",
      username: "postgres",
      pool: { max: 1, min: 0, acquire: 60_000, idle: 60_000 },
    });
    logger.info({ dataDir: config.dataDir, created: embedded.created }, "embedded PostgreSQL started");
  }
  const models = createModels(sequelize);
  return {
    sequelize,
    models,
    repositories: createRepositories(sequelize, models),
    embedded: embedded !== undefined,
    embeddedPostgres: embedded,
    async close() {
      await sequelize.close();
      await embedded?.stop();
    },
  };
}

/**
 * The database, migrated, and outside production seeded with the demo users and agents (an agent per
 * vendor with a key, the demo agent always).
 */
export async function openMigratedDatabase(
  config: Pick<Config, "databaseUrl" | "dataDir" | "databasePoolMax" | "isProduction" | "providers">,
  logger: Logger,
): Promise<Database> {
  const db = await openDatabase(config, logger);
  try {
    await migrateUp(db.sequelize, logger);
    if (!config.isProduction) {
      const configured = new Set(
        (["openai", "anthropic", "groq"] as const).filter((p) => config.providers[p].apiKey !== undefined),
      );
      await seedUp(db.sequelize, logger, configured);
    }
    return db;
  } catch (err) {
    await db.close();
    throw err;
  }
}
