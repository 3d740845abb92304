import { existsSync } from "node:fs";
import { mkdir, readFile, rm } from "node:fs/promises";
import net from "node:net";
import path from "node:path";
import { fileURLToPath } from "node:url";
import v8 from "node:v8";
import { runInNewContext } from "node:vm";
import { PGlite } from "@electric-sql/pglite";
import { PGLiteSocketServer } from "@electric-sql/pglite-socket";

/**
 * PostgreSQL in this process (PGlite), kept in `dataDir`, served on a Unix socket inside that folder
 * so that the ordinary `pg` driver can talk to it. A Unix socket, never a TCP port: PGlite has no
 * password. It is one database session: callers use a pool of one connection.
 */
export interface EmbeddedPostgres {
  /** The folder holding the socket, which is what `pg` takes as its host. */
  socketDir: string;
  port: number;
  /** Whether this start created the database (from the template, or by initdb). */
  created: boolean;
  /**
   * Drops template0 and template1, which only CREATE DATABASE copies (PGlite serves the one database,
   * postgres), and checkpoints. For the template, with no connection open.
   */
  dropTemplateDatabases(): Promise<void>;
  /** The whole data folder, as a gzipped tarball PGlite can load (the build makes the template so). */
  dump(): Promise<Blob>;
  stop(): Promise<void>;
}

/** The project's folder: the nearest one above this file (in src/ or dist/src/) with a package.json. */
function projectRoot(): string {
  let dir = path.dirname(fileURLToPath(import.meta.url));
  while (!existsSync(path.join(dir, "package.json")) && path.dirname(dir) !== dir) dir = path.dirname(dir);
  return dir;
}

/**
 * The data folder of a fresh, migrated database, made by `npm run build`: a first start loads it
 * instead of running initdb (seconds, and a lasting share of memory).
 */
export const EMBEDDED_TEMPLATE = path.join(projectRoot(), "dist", "embedded-template.tar.gz");

const SOCKET_PORT = 5432;

export async function startEmbeddedPostgres(
  dataDir: string,
  options: { template?: string | undefined } = {},
): Promise<EmbeddedPostgres> {
  const root = path.resolve(dataDir);
  await mkdir(root, { recursive: true });
  const socketDir = root;
  const socketPath = path.join(socketDir, `.s.PGSQL.${SOCKET_PORT}`);
  // Unix socket paths are limited to about 107 bytes by the kernel.
  if (Buffer.byteLength(socketPath) > 100)
    throw new Error(`DATA_DIR is too long a path for a Unix socket: ${root}`);
  if (await answers(socketPath)) throw new Error(`another Confab process is using DATA_DIR ${root}`);
  await rm(socketPath, { force: true }); // left behind by a process that was killed
  const folder = path.join(root, "pglite");
  const created = !existsSync(path.join(folder, "PG_VERSION"));
  const template = options.template ?? EMBEDDED_TEMPLATE;
  // A development database on a laptop: PostgreSQL's default 128 MB of shared buffers would be most
  // of the process's memory (measured: 432 MB RSS for PGlite alone, 294 MB with 16 MB).
  const settings = { postgresqlconf: ["shared_buffers=16MB"] };
  // PostgreSQL's WebAssembly is compiled by V8's baseline compiler only, never optimised further: the
  // optimised code of its hot functions cost some 85 MB of resident memory for good (measured on a
  // started, idle database: 290 → 205 MB RSS), for SQL that ran 0–30% faster. Only WebAssembly
  // compiled from here on is concerned (PGlite is this process's only WebAssembly).
  v8.setFlagsFromString("--liftoff-only");
  const db =
    created && existsSync(template)
      ? await PGlite.create(folder, { ...settings, loadDataDir: new Blob([await readFile(template)]) })
      : await PGlite.create(folder, settings);
  const server = new PGLiteSocketServer({ db, path: socketPath, maxConnections: 1 });
  await server.start();
  releaseLoadingBuffers();
  return {
    socketDir,
    port: SOCKET_PORT,
    created,
    async dropTemplateDatabases() {
      for (const template of ["template1", "template0"]) {
        await db.query(`ALTER DATABASE ${template} IS_TEMPLATE false`);
        await db.query(`DROP DATABASE ${template}`);
      }
      await db.query("CHECKPOINT");
    },
    async dump() {
      return db.dumpDataDir("gzip");
    },
    async stop() {
      await server.stop();
      await db.close();
    },
  };
}

/**
 * Starting, PGlite reads its file-system bundle and the template into ArrayBuffers (some 55 MB) that
 * are garbage once it has started. They are outside V8's heap, and an idle node allocates too little
 * on the heap for a collection to come and free them: measured after a first answer, 305 MB RSS
 * before one full collection, 263 MB after. So one is made here, once, which takes some 50 ms.
 */
function releaseLoadingBuffers(): void {
  v8.setFlagsFromString("--expose-gc");
  const gc: unknown = runInNewContext("typeof gc === 'function' ? gc : undefined");
  if (typeof gc === "function") (gc as () => void)(); // a Node whose V8 refused the flag: left to V8
}

function answers(socketPath: string): Promise<boolean> {
  return new Promise((resolve) => {
    const probe = net.connect(socketPath);
    probe.once("connect", () => {
      probe.destroy();
      resolve(true);
    });
    probe.once("error", () => resolve(false));
  });
}
