/**
 * A burst of sends against the thinnest possible relay (`npm run bench:burst`), Confab and the relay
 * each in a process of their own, one vendor process, side by side in one run:
 *
 * - burst: BURST conversations (one tab each) send at the same moment; each answer BURST_CHUNKS
 *   chunks, BURST_CHUNK_MS apart (coalesced deltas, the default STREAM_FLUSH_MS). Prints send → first
 *   delta p50 and p99, chunk → tab p99 and failed answers, for both, and Confab's ratios.
 * - short answers: SHORT conversations × SHORT_TABS tabs, each answer SHORT_CHUNKS chunks sent as fast
 *   as the vendor can, per chunk (STREAM_FLUSH_MS=0): chunks delivered to tabs per second, and the
 *   ratio to the relay's (the cost of an answer: its start, its storing).
 *
 * Conversations are titled, so no title is generated: what is measured is answers only. Each round
 * runs Confab, then the relay; the figures are per round. Nothing is asserted.
 */
import { randomBytes } from "node:crypto";
import { readFileSync } from "node:fs";
import { io, type Socket } from "socket.io-client";
import { TokenSigner } from "../../src/auth/token-signer.js";
import type { AgentResource, ConversationResource } from "../../src/protocol/index.js";
import { call, connect, observeAnswer, request, type ChatClient } from "../support/clients.js";
import { createTestDatabase } from "../support/database.js";
import { rest } from "../support/rest.js";
import { startServerProcess, type ServerProcess } from "../support/server-process.js";
import { fmt, percentile, startChild, type Child } from "./support/processes.js";

const BURST = Number(process.env.BENCH_BURST ?? 500);
const BURST_CHUNKS = Number(process.env.BENCH_BURST_CHUNKS ?? 200);
const BURST_CHUNK_MS = Number(process.env.BENCH_BURST_CHUNK_MS ?? 20);
const SHORT = Number(process.env.BENCH_SHORT ?? 100);
const SHORT_TABS = Number(process.env.BENCH_SHORT_TABS ?? 3);
const SHORT_CHUNKS = Number(process.env.BENCH_SHORT_CHUNKS ?? 200);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 2);
const ONLY = process.env.BENCH_ONLY ?? "";
const SECRET = "bench-secret-that-is-long-enough-for-hs256!";
const signer = new TokenSigner(SECRET, "HS256");
const token = (sub: string, role: "user" | "admin" = "user") =>
  signer.mint({ sub, role, expiresInSeconds: 7200 });

/** What one side measured of one burst. */
interface BurstFigures {
  /** Send → first delta, per answer (ms). */
  first: number[];
  /** Vendor chunk → tab, per chunk (ms). */
  chunk: number[];
  failed: number;
  /** Why answers failed: refusal codes, or the ended answer's status. */
  why: Set<string>;
  seconds: number;
}

/** The delays of the `t<epoch ms>;` markers in a delta, from now. */
function chunkDelays(delta: string, into: number[]): number {
  const now = Date.now();
  let n = 0;
  for (const m of delta.matchAll(/t(\d+);/g)) {
    into.push(now - Number(m[1]));
    n++;
  }
  return n;
}

/** CPU seconds (user + system) a process has used so far. */
function cpuSeconds(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1]!.split(" ");
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

/** What one side measured of a round of short answers. */
interface ShortFigures {
  /** Chunks delivered to tabs per second. */
  rate: number;
  /** CPU seconds the server process spent per 1,000 chunks delivered. */
  cpuPerThousand: number;
  exact: boolean;
}

const openRelayTab = (url: string) =>
  new Promise<Socket>((resolve) => {
    const s = io(url, { transports: ["websocket"], forceNew: true });
    s.once("connect", () => resolve(s));
  });

/** Confab's side: conversations of one agent, each with its tabs, joined. */
class ConfabSide {
  private constructor(
    readonly server: ServerProcess,
    private readonly agents: Map<string, string>,
  ) {}

