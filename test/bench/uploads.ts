/**
 * Uploads (`npm run bench:uploads`): Confab in a process of its own (files-process.ts), once with
 * files in PostgreSQL and once in an S3 bucket (s3rver, a real S3-compatible server in a process of
 * its own). For each: the throughput of one 10 MB upload at a time (`POST /conversations/:id/files`),
 * then UPLOADS uploads of 10 MB at once; the server's RSS (read from /proc, so it is seen even while
 * its event loop is busy) and heap (asked over IPC) at rest and at their highest during them; and what
 * a user notices of the event loop: the round trip of `GET /healthz` on a kept-alive connection, and
 * the gaps between the deltas of an answer streaming in another conversation, at rest and during the
 * uploads. Nothing is asserted.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { readFile } from "node:fs/promises";
import path from "node:path";
import type { ConversationResource } from "../../src/protocol/index.js";
import type { AssistantDeltaEvent } from "../../src/protocol/events.js";
import { call, connect, type ChatClient } from "../support/clients.js";
import { rest } from "../support/rest.js";
import { S3RVER_CREDENTIALS, startS3Server, type S3Server } from "../support/s3-server.js";
import { PROJECT_ROOT } from "../support/server-process.js";
import { DEMO_AGENT_ID } from "../support/test-server.js";
import { fmt, percentile } from "./support/processes.js";

const MB = 1_000_000;
const FILE_BYTES = 10 * MB;
const UPLOADS = Number(process.env.BENCH_UPLOADS ?? 20);
const ONE_AT_A_TIME = Number(process.env.BENCH_SEQUENTIAL ?? 5);
const REST_MS = 3_000;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

interface Server {
  child: ChildProcess;
  url: string;
  ask<T>(message: { kind: string; sub?: string }): Promise<T>;
  stop(): Promise<void>;
}

async function startServer(env: Record<string, string>): Promise<Server> {
  const file = path.join(PROJECT_ROOT, "test/bench/support/files-process.ts");
  const nodeArgs = (process.env.BENCH_NODE_ARGS ?? "").split(" ").filter(Boolean);
  const child = spawn(process.execPath, [...nodeArgs, "--import", "tsx", file], {
    cwd: PROJECT_ROOT,
    env: { ...process.env, ...env },
    stdio: ["ignore", "pipe", "inherit", "ipc"],
  });
  // A listener refs the IPC channel: without one, nothing would keep this process waiting for the child.
  child.on("message", () => undefined);
  const port = await new Promise<number>((resolve, reject) => {
    let out = "";
    child.stdout!.on("data", (d: Buffer) => {
      out += d.toString();
      const m = /listening (\d+)/.exec(out);
      if (m) resolve(Number(m[1]));
      // The server's log (TEST_LOG_LEVEL=error to see why an upload failed).
      if (process.env.TEST_LOG_LEVEL) process.stderr.write(d);
    });
    child.once("exit", (code) => reject(new Error(`the server exited with ${code}`)));
  });
  // One question at a time, so that each answer is the one to its question.
  let queue = Promise.resolve();
  const ask = <T>(message: { kind: string; sub?: string }) => {
    const answer = queue.then(
      () =>
        new Promise<T>((resolve) => {
          child.once("message", (m) => resolve(m as T));
          child.send(message);
        }),
    );
    queue = answer.then(() => undefined);
    return answer;
  };
  return {
    child,
    url: `http://127.0.0.1:${port}`,
    ask,
    async stop() {
      const exited = new Promise((r) => child.once("exit", r));
      child.send({ kind: "stop" });
      await exited;
    },
  };
}

/** The uploading clients, in a process of their own; `go` sends the files and resolves with each one's ms. */
async function uploader(job: {
  url: string;
  token: string;
  conversationId: string;
  count: number;
  atOnce: boolean;
}): Promise<{ go: () => Promise<number[]> }> {
  const file = path.join(PROJECT_ROOT, "test/bench/support/uploader-process.ts");
  const child = spawn(
    process.execPath,
    ["--import", "tsx", file, JSON.stringify({ ...job, bytes: FILE_BYTES })],
    {
      cwd: PROJECT_ROOT,
      stdio: ["ignore", "pipe", "inherit", "ipc"],
    },
  );
  const failed = new Promise<never>((_, reject) =>
    child.once("exit", (code) => reject(new Error(`the uploader exited with ${code}`))),
  );
  await Promise.race([
    failed,
    new Promise<void>((resolve) =>
      child.stdout!.on("data", (d: Buffer) => /ready/.test(d.toString()) && resolve()),
    ),
  ]);
  return {
    go: () => {
      const answer = new Promise<number[]>((resolve) =>
        child.once("message", (m) => resolve((m as { times: number[] }).times)),
      );
      child.send("go");
      return Promise.race([answer, failed]);
    },
  };
}

