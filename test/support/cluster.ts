import { randomBytes } from "node:crypto";
import type { ChatModel } from "../../src/providers/chat-model.js";
import { createTestDatabase } from "./database.js";
import { startTestServer, type TestServer } from "./test-server.js";

export const REDIS_URL = process.env.TEST_REDIS_URL ?? "redis://127.0.0.1:6379";

export interface TestCluster {
  nodes: TestServer[];
  prefix: string;
  close(): Promise<void>;
}

/**
 * Several Confab nodes in this process, each with its own Socket.IO server, Redis connections and
 * database pool, sharing one fresh database and one Redis under a prefix of their own.
 */
export async function startCluster(
  size: number,
  options: {
    env?: Record<string, string>;
    chatModels?: (index: number) => Partial<Record<"demo", ChatModel>>;
  } = {},
): Promise<TestCluster> {
  const database = await createTestDatabase();
  const prefix = `confab-test-${randomBytes(4).toString("hex")}`;
  const nodes: TestServer[] = [];
  for (let i = 0; i < size; i++) {
    nodes.push(
      await startTestServer({
        database,
        env: { REDIS_URL, REDIS_KEY_PREFIX: prefix, ...options.env },
        ...(options.chatModels ? { chatModels: options.chatModels(i) } : {}),
      }),
    );
  }
  return {
    nodes,
    prefix,
    async close() {
      for (const node of nodes) await node.close();
      await database.drop();
    },
  };
}
