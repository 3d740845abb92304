/**
 * A process and every descendant it has running, read from /proc (Linux): what a command such as
 * `npm start` costs the machine as a whole, helpers included.
 */
import { readdir, readFile } from "node:fs/promises";

export interface TreeProcess {
  pid: number;
  ppid: number;
  /** The command line, shortened. */
  command: string;
  rssBytes: number;
  /** Proportional set size: shared pages (the node binary, say) divided among the processes sharing them. */
  pssBytes: number;
  /** CPU time of the process and of its children that have ended (and were waited for), in seconds. */
  cpuSeconds: number;
}

/** Linux's clock ticks per second for /proc's times (USER_HZ), 100 on every common kernel. */
const TICKS_PER_SECOND = 100;

interface Stat {
  ppid: number;
  cpuSeconds: number;
}

async function stat(pid: number): Promise<Stat | undefined> {
  try {
    const text = await readFile(`/proc/${pid}/stat`, "utf8");
    // The command name is in parentheses and may hold spaces; the fields after it are fixed.
    const fields = text.slice(text.lastIndexOf(")") + 2).split(" ");
    const ticks = [11, 12, 13, 14].reduce((sum, i) => sum + Number(fields[i]), 0);
    return { ppid: Number(fields[1]), cpuSeconds: ticks / TICKS_PER_SECOND };
  } catch {
    return undefined; // ended meanwhile
  }
}

async function kilobytes(file: string, field: string): Promise<number> {
  try {
    const text = await readFile(file, "utf8");
    return Number(new RegExp(`^${field}:\\s+(\\d+)`, "m").exec(text)?.[1] ?? 0) * 1024;
  } catch {
    return 0;
  }
}

async function command(pid: number): Promise<string> {
  try {
    const argv = (await readFile(`/proc/${pid}/cmdline`, "utf8")).split("\0").filter(Boolean);
    return argv
      .map((a) => (a.includes("/") ? a.split("/").slice(-2).join("/") : a))
      .join(" ")
      .slice(0, 60);
  } catch {
    return "?";
  }
}

/** `rootPid` and all its descendants alive now. */
export async function processTree(rootPid: number): Promise<TreeProcess[]> {
  const parents = new Map<number, Stat>();
  for (const entry of await readdir("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    const s = await stat(Number(entry));
    if (s) parents.set(Number(entry), s);
  }
  const pids = [rootPid];
  for (let i = 0; i < pids.length; i++) {
    for (const [pid, s] of parents) if (s.ppid === pids[i]) pids.push(pid);
  }
  const tree: TreeProcess[] = [];
  for (const pid of pids) {
    const s = parents.get(pid);
    if (!s) continue;
    tree.push({
      pid,
      ppid: s.ppid,
      command: await command(pid),
      rssBytes: await kilobytes(`/proc/${pid}/status`, "VmRSS"),
      pssBytes: await kilobytes(`/proc/${pid}/smaps_rollup`, "Pss"),
      cpuSeconds: s.cpuSeconds,
    });
  }
  return tree;
}

export const sum = (tree: TreeProcess[], of: (p: TreeProcess) => number) =>
  tree.reduce((total, p) => total + of(p), 0);

/** The processes of `tree` from the first whose command is `node …` (the server, under npm and its shell) down. */
export function serverAndHelpers(tree: TreeProcess[]): TreeProcess[] {
  const server = tree.find((p) => /^node\b/.test(p.command));
  if (!server) return [];
  const pids = new Set([server.pid]);
  for (const p of tree) if (pids.has(p.ppid)) pids.add(p.pid);
  return tree.filter((p) => pids.has(p.pid));
}