/** Samples `measure` every `everyMs` until stopped; resolves with the samples. */
function sampler(measure: () => Promise<void>, everyMs: number): { stop: () => Promise<void> } {
  let running = true;
  const loop = (async () => {
    while (running) {
      await measure();
      await sleep(everyMs);
    }
  })();
  return {
    async stop() {
      running = false;
      await loop;
    },
  };
}

async function rssOf(pid: number): Promise<number> {
  const status = await readFile(`/proc/${pid}/status`, "utf8");
  return Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0) * 1024;
}

/** What a user sees while `work` runs: healthz round trips, gaps between deltas, the server's memory. */
async function observe(server: Server, socket: ChatClient, answerIn: string, work: () => Promise<unknown>) {
  const healthz: number[] = [];
  const gaps: number[] = [];
  let peakRss = 0;
  let peakHeap = 0;
  const pings = sampler(async () => {
    const started = performance.now();
    await (await fetch(`${server.url}/healthz`)).arrayBuffer();
    healthz.push(performance.now() - started);
  }, 20);
  const rss = sampler(async () => {
    peakRss = Math.max(peakRss, await rssOf(server.child.pid!));
  }, 25);
  const heap = sampler(async () => {
    peakHeap = Math.max(peakHeap, (await server.ask<{ heapUsed: number }>({ kind: "memory" })).heapUsed);
  }, 50);
  let last: { messageId: string; at: number } | undefined;
  const onDelta = (e: AssistantDeltaEvent) => {
    if (e.conversationId !== answerIn) return;
    const at = performance.now();
    if (last?.messageId === e.messageId) gaps.push(at - last.at);
    last = { messageId: e.messageId, at };
  };
  socket.on("assistant:delta", onDelta);
  // Answers one after another in the other conversation, for as long as the work goes on.
  let working = true;
  const answers = (async () => {
    while (working) {
      const ended = new Promise<void>((resolve) => {
        const done = (e: { conversationId: string }) => {
          if (e.conversationId !== answerIn) return;
          socket.off("assistant:done", done);
          resolve();
        };
        socket.on("assistant:done", done);
      });
      await call(socket, "message:send", { conversationId: answerIn, content: "go on" });
      await ended;
    }
  })();
  await sleep(200);
  await server.ask({ kind: "loop" });
  const started = performance.now();
  await work();
  const seconds = (performance.now() - started) / 1000;
  const loop = await server.ask<{ p50: number; p99: number; max: number }>({ kind: "loop" });
  working = false;
  await Promise.all([pings.stop(), rss.stop(), heap.stop(), answers]);
  socket.off("assistant:delta", onDelta);
  return { seconds, healthz, gaps, peakRss, peakHeap, loop };
}

const ms = (values: number[]) =>
  `${fmt(percentile(values, 50), 0)}/${fmt(percentile(values, 99), 0)}/${fmt(Math.max(...values), 0)}`;

const loopMs = (l: { p50: number; p99: number; max: number }) =>
  `${fmt(l.p50, 0)}/${fmt(l.p99, 0)}/${fmt(l.max, 0)}`;

