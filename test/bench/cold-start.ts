/**
 * The embedded default from cold (`npm run bench:cold-start [-- <project folder>] [--runs N]`): `npm start`
 * on a fresh data folder with nothing configured, N times (3 by default), each:
 *
 * - the time from spawning `npm start` until it listens, and until its first answer has ended (a
 *   development token, the demo agent, a REST turn, which answers once the answer has ended; the demo
 *   model's own pauses between words are part of it and printed beside it), and the CPU time the
 *   whole process tree used until then (steadier than wall time on a busy machine);
 * - the idle memory of the whole process tree `npm start` leaves running, five seconds after the
 *   answer, and again five seconds after a browser has loaded the client example (its pages and every
 *   module they load, and the SDK and widget modules), which bundling may cost.
 *
 * The tree is everything under the spawned command: npm's own process (which stays, waiting, as long
 * as the server runs: a person who typed `npm start` pays for it), the server, and any helper left
 * running (esbuild's service, say). RSS is summed over it; PSS beside it counts shared pages once.
 * The server and its helpers alone (without npm and its shell, which `node scripts/start.mjs` or a
 * process manager would not have) are printed too: that is what the goal is about.
 * The project folder defaults to this one, so a checkout of another version can be measured beside it.
 */
import { spawn } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import type { AgentResource, ConversationResource } from "../../src/protocol/index.js";
import { rest } from "../support/rest.js";
import { PROJECT_ROOT } from "../support/server-process.js";
import { processTree, serverAndHelpers, sum, type TreeProcess } from "./support/process-tree.js";

const args = process.argv.slice(2);
const runsAt = args.indexOf("--runs");
const runs = runsAt >= 0 ? Number(args.splice(runsAt, 2)[1]) : 3;
const project = path.resolve(args[0] ?? PROJECT_ROOT);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const mb = (bytes: number) => (bytes / 1e6).toFixed(0);
/** The pages of the client example; each module and stylesheet they name is loaded after them. */
const PAGES = ["/", "/app.html", "/react.html"];
/** What host pages load from Confab. */
const HOST_MODULES = ["/sdk/confab.js", "/widget/confab-widget.js"];

interface Run {
  listening: number;
  answered: number;
  cpuSeconds: number;
  demoPauses: number;
  idle: TreeProcess[];
  served: number;
  idleAfterClient: TreeProcess[];
}

/** Loads the client example as a browser would: each page, then what it links to. */
async function loadClientExample(url: string): Promise<void> {
  const assets = new Set(HOST_MODULES);
  for (const page of PAGES) {
    const res = await fetch(`${url}${page}`);
    if (!res.ok) throw new Error(`GET ${page}: ${res.status}`);
    for (const m of (await res.text()).matchAll(/(?:src|href)="(\/[^"]+\.(?:js|css))"/g)) assets.add(m[1]!);
  }
  await Promise.all(
    [...assets].map(async (asset) => {
      const res = await fetch(`${url}${asset}`);
      if (!res.ok) throw new Error(`GET ${asset}: ${res.status}`);
      await res.arrayBuffer();
    }),
  );
}

