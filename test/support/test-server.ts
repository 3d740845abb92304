import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { createConfab, type Confab, type ConfabOptions } from "../../src/app.js";
import { loadConfig } from "../../src/config.js";
import { createLogger } from "../../src/observability/logger.js";
import { createTestDatabase, type TestDatabase } from "./database.js";

export const JWT_SECRET = "test-secret-that-is-at-least-32-bytes-long!!";
export { DEMO_AGENT_ID } from "./conversations.js";

export interface TestServer {
  confab: Confab;
  url: string;
  database: TestDatabase;
  token(sub: string, options?: { role?: "user" | "admin"; name?: string; expiresInSeconds?: number }): string;
  close(): Promise<void>;
}

/**
 * A real Confab on an ephemeral port, on a fresh database of the machine's PostgreSQL (or an existing
 * one, to run several nodes on one database).
 */
export async function startTestServer(
  options: {
    env?: Record<string, string>;
    database?: TestDatabase;
  } & Omit<ConfabOptions, "config"> = {},
): Promise<TestServer> {
  const database = options.database ?? (await createTestDatabase());
  const dataDir = await mkdtemp(path.join(tmpdir(), "confab-test-"));
  const config = loadConfig({
    NODE_ENV: "test",
    DATABASE_URL: database.url,
    DATA_DIR: dataDir,
    JWT_SECRET,
    LOG_LEVEL: "silent",
    DEMO_WORD_DELAY_MS: "1",
    // Tests send fast; the limits have their own tests, which set these lower.
    RATE_LIMIT_MESSAGES_PER_MINUTE: "100000",
    RATE_LIMIT_REQUESTS_PER_MINUTE: "100000",
    RATE_LIMIT_CONNECTIONS_PER_MINUTE: "100000",
    RATE_LIMIT_SOCKET_EVENTS_PER_SECOND: "100000",
    RATE_LIMIT_UPLOADS_PER_MINUTE: "100000",
    ...options.env,
  });
  const { env: _env, database: _db, ...confabOptions } = options;
  const confab = await createConfab({
    config,
    logger: createLogger(process.env.TEST_LOG_LEVEL ?? "silent"),
    serveClientExample: false,
    shutdownGraceMs: 200,
    ...confabOptions,
  });
  const address = await confab.listen(0, "127.0.0.1");
  const ownsDatabase = !options.database;
  return {
    confab,
    url: `http://127.0.0.1:${address.port}`,
    database,
    token: (sub, o = {}) =>
      confab.signer!.mint({
        sub,
        role: o.role ?? "user",
        name: o.name,
        expiresInSeconds: o.expiresInSeconds,
      }),
    async close() {
      await confab.close();
      if (ownsDatabase) await database.drop();
      await rm(dataDir, { recursive: true, force: true });
    },
  };
}
