/**
 * How long the answer of a node killed with SIGKILL stays `streaming`, with the default lease (10 s)
 * and sweep (5 s). `npm run bench:dead-node`. Two server processes on PostgreSQL and Redis.
 */
import { randomBytes } from "node:crypto";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { TokenSigner } from "../../src/auth/token-signer.js";
import { call, connect, nextEvent } from "../support/clients.js";
import { REDIS_URL } from "../support/cluster.js";
import { createConversation } from "../support/conversations.js";
import { createTestDatabase } from "../support/database.js";
import { rest } from "../support/rest.js";
import { startServerProcess } from "../support/server-process.js";

const secret = "bench-secret-that-is-long-enough-for-hs256!";
const signer = new TokenSigner(secret, "HS256");
const database = await createTestDatabase();
const dataDir = await mkdtemp(path.join(tmpdir(), "confab-bench-"));
const env = {
  DATABASE_URL: database.url,
  REDIS_URL,
  REDIS_KEY_PREFIX: `confab-bench-${randomBytes(4).toString("hex")}`,
  JWT_SECRET: secret,
  DATA_DIR: dataDir,
  DEMO_WORD_DELAY_MS: "200",
};
const [a, b] = [await startServerProcess(env), await startServerProcess(env)];
try {
  const token = signer.mint({ sub: "bench" });
  const samples: number[] = [];
  for (let round = 0; round < 3; round++) {
    const writer = round === 0 ? a : await startServerProcess(env);
    const conversationId = (await createConversation(rest(b.url, token))).id;
    const watcher = await connect(b.url, token);
    await call(watcher, "conversation:join", { conversationId });
    const failed = nextEvent(watcher, "assistant:error");
    const socket = await connect(writer.url, token);
    await call(socket, "message:send", { conversationId, content: "a long answer" });
    await new Promise((r) => setTimeout(r, 1500));
    await writer.stop("SIGKILL");
    const killedAt = performance.now();
    const event = await failed;
    samples.push((performance.now() - killedAt) / 1000);
    console.log(
      `round ${round + 1}: streaming for ${samples.at(-1)!.toFixed(1)} s after SIGKILL; kept ${event.message.content.length} chars`,
    );
    watcher.close();
    socket.close();
  }
  console.log(`dead node's answer stayed streaming: ${samples.map((s) => s.toFixed(1)).join(", ")} s`);
} finally {
  await a.stop("SIGKILL");
  await b.stop("SIGKILL");
  await database.drop();
  await rm(dataDir, { recursive: true, force: true });
}
