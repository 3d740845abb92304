/**
 * What a node pays for rooms it does not hold (`npm run bench:cluster`): K node processes on one
 * Redis, ANSWERS conversations answering on node 1 (one tab each there), IDLE_TABS idle tabs on each
 * other node (in conversations of their own). Each node reaches Redis through a TCP proxy of its own,
 * which counts the bytes Redis sends it. For the classic adapter and the sharded one, side by side in
 * one run: each node's CPU and Redis bytes per delta while the answers stream, the idle nodes' as a
 * share of the busy node's. Then, with one node frozen (SIGSTOP), how long a join on another node and
 * a stop from there take. Nothing is asserted.
 */
import { randomBytes } from "node:crypto";
import { TokenSigner } from "../../src/auth/token-signer.js";
import type { AgentResource, ConversationResource } from "../../src/protocol/index.js";
import { call, connect, observeAnswer, seenText, type ChatClient } from "../support/clients.js";
import { REDIS_URL } from "../support/cluster.js";
import { createTestDatabase, type TestDatabase } from "../support/database.js";
import { rest } from "../support/rest.js";
import { startServerProcess, type ServerProcess } from "../support/server-process.js";
import { TcpProxy } from "../support/tcp-proxy.js";
import { cpuSeconds, fmt, startChild, type Child } from "./support/processes.js";

const K = Number(process.env.BENCH_NODES ?? 4);
const ANSWERS = Number(process.env.BENCH_ANSWERS ?? 100);
const IDLE_TABS = Number(process.env.BENCH_IDLE_TABS ?? 50);
const CHUNKS = Number(process.env.BENCH_CHUNKS ?? 200);
const CHUNK_MS = Number(process.env.BENCH_CHUNK_MS ?? 20);
const SECRET = "bench-secret-that-is-long-enough-for-hs256!";
const signer = new TokenSigner(SECRET, "HS256");
const token = (sub: string, role: "user" | "admin" = "user") =>
  signer.mint({ sub, role, expiresInSeconds: 3600 });
const redisPort = Number(new URL(REDIS_URL).port || 6379);

interface Node {
  process: ServerProcess;
  proxy: TcpProxy;
}

async function startNodes(env: Record<string, string>): Promise<Node[]> {
  const nodes: Node[] = [];
  for (let i = 0; i < K; i++) {
    const proxy = await TcpProxy.start("127.0.0.1", redisPort);
    nodes.push({
      process: await startServerProcess({ ...env, REDIS_URL: proxy.urlThrough(REDIS_URL) }),
      proxy,
    });
  }
  return nodes;
}

async function conversation(url: string, user: string, agentId: string): Promise<string> {
  const created = await rest(url, token(user)).post<ConversationResource>("/api/v1/conversations", {
    agentId,
    title: "cluster",
  });
  return created.body.id;
}

/** Tabs on `url`, each joined to a conversation of its own. */
async function joinedTabs(url: string, users: string[], agentId: string) {
  return Promise.all(
    users.map(async (user) => {
      const conversationId = await conversation(url, user, agentId);
      const tab = await connect(url, token(user));
      await call(tab, "conversation:join", { conversationId });
      return { tab, conversationId };
    }),
  );
}

/** With `frozen` stopped: a join on `joiner` of an answer written on `writer`, then a stop from there. */
async function frozenNodeTimes(writer: Node, joiner: Node, frozen: Node, agentId: string) {
  const conversationId = await conversation(writer.process.url, "frozen", agentId);
  const here = await connect(writer.process.url, token("frozen"));
  const there = await connect(joiner.process.url, token("frozen"));
  try {
    await call(here, "conversation:join", { conversationId });
    const seen = seenText(here, 40);
    const done = observeAnswer(here, conversationId);
    await call(here, "message:send", { conversationId, content: "go" });
    await seen.reached;
    frozen.process.child.kill("SIGSTOP");
    try {
      let at = performance.now();
      const joined = await call(there, "conversation:join", { conversationId });
      const joinMs = performance.now() - at;
      at = performance.now();
      const stopped = await call(there, "generation:stop", { conversationId });
      const stopMs = performance.now() - at;
      await done;
      return { joinMs, stopMs, snapshot: joined.generation !== null, stopped: stopped.stopped };
    } finally {
      frozen.process.child.kill("SIGCONT");
    }
  } finally {
    here.close();
    there.close();
  }
}