  static async start(env: Record<string, string>): Promise<ConfabSide> {
    const server = await startServerProcess(env);
    return new ConfabSide(server, new Map());
  }

  private async agent(model: string): Promise<string> {
    const known = this.agents.get(model);
    if (known) return known;
    const agent = await rest(this.server.url, token("ops", "admin")).post<AgentResource>(
      "/api/v1/admin/agents",
      {
        name: `burst-${model}`,
        provider: "openai",
        model,
        conversationMemoryEnabled: false,
        maxConversationTokens: 10_000_000,
      },
    );
    if (agent.status !== 201) throw new Error(`agent: ${agent.status} ${JSON.stringify(agent.body)}`);
    this.agents.set(model, agent.body.id);
    return agent.body.id;
  }

  /** `count` conversations (each its own user) with `tabs` joined tabs each. */
  async open(count: number, tabs: number, model: string) {
    const agentId = await this.agent(model);
    const tag = randomBytes(3).toString("hex");
    const rooms: { conversationId: string; tabs: ChatClient[] }[] = [];
    for (let i = 0; i < count; i++) {
      const user = `burst-${tag}-${i}`;
      const c = await rest(this.server.url, token(user)).post<ConversationResource>("/api/v1/conversations", {
        agentId,
        title: "burst",
      });
      if (c.status !== 201) throw new Error(`conversation: ${c.status} ${JSON.stringify(c.body)}`);
      const open = await Promise.all(
        Array.from({ length: tabs }, () => connect(this.server.url, token(user))),
      );
      for (const t of open) await call(t, "conversation:join", { conversationId: c.body.id });
      rooms.push({ conversationId: c.body.id, tabs: open });
    }
    return rooms;
  }

  async burst(count: number, model: string): Promise<BurstFigures> {
    const rooms = await this.open(count, 1, model);
    const figures: BurstFigures = { first: [], chunk: [], failed: 0, why: new Set(), seconds: 0 };
    const started = performance.now();
    const runs = rooms.map(async ({ conversationId, tabs: [tab] }) => {
      const answer = observeAnswer(tab!, conversationId);
      let sentAt = 0;
      let first = true;
      tab!.on("assistant:delta", (e) => {
        if (chunkDelays(e.delta, figures.chunk) > 0 && first) {
          first = false;
          figures.first.push(performance.now() - sentAt);
        }
      });
      sentAt = performance.now();
      const ack = await request(tab!, "message:send", { conversationId, content: "go" });
      if (!ack.ok) {
        figures.failed++;
        figures.why.add(ack.error.code);
        return;
      }
      const observed = await answer;
      if (observed.end.message.status !== "complete" || observed.text !== observed.end.message.content) {
        figures.failed++;
        figures.why.add(
          observed.end.kind === "error" ? (observed.end.error?.code ?? "error") : observed.end.message.status,
        );
      }
    });
    await Promise.all(runs);
    figures.seconds = (performance.now() - started) / 1000;
    for (const r of rooms) for (const t of r.tabs) t.close();
    return figures;
  }

  /** Chunks delivered per second to every tab, and whether every tab got every answer exactly. */
  async short(count: number, tabs: number, chunks: number): Promise<ShortFigures> {
    const rooms = await this.open(count, tabs, `bench-${chunks}-0`);
    const cpu = cpuSeconds(this.server.child.pid!);
    const started = performance.now();
    const observed = rooms.map((r) => Promise.all(r.tabs.map((t) => observeAnswer(t, r.conversationId))));
    // The tabs' users send: each room's first tab.
    const acks = await Promise.all(
      rooms.map((r) =>
        request(r.tabs[0]!, "message:send", { conversationId: r.conversationId, content: "go" }),
      ),
    );
    const answers = (await Promise.all(observed)).flat();
    const seconds = (performance.now() - started) / 1000;
    const used = cpuSeconds(this.server.child.pid!) - cpu;
    const delivered = answers.reduce((n, o) => n + (o.text.match(/t\d+;/g)?.length ?? 0), 0);
    const exact =
      acks.every((a) => a.ok) &&
      answers.every((o) => o.end.message.status === "complete" && o.text === o.end.message.content);
    for (const r of rooms) for (const t of r.tabs) t.close();
    return { rate: delivered / seconds, cpuPerThousand: (used * 1000) / delivered, exact };
  }
}

