import path from "node:path";
import type { Logger } from "../observability/logger.js";
import { openDatabase } from "./database.js";
import { migrateUp } from "./migrator.js";

/**
 * A fresh embedded database in `dataDir`, migrated, as the gzipped tarball a first start loads (see
 * EMBEDDED_TEMPLATE). PGlite serves one database (postgres): template0 and template1, which only
 * CREATE DATABASE copies, are dropped, since they were two thirds of the files (600 of 1,060) a
 * first start writes out.
 */
export async function makeEmbeddedTemplate(dataDir: string, logger: Logger): Promise<Blob> {
  const db = await openDatabase({ databaseUrl: undefined, dataDir, databasePoolMax: 1 }, logger, {
    embeddedTemplate: path.join(dataDir, "none"), // made from scratch, not from an older template
  });
  try {
    await migrateUp(db.sequelize, logger);
  } finally {
    await db.sequelize.close();
  }
  try {
    await db.embeddedPostgres!.dropTemplateDatabases();
    return await db.embeddedPostgres!.dump();
  } finally {
    await db.embeddedPostgres!.stop();
  }
}