async function run(adapter: "classic" | "sharded", database: TestDatabase, vendor: Child) {
  const nodes = await startNodes({
    DATABASE_URL: database.url,
    JWT_SECRET: SECRET,
    OPENAI_API_KEY: "bench",
    OPENAI_BASE_URL: `${vendor.url}/v1`,
    REDIS_ADAPTER: adapter,
    REDIS_KEY_PREFIX: `bench-${randomBytes(3).toString("hex")}`,
    LOG_LEVEL: "info",
    RATE_LIMIT_MESSAGES_PER_MINUTE: "100000",
    RATE_LIMIT_REQUESTS_PER_MINUTE: "100000",
    RATE_LIMIT_CONNECTIONS_PER_MINUTE: "100000",
    RATE_LIMIT_SOCKET_EVENTS_PER_SECOND: "100000",
  });
  const tabs: ChatClient[] = [];
  try {
    const [busy, ...idle] = nodes as [Node, ...Node[]];
    const agent = await rest(busy.process.url, token("ops", "admin")).post<AgentResource>(
      "/api/v1/admin/agents",
      {
        name: "cluster",
        provider: "openai",
        model: `bench-${CHUNKS}-${CHUNK_MS}`,
        conversationMemoryEnabled: false,
        maxConversationTokens: 10_000_000,
      },
    );
    const agentId = agent.body.id;
    for (const [n, node] of idle.entries()) {
      const users = Array.from({ length: IDLE_TABS }, (_, i) => `idle-${n}-${i}`);
      tabs.push(...(await joinedTabs(node.process.url, users, agentId)).map((t) => t.tab));
    }
    const writers = await joinedTabs(
      busy.process.url,
      Array.from({ length: ANSWERS }, (_, i) => `busy-${i}`),
      agentId,
    );
    tabs.push(...writers.map((w) => w.tab));

    const cpuBefore = nodes.map((n) => cpuSeconds(n.process.child.pid!));
    const bytesBefore = nodes.map((n) => n.proxy.bytesFromTarget());
    const answers = writers.map((w) => observeAnswer(w.tab, w.conversationId));
    await Promise.all(
      writers.map((w) => call(w.tab, "message:send", { conversationId: w.conversationId, content: "go" })),
    );
    const observed = await Promise.all(answers);
    const cpu = nodes.map((n, i) => cpuSeconds(n.process.child.pid!) - cpuBefore[i]!);
    const bytes = nodes.map((n, i) => n.proxy.bytesFromTarget() - bytesBefore[i]!);
    const deltas = observed.reduce((sum, o) => sum + o.deltas.length, 0);
    const failed = observed.filter((o) => o.end.message.status !== "complete").length;
    const idleCpu = cpu.slice(1).reduce((a, b) => a + b, 0) / (K - 1);
    const idleBytes = bytes.slice(1).reduce((a, b) => a + b, 0) / (K - 1);
    const frozen = await frozenNodeTimes(busy, idle[0]!, idle.at(-1)!, agentId);
    return (
      `${adapter.padEnd(7)}: ${deltas} deltas, ${failed} failed; busy node ${fmt(cpu[0]!, 2)} s CPU, ` +
      `${fmt(bytes[0]! / deltas, 0)} Redis bytes per delta; each idle node (mean of ${K - 1}) ` +
      `${fmt(idleCpu, 2)} s CPU (${fmt((100 * idleCpu) / cpu[0]!, 1)}% of the busy node's), ` +
      `${fmt(idleBytes / deltas, 1)} bytes per delta (${fmt((100 * idleBytes) / bytes[0]!, 1)}%)` +
      `\n         with a node frozen: a join on another node ${fmt(frozen.joinMs, 0)} ms ` +
      `(snapshot: ${frozen.snapshot}), a stop from there ${fmt(frozen.stopMs, 0)} ms (stopped: ${frozen.stopped})`
    );
  } finally {
    for (const t of tabs) t.close();
    for (const n of nodes) {
      await n.process.stop();
      await n.proxy.close();
    }
  }
}

const vendor = await startChild("test/bench/support/vendor-process.ts");
const database = await createTestDatabase();
const lines: string[] = [];
try {
  for (const adapter of ["classic", "sharded"] as const) lines.push(await run(adapter, database, vendor));
} finally {
  await database.drop();
  await vendor.stop();
}
console.log(
  `\n${K} nodes, ${ANSWERS} answers of ${CHUNKS} chunks ${CHUNK_MS} ms apart on node 1, ` +
    `${IDLE_TABS} idle tabs on each other node:`,
);
for (const line of lines) console.log(line);
