/**
 * Many live answers on one node (`npm run bench:load`): ANSWERS conversations answering at once, one
 * tab each, each answer CHUNKS chunks at CHUNK_MS apart from a vendor in a process of its own (the
 * official openai client reading it). Without Redis, then with Redis (a private redis-server, so its
 * commands can be counted). Prints failed answers, send-to-ack and chunk-to-tab delay percentiles,
 * the longest event-loop delay, SQL statements per turn (and checkpoint statements apart), and Redis
 * commands per delta. Nothing is asserted.
 */
import { monitorEventLoopDelay } from "node:perf_hooks";
import { Redis } from "ioredis";
import type { AgentResource, ConversationResource } from "../../src/protocol/index.js";
import { call, connect, observeAnswer, request } from "../support/clients.js";
import { createTestDatabase } from "../support/database.js";
import { PrivateRedis } from "../support/private-redis.js";
import { rest } from "../support/rest.js";
import { startTestServer } from "../support/test-server.js";
import { fmt, percentile, startChild } from "./support/processes.js";

const ANSWERS = Number(process.env.BENCH_ANSWERS ?? 500);
const CHUNKS = Number(process.env.BENCH_CHUNKS ?? 200);
const CHUNK_MS = Number(process.env.BENCH_CHUNK_MS ?? 20);

/** Counts what Redis has processed, from its own statistics. */
async function redisCommands(url: string): Promise<number> {
  const client = new Redis(url);
  const info = await client.info("stats");
  await client.quit();
  return Number(/total_commands_processed:(\d+)/.exec(info)?.[1] ?? 0);
}

async function run(withRedis: boolean) {
  const vendor = await startChild("test/bench/support/vendor-process.ts");
  const redis = withRedis ? await PrivateRedis.start() : undefined;
  const database = await createTestDatabase();
  const server = await startTestServer({
    database,
    env: {
      OPENAI_API_KEY: "bench",
      OPENAI_BASE_URL: `${vendor.url}/v1`,
      ...(redis ? { REDIS_URL: redis.url, REDIS_KEY_PREFIX: "load" } : {}),
    },
  });
  let statements = 0;
  let checkpoints = 0;
  server.confab.db.sequelize.addHook("afterQuery", "count", (_options, query) => {
    const raw = (query as unknown as { sql?: unknown }).sql;
    const sql = typeof raw === "string" ? raw : "";
    if (/UPDATE messages[\s\S]*SET content[\s\S]*streaming/i.test(sql)) checkpoints++;
    else statements++;
  });
  try {
    const admin = rest(server.url, server.token("ops", { role: "admin" }));
    const agent = await admin.post<AgentResource>("/api/v1/admin/agents", {
      name: "load",
      provider: "openai",
      model: `bench-${CHUNKS}-${CHUNK_MS}`,
      conversationMemoryEnabled: false,
      maxConversationTokens: 10_000_000,
    });
    const users = Array.from({ length: ANSWERS }, (_, i) => `load-${i}`);
    const conversations: string[] = [];
    for (const u of users) {
      // Titled, so that no title is generated: the turns measured are answers only.
      const c = await rest(server.url, server.token(u)).post<ConversationResource>("/api/v1/conversations", {
        agentId: agent.body.id,
        title: "load",
      });
      conversations.push(c.body.id);
    }
    const tabs = await Promise.all(users.map((u) => connect(server.url, server.token(u))));
    for (const [i, t] of tabs.entries())
      await call(t, "conversation:join", { conversationId: conversations[i]! });

    const delays: number[] = [];
    for (const t of tabs) {
      t.on("assistant:delta", (e) => {
        const now = Date.now();
        for (const m of e.delta.matchAll(/t(\d+);/g)) delays.push(now - Number(m[1]));
      });
    }
    const commandsBefore = redis ? await redisCommands(redis.url) : 0;
    statements = 0;
    checkpoints = 0;
    const lag = monitorEventLoopDelay({ resolution: 10 });
    lag.enable();
    const started = performance.now();
    const answers = tabs.map((t, i) => observeAnswer(t, conversations[i]!));
    const sendTimes: number[] = [];
    const acks = await Promise.all(
      tabs.map(async (t, i) => {
        const at = performance.now();
        const ack = await request(t, "message:send", { conversationId: conversations[i]!, content: "go" });
        sendTimes.push(performance.now() - at);
        return ack;
      }),
    );
    const refused = acks.filter((a) => !a.ok);
    const observed = await Promise.all(answers.filter((_, i) => acks[i]!.ok));
    const seconds = (performance.now() - started) / 1000;
    lag.disable();
    const failed = observed.filter((o) => o.end.message.status !== "complete").length + refused.length;
    const deltas = observed.reduce((n, o) => n + o.deltas.length, 0);
    const exact = observed.every((o) => o.text === o.end.message.content);
    const commands = redis ? (await redisCommands(redis.url)) - commandsBefore : 0;
    for (const t of tabs) t.close();
    return {
      line:
        `${withRedis ? "with Redis   " : "without Redis"}: ${failed} of ${ANSWERS} failed` +
        (refused.length
          ? ` (${refused.length} sends refused: ${[...new Set(refused.map((r) => (r.ok ? "" : r.error.code)))].join(", ")})`
          : "") +
        `; send→ack p50 ${fmt(percentile(sendTimes, 50), 0)} ms; chunk→tab p50 ${fmt(percentile(delays, 50), 0)} ms, ` +
        `p99 ${fmt(percentile(delays, 99), 0)} ms; event-loop delay max ${fmt(lag.max / 1e6, 0)} ms; ` +
        `all ${ANSWERS} answers ended in ${fmt(seconds, 1)} s (each ${fmt((CHUNKS * CHUNK_MS) / 1000, 1)} s of vendor stream); ` +
        `${fmt(statements / ANSWERS, 1)} SQL statements per turn + ${checkpoints} checkpoint statements` +
        (redis
          ? `; ${fmt(commands / Math.max(1, deltas), 2)} Redis commands per delta (${deltas} deltas)`
          : "") +
        `; tabs exact: ${exact}`,
    };
  } finally {
    await server.close();
    await database.drop();
    await vendor.stop();
    await redis?.kill();
  }
}

const lines = [(await run(false)).line, (await run(true)).line];
console.log(`\n${ANSWERS} concurrent answers of ${CHUNKS} chunks, ${CHUNK_MS} ms apart:`);
for (const l of lines) console.log(l);
