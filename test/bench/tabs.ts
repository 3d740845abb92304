/**
 * Many idle tabs (`npm run bench:tabs`): TABS sockets connect and join one conversation, against
 * Confab and against bare socket.io (no authentication, a join into one room), each server in a
 * process of its own, side by side in one run. Prints the time to have them all joined and the heap
 * each idle tab costs the server (after a full collection). Nothing is asserted.
 */
import { spawn, type ChildProcess } from "node:child_process";
import path from "node:path";
import { io, type Socket } from "socket.io-client";
import { PROJECT_ROOT } from "../support/server-process.js";
import { fmt } from "./support/processes.js";

const TABS = Number(process.env.BENCH_TABS ?? 10_000);
const AT_ONCE = 500;

interface Server {
  child: ChildProcess;
  url: string;
  ask<T>(kind: string): Promise<T>;
}

async function start(file: string, env: Record<string, string> = {}): Promise<Server> {
  const child = spawn(process.execPath, ["--expose-gc", "--import", "tsx", path.join(PROJECT_ROOT, file)], {
    cwd: PROJECT_ROOT,
    env: { ...process.env, ...env },
    stdio: ["ignore", "pipe", "inherit", "ipc"],
  });
  // A listener refs the IPC channel: without one, nothing would keep this process waiting for the child.
  child.on("message", () => undefined);
  const port = await new Promise<number>((resolve) => {
    let out = "";
    child.stdout!.on("data", (d: Buffer) => {
      out += d.toString();
      const m = /listening (\d+)/.exec(out);
      if (m) resolve(Number(m[1]));
    });
  });
  return {
    child,
    url: `http://127.0.0.1:${port}`,
    ask: <T>(kind: string) =>
      new Promise<T>((resolve) => {
        child.once("message", (m) => resolve(m as T));
        child.send({ kind });
      }),
  };
}

/** Connects and joins `TABS` tabs, `AT_ONCE` at a time; resolves with the sockets and the seconds taken. */
async function joinAll(open: () => Promise<Socket>): Promise<{ sockets: Socket[]; seconds: number }> {
  const sockets: Socket[] = [];
  const started = performance.now();
  for (let done = 0; done < TABS; done += AT_ONCE) {
    sockets.push(...(await Promise.all(Array.from({ length: Math.min(AT_ONCE, TABS - done) }, open))));
  }
  return { sockets, seconds: (performance.now() - started) / 1000 };
}

const connectAndJoin =
  (url: string, auth: Record<string, string>, join: (s: Socket) => Promise<void>) => () =>
    new Promise<Socket>((resolve, reject) => {
      const s = io(`${url}/chat`, { auth, transports: ["websocket"], forceNew: true, reconnection: false });
      s.once("connect", () => void join(s).then(() => resolve(s), reject));
      s.once("connect_error", reject);
    });

async function measure(server: Server, open: () => Promise<Socket>) {
  const before = (await server.ask<{ heap: number }>("heap")).heap;
  const { sockets, seconds } = await joinAll(open);
  await new Promise((r) => setTimeout(r, 2000));
  const after = (await server.ask<{ heap: number }>("heap")).heap;
  for (const s of sockets) s.close();
  return { seconds, perTab: (after - before) / TABS };
}

const bare = await start("test/bench/support/bare-process.ts");
const bareResult = await measure(
  bare,
  connectAndJoin(bare.url, {}, (s) => new Promise((r) => s.emit("join", {}, () => r()))),
);
bare.child.kill();

const confab = await start("test/bench/support/confab-process.ts", {
  RATE_LIMIT_CONNECTIONS_PER_MINUTE: "1000000",
});
const { token, conversationId } = await confab.ask<{ token: string; conversationId: string }>("token");
const confabResult = await measure(
  confab,
  connectAndJoin(
    confab.url,
    { token },
    (s) =>
      new Promise((resolve, reject) =>
        s.emit("conversation:join", { conversationId }, (ack: { ok: boolean }) =>
          ack.ok ? resolve() : reject(new Error("join refused")),
        ),
      ),
  ),
);
const exited = new Promise((r) => confab.child.once("exit", r));
confab.child.send({ kind: "stop" });
await exited;

console.log(
  `${TABS} tabs joined: Confab in ${fmt(confabResult.seconds, 1)} s, bare socket.io in ${fmt(bareResult.seconds, 1)} s ` +
    `→ ${fmt(confabResult.seconds / bareResult.seconds, 2)}× its time; heap per idle tab ` +
    `${fmt(confabResult.perTab / 1024, 1)} KB vs ${fmt(bareResult.perTab / 1024, 1)} KB`,
);
process.exit(0);