/** The relay's side: rooms of tabs, each answer one `go`. */
class RelaySide {
  constructor(readonly relay: Child) {}

  private async open(count: number, tabs: number) {
    const rooms: { room: string; tabs: Socket[] }[] = [];
    for (let i = 0; i < count; i++) {
      const room = randomBytes(6).toString("hex");
      const open = await Promise.all(Array.from({ length: tabs }, () => openRelayTab(this.relay.url)));
      for (const t of open) await new Promise<void>((r) => t.emit("join", { room }, r));
      rooms.push({ room, tabs: open });
    }
    return rooms;
  }

  async burst(count: number, model: string): Promise<BurstFigures> {
    const rooms = await this.open(count, 1);
    const figures: BurstFigures = { first: [], chunk: [], failed: 0, why: new Set(), seconds: 0 };
    const started = performance.now();
    await Promise.all(
      rooms.map(
        ({ room, tabs: [tab] }) =>
          new Promise<void>((resolve) => {
            let sentAt = 0;
            let first = true;
            tab!.on("delta", ({ delta }: { delta: string }) => {
              if (chunkDelays(delta, figures.chunk) > 0 && first) {
                first = false;
                figures.first.push(performance.now() - sentAt);
              }
            });
            tab!.once("done", () => resolve());
            sentAt = performance.now();
            tab!.emit("go", { room, model }, () => undefined);
          }),
      ),
    );
    figures.seconds = (performance.now() - started) / 1000;
    for (const r of rooms) for (const t of r.tabs) t.close();
    return figures;
  }

  async short(count: number, tabs: number, chunks: number): Promise<ShortFigures> {
    const rooms = await this.open(count, tabs);
    const cpu = cpuSeconds(this.relay.child.pid!);
    const started = performance.now();
    const counts = await Promise.all(
      rooms.flatMap(({ room, tabs: open }) => {
        const done = open.map(
          (t) =>
            new Promise<number>((resolve) => {
              let n = 0;
              t.on("delta", () => n++);
              t.once("done", () => resolve(n));
            }),
        );
        open[0]!.emit("go", { room, model: `bench-${chunks}-0` }, () => undefined);
        return done;
      }),
    );
    const seconds = (performance.now() - started) / 1000;
    const used = cpuSeconds(this.relay.child.pid!) - cpu;
    for (const r of rooms) for (const t of r.tabs) t.close();
    const delivered = counts.reduce((a, b) => a + b, 0);
    return {
      rate: delivered / seconds,
      cpuPerThousand: (used * 1000) / delivered,
      exact: counts.every((n) => n === chunks),
    };
  }
}

const p = (xs: number[], q: number) => percentile(xs, q);

function burstLine(round: number, c: BurstFigures, r: BurstFigures): string {
  return (
    `burst round ${round}: send→first delta p50 Confab ${fmt(p(c.first, 50), 0)} ms, relay ${fmt(p(r.first, 50), 0)} ms ` +
    `(${fmt(p(c.first, 50) / p(r.first, 50), 2)}×); p99 ${fmt(p(c.first, 99), 0)} vs ${fmt(p(r.first, 99), 0)} ms ` +
    `(${fmt(p(c.first, 99) / p(r.first, 99), 2)}×); chunk→tab p99 ${fmt(p(c.chunk, 99), 0)} vs ${fmt(p(r.chunk, 99), 0)} ms ` +
    `(p50 ${fmt(p(c.chunk, 50), 0)} vs ${fmt(p(r.chunk, 50), 0)}); failed ${c.failed}${c.why.size ? ` (${[...c.why].join(", ")})` : ""} vs ${r.failed}; ` +
    `all ended in ${fmt(c.seconds, 1)} vs ${fmt(r.seconds, 1)} s`
  );
}

