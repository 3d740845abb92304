import { loadConfig } from "../config.js";
import { openDatabase } from "../db/database.js";
import { migrateDown, migrateUp, seedUp } from "../db/migrator.js";
import { createLogger } from "../observability/logger.js";

/** `npm run db:migrate`, `db:migrate:undo [-- --all]`, `db:seed`, against DATABASE_URL or the embedded database. */
const command = process.argv[2];
const config = loadConfig();
const logger = createLogger(config.logLevel === "info" ? "warn" : config.logLevel);
const db = await openDatabase(config, logger);
try {
  let names: string[];
  if (command === "migrate") names = await migrateUp(db.sequelize, logger);
  else if (command === "undo")
    names = await migrateDown(db.sequelize, logger, process.argv.includes("--all"));
  else if (command === "seed") {
    const configured = new Set(
      (["openai", "anthropic", "groq"] as const).filter((p) => config.providers[p].apiKey !== undefined),
    );
    await migrateUp(db.sequelize, logger);
    names = await seedUp(db.sequelize, logger, configured);
  } else {
    throw new Error(`unknown command ${command ?? "(none)"}: use migrate, undo or seed`);
  }
  process.stdout.write(names.length ? `${command}: ${names.join(", ")}\n` : `${command}: nothing to do\n`);
} finally {
  await db.close();
}
