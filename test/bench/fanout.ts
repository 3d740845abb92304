/**
 * Fan-out against the thinnest possible relay (`npm run bench:fanout`): one vendor stream of CHUNKS
 * chunks, sent as fast as the vendor can, to TABS tabs, by Confab and by a bare relay (the official
 * openai client into a bare socket.io room), each in its own process, side by side in one run.
 * Per chunk (STREAM_FLUSH_MS=0) and coalesced (the default 30), on one node and on two (the tabs on
 * the node that does not write, so every event crosses Redis). Prints the speed ratio and the CPU the
 * writing process spent. Nothing is asserted.
 */
import { randomBytes } from "node:crypto";
import { io, type Socket } from "socket.io-client";
import { TokenSigner } from "../../src/auth/token-signer.js";
import type { AgentResource, ConversationResource } from "../../src/protocol/index.js";
import { REDIS_URL } from "../support/cluster.js";
import { connect, call, observeAnswer } from "../support/clients.js";
import { createTestDatabase } from "../support/database.js";
import { rest } from "../support/rest.js";
import { startServerProcess, type ServerProcess } from "../support/server-process.js";
import { cpuSeconds, fmt, startChild, type Child } from "./support/processes.js";

const TABS = Number(process.env.BENCH_TABS ?? 20);
const CHUNKS = Number(process.env.BENCH_CHUNKS ?? 3000);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const SECRET = "bench-secret-that-is-long-enough-for-hs256!";
const signer = new TokenSigner(SECRET, "HS256");
const token = (sub: string, role: "user" | "admin" = "user") =>
  signer.mint({ sub, role, expiresInSeconds: 3600 });

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

async function confabRound(writer: ServerProcess, reader: ServerProcess, agentId: string) {
  const api = rest(writer.url, token("fan"));
  const c = (await api.post<ConversationResource>("/api/v1/conversations", { agentId, title: "fan-out" }))
    .body.id;
  const tabs = await Promise.all(Array.from({ length: TABS }, () => connect(reader.url, token("fan"))));
  for (const t of tabs) await call(t, "conversation:join", { conversationId: c });
  const sender = await connect(writer.url, token("fan"));
  const cpu = cpuSeconds(writer.child.pid!);
  const started = performance.now();
  const answers = tabs.map((t) => observeAnswer(t, c));
  await call(sender, "message:send", { conversationId: c, content: "go" });
  const observed = await Promise.all(answers);
  const seconds = (performance.now() - started) / 1000;
  const exact = observed.every(
    (o) => o.text === o.end.message.content && o.end.message.status === "complete",
  );
  for (const s of [...tabs, sender]) s.close();
  return { seconds, cpu: cpuSeconds(writer.child.pid!) - cpu, exact };
}

async function relayRound(writer: Child, reader: Child) {
  const room = randomBytes(4).toString("hex");
  const open = (url: string) =>
    new Promise<Socket>((resolve) => {
      const s = io(url, { transports: ["websocket"], forceNew: true });
      s.once("connect", () => resolve(s));
    });
  const tabs = await Promise.all(Array.from({ length: TABS }, () => open(reader.url)));
  for (const t of tabs) await new Promise<void>((r) => t.emit("join", { room }, r));
  const sender = await open(writer.url);
  const cpu = cpuSeconds(writer.child.pid!);
  const started = performance.now();
  const done = tabs.map(
    (t) =>
      new Promise<number>((resolve) => {
        let count = 0;
        t.on("delta", () => count++);
        t.once("done", () => resolve(count));
      }),
  );
  sender.emit("go", { room, model: `bench-${CHUNKS}-0` }, () => undefined);
  const counts = await Promise.all(done);
  const seconds = (performance.now() - started) / 1000;
  for (const s of [...tabs, sender]) s.close();
  return { seconds, cpu: cpuSeconds(writer.child.pid!) - cpu, exact: counts.every((n) => n === CHUNKS) };
}

const vendor = await startChild("test/bench/support/vendor-process.ts");
const database = await createTestDatabase();
const results: string[] = [];
try {
  for (const nodes of [1, 2] as const) {
    for (const flush of ["0", "30"]) {
      const prefix = `bench-${randomBytes(3).toString("hex")}`;
      const env = {
        DATABASE_URL: database.url,
        JWT_SECRET: SECRET,
        OPENAI_API_KEY: "bench",
        OPENAI_BASE_URL: `${vendor.url}/v1`,
        STREAM_FLUSH_MS: flush,
        LOG_LEVEL: "info",
        RATE_LIMIT_MESSAGES_PER_MINUTE: "100000",
        RATE_LIMIT_REQUESTS_PER_MINUTE: "100000",
        RATE_LIMIT_CONNECTIONS_PER_MINUTE: "100000",
        ...(nodes === 2 ? { REDIS_URL, REDIS_KEY_PREFIX: prefix } : {}),
      };
      const servers = [await startServerProcess(env)];
      if (nodes === 2) servers.push(await startServerProcess(env));
      const relayEnv = {
        VENDOR_URL: `${vendor.url}/v1`,
        ...(nodes === 2 ? { REDIS_URL, REDIS_KEY_PREFIX: `${prefix}-relay` } : {}),
      };
      const relays = [await startChild("test/bench/support/relay-process.ts", relayEnv)];
      if (nodes === 2) relays.push(await startChild("test/bench/support/relay-process.ts", relayEnv));
      try {
        const writer = servers[0]!;
        const reader = servers[nodes - 1]!;
        const agent = await rest(writer.url, token("ops", "admin")).post<AgentResource>(
          "/api/v1/admin/agents",
          {
            name: "bench",
            provider: "openai",
            model: `bench-${CHUNKS}-0`,
            conversationMemoryEnabled: false,
            maxConversationTokens: 10_000_000,
          },
        );
        await confabRound(writer, reader, agent.body.id); // warm up
        await relayRound(relays[0]!, relays[nodes - 1]!);
        const confab = [];
        const relay = [];
        for (let i = 0; i < ROUNDS; i++) {
          confab.push(await confabRound(writer, reader, agent.body.id));
          relay.push(await relayRound(relays[0]!, relays[nodes - 1]!));
        }
        const c = median(confab.map((r) => r.seconds));
        const r = median(relay.map((x) => x.seconds));
        const line =
          `${nodes} node${nodes > 1 ? "s" : ""}, ${flush === "0" ? "per chunk" : "coalesced (30 ms)"}: ` +
          `Confab ${fmt(CHUNKS / c, 0)} chunks/s, relay ${fmt(CHUNKS / r, 0)} chunks/s → ${fmt(r / c, 2)}× the relay; ` +
          `writer CPU ${fmt(median(confab.map((x) => x.cpu)), 2)} s vs ${fmt(median(relay.map((x) => x.cpu)), 2)} s; ` +
          `all tabs exact: ${confab.every((x) => x.exact) && relay.every((x) => x.exact)}`;
        console.log(line);
        results.push(line);
      } finally {
        for (const s of servers) await s.stop();
        for (const x of relays) await x.stop();
      }
    }
  }
} finally {
  await vendor.stop();
  await database.drop();
}
console.log(`\n${TABS} tabs, ${CHUNKS} chunks, median of ${ROUNDS} rounds`);
