/**
 * The embedded default from cold (`npm run bench:cold-start [-- <project folder>]`): `npm start` on a
 * fresh data folder with nothing configured, timed until its first answer (a development token, the
 * demo agent, a REST turn) has ended; then the idle RSS of the server after a few seconds. The project
 * folder defaults to this one, so a checkout of another version can be measured beside it.
 */
import { execFileSync, spawn } from "node:child_process";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import type { AgentResource, ConversationResource } from "../../src/protocol/index.js";
import { rest } from "../support/rest.js";
import { PROJECT_ROOT } from "../support/server-process.js";

const project = path.resolve(process.argv[2] ?? PROJECT_ROOT);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** The RSS of a process and its descendants that are node (npm starts node through a shell). */
async function serverRss(rootPid: number): Promise<number> {
  const pids = [rootPid];
  for (let i = 0; i < pids.length; i++) {
    try {
      const children = execFileSync("pgrep", ["-P", String(pids[i])])
        .toString()
        .trim()
        .split("\n");
      pids.push(...children.filter(Boolean).map(Number));
    } catch {
      // no children
    }
  }
  let largest = 0;
  for (const pid of pids) {
    try {
      const status = await readFile(`/proc/${pid}/status`, "utf8");
      largest = Math.max(largest, Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0) * 1024);
    } catch {
      // gone
    }
  }
  return largest;
}

const dataDir = await mkdtemp(path.join(tmpdir(), "confab-cold-"));
const env: NodeJS.ProcessEnv = {
  ...process.env,
  DATA_DIR: dataDir,
  PORT: "0",
  HOST: "127.0.0.1",
  NODE_ENV: "development",
};
for (const key of Object.keys(env)) {
  if (/^(DATABASE_URL|REDIS_URL|JWT_|OPENAI_|ANTHROPIC_|GROQ_)/.test(key)) delete env[key];
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
    else await sleep(20);
  }
  const listening = performance.now();
  const { token } = (await rest(url).post<{ token: string }>("/api/v1/dev/token", { sub: "cold" })).body;
  const api = rest(url, token);
  const agents = (await api.get<AgentResource[]>("/api/v1/agents")).body;
  const demo = agents.find((a) => a.provider === "demo")!;
  const conversation = (await api.post<ConversationResource>("/api/v1/conversations", { agentId: demo.id }))
    .body;
  const turn = await api.post(`/api/v1/conversations/${conversation.id}/messages`, {
    content: "hello, cold start",
  });
  const answered = performance.now();
  await sleep(5000);
  const rss = await serverRss(child.pid!);
  console.log(
    `${project}: listening after ${((listening - started) / 1000).toFixed(2)} s, first answer (status ${turn.status}) ` +
      `after ${((answered - started) / 1000).toFixed(2)} s; idle RSS ${(rss / 1e6).toFixed(0)} MB`,
  );
} finally {
  process.kill(-child.pid!, "SIGTERM");
  await new Promise((r) => child.once("exit", r));
  await rm(dataDir, { recursive: true, force: true });
}