async function bench(kind: "postgres" | "s3") {
  let s3: S3Server | undefined;
  const env: Record<string, string> = { FILE_STORE: kind };
  if (kind === "s3") {
    s3 = await startS3Server();
    // Through the SDK's own chain, as in production: the store is given no credentials itself.
    Object.assign(env, {
      S3_BUCKET: s3.bucket,
      S3_ENDPOINT: s3.endpoint,
      AWS_ACCESS_KEY_ID: S3RVER_CREDENTIALS.accessKeyId,
      AWS_SECRET_ACCESS_KEY: S3RVER_CREDENTIALS.secretAccessKey,
    });
  }
  const server = await startServer(env);
  try {
    const { token } = await server.ask<{ token: string }>({ kind: "token", sub: "uploader" });
    const api = rest(server.url, token);
    const create = async (title: string) =>
      (await api.post<ConversationResource>("/api/v1/conversations", { agentId: DEMO_AGENT_ID, title })).body
        .id;
    const [filesIn, answerIn] = [await create("files"), await create("answers")];
    const socket = await connect(server.url, token);
    await call(socket, "conversation:join", { conversationId: answerIn });
    const job = { url: server.url, token, conversationId: filesIn };

    // One at a time first: it also warms the server up, so that at rest is measured warm.
    const one = await (await uploader({ ...job, count: ONE_AT_A_TIME, atOnce: false })).go();
    await sleep(REST_MS);
    const restRss = await rssOf(server.child.pid!);
    const restHeap = (await server.ask<{ heapUsed: number }>({ kind: "memory" })).heapUsed;
    const atRest = await observe(server, socket, answerIn, () => sleep(REST_MS));
    const all = await uploader({ ...job, count: UPLOADS, atOnce: true });
    const during = await observe(server, socket, answerIn, all.go);
    socket.close();
    return {
      kind,
      oneMBs: FILE_BYTES / MB / (percentile(one, 50) / 1000),
      allMBs: (UPLOADS * FILE_BYTES) / MB / during.seconds,
      seconds: during.seconds,
      rss: `${fmt(restRss / 2 ** 20, 0)} → ${fmt(during.peakRss / 2 ** 20, 0)}`,
      heap: `${fmt(restHeap / 2 ** 20, 0)} → ${fmt(during.peakHeap / 2 ** 20, 0)}`,
      healthz: `${ms(atRest.healthz)} → ${ms(during.healthz)}`,
      gaps: `${ms(atRest.gaps)} → ${ms(during.gaps)}`,
      loop: `${loopMs(atRest.loop)} → ${loopMs(during.loop)}`,
    };
  } finally {
    await server.stop();
    await s3?.stop();
  }
}

const stores = (process.env.BENCH_STORES ?? "postgres,s3").split(",") as ("postgres" | "s3")[];
const rows = [];
for (const kind of stores) rows.push(await bench(kind));
console.log(
  `\n${UPLOADS} uploads of ${FILE_BYTES / MB} MB at once; one at a time: the median of ${ONE_AT_A_TIME}. ` +
    `Latencies in ms as p50/p99/max, at rest → during the ${UPLOADS} uploads; memory in MiB, at rest → highest.\n`,
);
const header = [
  "store",
  "1 upload MB/s",
  `${UPLOADS} at once MB/s`,
  "RSS",
  "heap",
  "healthz RTT",
  "delta gaps",
];
const table = rows.map((r) => [
  r.kind,
  fmt(r.oneMBs, 1),
  `${fmt(r.allMBs, 1)} (${fmt(r.seconds, 1)} s)`,
  r.rss,
  r.heap,
  r.healthz,
  r.gaps,
  r.loop,
]);
const widths = header.map((h, i) => Math.max(h.length, ...table.map((row) => row[i]!.length)));
for (const row of [header, ...table]) console.log(row.map((c, i) => c.padEnd(widths[i]!)).join("  "));
process.exit(0);
