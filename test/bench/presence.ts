/**
 * What presence and typing cost, and how long a dead node's users stay online, with the default
 * presence lifetime (45 s, renewed every 15 s). `npm run bench:presence`. Two server processes on
 * PostgreSQL and a private redis-server, so that every Redis command counted is theirs; asserts
 * nothing.
 */
import { randomBytes } from "node:crypto";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { Redis } from "ioredis";
import { TokenSigner } from "../../src/auth/token-signer.js";
import { call, connect, nextEvent, type ChatClient } from "../support/clients.js";
import { createConversation } from "../support/conversations.js";
import { createTestDatabase } from "../support/database.js";
import { PrivateRedis } from "../support/private-redis.js";
import { rest } from "../support/rest.js";
import { startServerProcess, type ServerProcess } from "../support/server-process.js";

const secret = "bench-secret-that-is-long-enough-for-hs256!";
const signer = new TokenSigner(secret, "HS256");
const redis = await PrivateRedis.start();
const database = await createTestDatabase();
const dataDir = await mkdtemp(path.join(tmpdir(), "confab-bench-"));
const env = {
  DATABASE_URL: database.url,
  REDIS_URL: redis.url,
  REDIS_KEY_PREFIX: `confab-bench-${randomBytes(4).toString("hex")}`,
  JWT_SECRET: secret,
  DATA_DIR: dataDir,
};
const counter = new Redis(redis.url);
const commands = async () =>
  Number(/total_commands_processed:(\d+)/.exec(await counter.info("stats"))?.[1] ?? 0);
const settle = () => new Promise((r) => setTimeout(r, 300));

/** The Redis commands `work` causes (the INFO that measures it left out), once things settle. */
async function cost(work: () => Promise<unknown>): Promise<number> {
  await settle();
  const before = await commands();
  await work();
  await settle();
  return (await commands()) - before - 1;
}

const processes: ServerProcess[] = [];
const sockets: ChatClient[] = [];
try {
  const [a, b] = [await startServerProcess(env), await startServerProcess(env)];
  processes.push(a, b);
  const owner = rest(b.url, signer.mint({ sub: "dana" }));
  const conversationId = (await createConversation(owner)).id;
  await owner.post(`/api/v1/conversations/${conversationId}/members`, {
    userId: "emil",
    role: "participant",
  });
  const tab = async (p: ServerProcess, sub: string) => {
    const s = await connect(p.url, signer.mint({ sub, name: sub }));
    sockets.push(s);
    return s;
  };
  const dana = await tab(b, "dana");
  await call(dana, "conversation:join", { conversationId });

  const idle = await cost(() => new Promise((r) => setTimeout(r, 2000)));
  const rows: [string, number][] = [];
  for (let round = 0; round < 3; round++) {
    const emil = await tab(a, "emil");
    const emil2 = await tab(a, "emil");
    rows.push([
      "a user's first tab joins (presence changes)",
      await cost(() => call(emil, "conversation:join", { conversationId })),
    ]);
    rows.push([
      "a second tab of the same user joins (no change)",
      await cost(() => call(emil2, "conversation:join", { conversationId })),
    ]);
    rows.push([
      "typing starts (relayed to the other node)",
      await cost(async () => {
        const seen = nextEvent(dana, "typing", (e) => e.typing);
        emil.emit("typing", { conversationId, typing: true });
        await seen;
      }),
    ]);
    rows.push([
      "typing renewed (nothing relayed)",
      await cost(() => Promise.resolve(emil.emit("typing", { conversationId, typing: true }))),
    ]);
    rows.push([
      "typing ends",
      await cost(async () => {
        const seen = nextEvent(dana, "typing", (e) => !e.typing);
        emil.emit("typing", { conversationId, typing: false });
        await seen;
      }),
    ]);
    rows.push([
      "a tab closes, another of the user stays (no change)",
      await cost(() => Promise.resolve(emil2.close())),
    ]);
    rows.push([
      "the user's last tab closes (presence changes)",
      await cost(async () => {
        const gone = nextEvent(dana, "presence:update", (e) => !e.online.some((u) => u.userId === "emil"));
        emil.close();
        await gone;
      }),
    ]);
  }
  console.log(`idle, two nodes, one tab: ${idle} Redis commands in 2 s`);
  const byEvent = new Map<string, number[]>();
  for (const [event, n] of rows) byEvent.set(event, [...(byEvent.get(event) ?? []), n]);
  for (const [event, samples] of byEvent) console.log(`${event}: ${samples.join(", ")} Redis commands`);

  // A node dies with a user present: how long the others still see that user online.
  const offline: number[] = [];
  for (let round = 0; round < 2; round++) {
    const doomed = await startServerProcess(env);
    processes.push(doomed);
    const emil = await tab(doomed, "emil");
    const comes = nextEvent(dana, "presence:update", (e) => e.online.some((u) => u.userId === "emil"));
    await call(emil, "conversation:join", { conversationId });
    await comes;
    const goes = nextEvent(dana, "presence:update", (e) => !e.online.some((u) => u.userId === "emil"));
    await doomed.stop("SIGKILL");
    const killedAt = performance.now();
    await goes;
    offline.push((performance.now() - killedAt) / 1000);
    console.log(`round ${round + 1}: a killed node's user stayed online ${offline.at(-1)!.toFixed(1)} s`);
  }
} finally {
  for (const s of sockets) s.close();
  for (const p of processes) await p.stop("SIGKILL").catch(() => undefined);
  await counter.quit();
  await redis.kill();
  await database.drop();
  await rm(dataDir, { recursive: true, force: true });
}
