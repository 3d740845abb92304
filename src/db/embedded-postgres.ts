import { mkdir, rm } from "node:fs/promises";
import net from "node:net";
import path from "node:path";
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
  stop(): Promise<void>;
}

const SOCKET_PORT = 5432;

export async function startEmbeddedPostgres(dataDir: string): Promise<EmbeddedPostgres> {
  const root = path.resolve(dataDir);
  await mkdir(root, { recursive: true });
  const socketDir = root;
  const socketPath = path.join(socketDir, `.s.PGSQL.${SOCKET_PORT}`);
  // Unix socket paths are limited to about 107 bytes by the kernel.
  if (Buffer.byteLength(socketPath) > 100)
    throw new Error(`DATA_DIR is too long a path for a Unix socket: ${root}`);
  if (await answers(socketPath)) throw new Error(`another Confab process is using DATA_DIR ${root}`);
  await rm(socketPath, { force: true }); // left behind by a process that was killed
  const db = await PGlite.create(path.join(root, "pglite"));
  const server = new PGLiteSocketServer({ db, path: socketPath, maxConnections: 1 });
  await server.start();
  return {
    socketDir,
    port: SOCKET_PORT,
    async stop() {
      await server.stop();
      await db.close();
    },
  };
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