const vendor = await startChild("test/bench/support/vendor-process.ts");
const database = await createTestDatabase();
const lines: string[] = [];
const say = (line: string) => {
  console.log(line);
  lines.push(line);
};
try {
  const env = (flush: string) => ({
    DATABASE_URL: database.url,
    JWT_SECRET: SECRET,
    OPENAI_API_KEY: "bench",
    OPENAI_BASE_URL: `${vendor.url}/v1`,
    STREAM_FLUSH_MS: flush,
    ...(process.env.DATABASE_POOL_MAX ? { DATABASE_POOL_MAX: process.env.DATABASE_POOL_MAX } : {}),
    LOG_LEVEL: "info",
    RATE_LIMIT_MESSAGES_PER_MINUTE: "100000",
    RATE_LIMIT_REQUESTS_PER_MINUTE: "100000",
    RATE_LIMIT_CONNECTIONS_PER_MINUTE: "100000",
    // For profiling Confab alone, e.g. BENCH_CONFAB_NODE_OPTIONS="--cpu-prof --cpu-prof-dir=/tmp/prof".
    ...(process.env.BENCH_CONFAB_NODE_OPTIONS ? { NODE_OPTIONS: process.env.BENCH_CONFAB_NODE_OPTIONS } : {}),
  });
  const relay = new RelaySide(
    await startChild("test/bench/support/relay-process.ts", { VENDOR_URL: `${vendor.url}/v1` }),
  );
  try {
    if (ONLY !== "short") {
      const confab = await ConfabSide.start(env("30"));
      try {
        const model = `bench-${BURST_CHUNKS}-${BURST_CHUNK_MS}`;
        // Warm up: both sides' code paths compiled before anything is measured.
        await confab.burst(20, model);
        await relay.burst(20, model);
        for (let i = 1; i <= ROUNDS; i++) {
          const c = await confab.burst(BURST, model);
          const r = await relay.burst(BURST, model);
          say(burstLine(i, c, r));
        }
      } finally {
        await confab.server.stop();
      }
    }
    if (ONLY !== "burst") {
      const confab = await ConfabSide.start(env("0"));
      try {
        await confab.short(10, SHORT_TABS, SHORT_CHUNKS);
        await relay.short(10, SHORT_TABS, SHORT_CHUNKS);
        for (let i = 1; i <= ROUNDS; i++) {
          const c = await confab.short(SHORT, SHORT_TABS, SHORT_CHUNKS);
          const r = await relay.short(SHORT, SHORT_TABS, SHORT_CHUNKS);
          say(
            `short answers round ${i}: Confab ${fmt(c.rate, 0)} chunks/s to tabs, relay ${fmt(r.rate, 0)} → ` +
              `${fmt(c.rate / r.rate, 2)}× the relay; server CPU per 1,000 chunks ${fmt(c.cpuPerThousand * 1000, 0)} ms vs ` +
              `${fmt(r.cpuPerThousand * 1000, 0)} ms (relay/Confab ${fmt(r.cpuPerThousand / c.cpuPerThousand, 2)}×); ` +
              `all tabs exact: ${c.exact && r.exact}`,
          );
        }
      } finally {
        await confab.server.stop();
      }
    }
  } finally {
    await relay.relay.stop();
  }
} finally {
  await vendor.stop();
  await database.drop();
}
console.log(
  `\nburst: ${BURST} sends at once, ${BURST_CHUNKS} chunks ${BURST_CHUNK_MS} ms apart (coalesced); ` +
    `short answers: ${SHORT} conversations × ${SHORT_TABS} tabs × ${SHORT_CHUNKS} chunks, per chunk`,
);
for (const l of lines) console.log(l);
