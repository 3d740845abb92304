/**
 * `npm run build` makes the embedded database's template with this: a fresh PGlite data folder,
 * migrated, dumped to dist/embedded-template.tar.gz. A first `npm start` loads it instead of running
 * initdb and the migrations (see EMBEDDED_TEMPLATE).
 */
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { EMBEDDED_TEMPLATE } from "../db/embedded-postgres.js";
import { makeEmbeddedTemplate } from "../db/embedded-template.js";
import { createLogger } from "../observability/logger.js";

const dataDir = await mkdtemp(path.join(tmpdir(), "confab-template-"));
try {
  const tarball = await makeEmbeddedTemplate(dataDir, createLogger("warn"));
  await mkdir(path.dirname(EMBEDDED_TEMPLATE), { recursive: true });
  await writeFile(EMBEDDED_TEMPLATE, Buffer.from(await tarball.arrayBuffer()));
  process.stdout.write(`embedded template: ${EMBEDDED_TEMPLATE} (${(tarball.size / 1e6).toFixed(1)} MB)\n`);
} finally {
  await rm(dataDir, { recursive: true, force: true });
}
