/**
 * `npm run build` makes the embedded database's template with this: a fresh PGlite data folder,
 * migrated, dumped to dist/embedded-template.tar.gz. A first `npm start` loads it instead of running
 * initdb and the migrations (see EMBEDDED_TEMPLATE).
 */
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { openDatabase } from "../db/database.js";
import { EMBEDDED_TEMPLATE } from "../db/embedded-postgres.js";
import { migrateUp } from "../db/migrator.js";
import { createLogger } from "../observability/logger.js";

const logger = createLogger("warn");
const dataDir = await mkdtemp(path.join(tmpdir(), "confab-template-"));
try {
  const db = await openDatabase({ databaseUrl: undefined, dataDir, databasePoolMax: 1 }, logger, {
    embeddedTemplate: path.join(dataDir, "none"), // made from scratch, not from an older template
  });
  await migrateUp(db.sequelize, logger);
  // PGlite serves one database (postgres): template0 and template1, which only CREATE DATABASE copies,
  // are two thirds of a fresh data folder's files (600 of 1,060), each written out at a first start.
  for (const template of ["template1", "template0"]) {
    await db.sequelize.query(`ALTER DATABASE ${template} IS_TEMPLATE false`);
    await db.sequelize.query(`DROP DATABASE ${template}`);
  }
  await db.sequelize.query("CHECKPOINT");
  await db.sequelize.close();
  const tarball = await db.embeddedPostgres!.dump();
  await db.embeddedPostgres!.stop();
  await mkdir(path.dirname(EMBEDDED_TEMPLATE), { recursive: true });
  await writeFile(EMBEDDED_TEMPLATE, Buffer.from(await tarball.arrayBuffer()));
  process.stdout.write(`embedded template: ${EMBEDDED_TEMPLATE} (${(tarball.size / 1e6).toFixed(1)} MB)\n`);
} finally {
  await rm(dataDir, { recursive: true, force: true });
}