async function coldStart(): Promise<Run> {
  const dataDir = await mkdtemp(path.join(tmpdir(), "confab-cold-"));
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    DATA_DIR: dataDir,
    PORT: "0",
    HOST: "127.0.0.1",
    NODE_ENV: "development",
  };
  for (const key of Object.keys(env)) {
    if (/^(DATABASE_URL|REDIS_URL|JWT_|OPENAI_|ANTHROPIC_|GROQ_|DEMO_)/.test(key)) delete env[key];
  }
  const started = performance.now();
  const child = spawn("npm", ["start"], {
    cwd: project,
    env,
    stdio: ["ignore", "pipe", "pipe"],
    detached: true,
  });
  let output = "";
  child.stdout.on("data", (d: Buffer) => (output += d.toString()));
  child.stderr.on("data", (d: Buffer) => (output += d.toString()));
  try {
    let url: string | undefined;
    while (!url) {
      const m = /listening on http:\/\/[^:]+:(\d+)/.exec(output);
      if (m) url = `http://127.0.0.1:${m[1]}`;
      else if (child.exitCode !== null) throw new Error(`npm start exited:\n${output}`);
      else await sleep(10);
    }
    const listening = performance.now() - started;
    const { token } = (await rest(url).post<{ token: string }>("/api/v1/dev/token", { sub: "cold" })).body;
    const api = rest(url, token);
    const agents = (await api.get<AgentResource[]>("/api/v1/agents")).body;
    const demo = agents.find((a) => a.provider === "demo")!;
    const conversation = (await api.post<ConversationResource>("/api/v1/conversations", { agentId: demo.id }))
      .body;
    const turn = await api.post<{ assistantMessage: { content: string } | null }>(
      `/api/v1/conversations/${conversation.id}/messages`,
      { content: "hello, cold start" },
    );
    const answered = performance.now() - started;
    if (turn.status !== 201 || !turn.body.assistantMessage) throw new Error(`turn: ${turn.status}`);
    const cpuSeconds = sum(await processTree(child.pid!), (p) => p.cpuSeconds);
    // The demo model pauses 25 ms between two words (DEMO_WORD_DELAY_MS).
    const demoPauses = (turn.body.assistantMessage.content.split(/\s+/).length - 1) * 0.025;
    await sleep(5000);
    const idle = await processTree(child.pid!);
    const before = performance.now();
    await loadClientExample(url);
    const served = performance.now() - before;
    await sleep(5000);
    const idleAfterClient = await processTree(child.pid!);
    return { listening, answered, cpuSeconds, demoPauses, idle, served, idleAfterClient };
  } finally {
    process.kill(-child.pid!, "SIGTERM");
    await new Promise((r) => child.once("exit", r));
    await rm(dataDir, { recursive: true, force: true });
  }
}

const tree = (t: TreeProcess[]) =>
  `${mb(sum(t, (p) => p.rssBytes))} MB RSS (PSS ${mb(sum(t, (p) => p.pssBytes))} MB: ` +
  t.map((p) => `${p.command} ${mb(p.rssBytes)}`).join(", ") +
  `; the server and its helpers ${mb(sum(serverAndHelpers(t), (p) => p.rssBytes))} MB)`;

const results: Run[] = [];
for (let i = 1; i <= runs; i++) {
  const r = await coldStart();
  results.push(r);
  console.log(
    `${project} run ${i}: listening after ${(r.listening / 1000).toFixed(2)} s, first answer ended after ` +
      `${(r.answered / 1000).toFixed(2)} s (of which the demo model's pauses ${r.demoPauses.toFixed(2)} s), ` +
      `CPU of the tree until then ${r.cpuSeconds.toFixed(2)} s\n` +
      `  idle: ${tree(r.idle)}\n` +
      `  client example served in ${(r.served / 1000).toFixed(2)} s; idle after: ${tree(r.idleAfterClient)}`,
  );
}
const range = (of: (r: Run) => number, digits: number, unit: string) => {
  const values = results.map(of);
  return `${Math.min(...values).toFixed(digits)}–${Math.max(...values).toFixed(digits)}${unit}`;
};
console.log(
  `${project}, ${runs} runs: first answer ${range((r) => r.answered / 1000, 2, " s")} ` +
    `(listening ${range((r) => r.listening / 1000, 2, " s")}, tree CPU ${range((r) => r.cpuSeconds, 2, " s")}); ` +
    `idle RSS of the tree ${range((r) => sum(r.idle, (p) => p.rssBytes) / 1e6, 0, " MB")}, ` +
    `after the client example ${range((r) => sum(r.idleAfterClient, (p) => p.rssBytes) / 1e6, 0, " MB")} ` +
    `(PSS ${range((r) => sum(r.idleAfterClient, (p) => p.pssBytes) / 1e6, 0, " MB")}); the server and its ` +
    `helpers alone ${range((r) => sum(serverAndHelpers(r.idle), (p) => p.rssBytes) / 1e6, 0, " MB")}, after the ` +
    `client example ${range((r) => sum(serverAndHelpers(r.idleAfterClient), (p) => p.rssBytes) / 1e6, 0, " MB")}`,
);
