import { createTestDatabase, type TestDatabase } from "./database.js";
import { TcpProxy } from "./tcp-proxy.js";
import { startTestServer, type TestServer } from "./test-server.js";

/** A node on a fresh database of its own, which it reaches through a proxy the test can cut or freeze. */
export interface ServerBehindProxy {
  server: TestServer;
  /** Between the node and the machine's PostgreSQL. */
  proxy: TcpProxy;
  database: TestDatabase;
  /** Lets the database through again, then closes the node and the proxy and drops the database. */
  close(): Promise<void>;
}

export async function startServerBehindProxy(
  options: Omit<NonNullable<Parameters<typeof startTestServer>[0]>, "database"> = {},
): Promise<ServerBehindProxy> {
  const database = await createTestDatabase();
  const proxy = await TcpProxy.start("127.0.0.1", 5432);
  const server = await startTestServer({
    ...options,
    database,
    env: { ...options.env, DATABASE_URL: proxy.urlThrough(database.url) },
  });
  return {
    server,
    proxy,
    database,
    async close() {
      proxy.restore();
      proxy.thaw();
      await server.close();
      await proxy.close();
      await database.drop();
    },
  };
}
