import { existsSync } from "node:fs";
import { readFile } from "node:fs/promises";
import path from "node:path";
import { fileURLToPath } from "node:url";

const here = path.dirname(fileURLToPath(import.meta.url));
// src/bundling/ when run from source, dist/src/bundling/ when compiled: sdk/ is at the project's top.
// Without the sources (a deployment of dist/ alone), the modules `npm run build` wrote are served.
const root = [path.resolve(here, "../.."), path.resolve(here, "../../..")].find((p) =>
  existsSync(path.join(p, "sdk", "index.ts")),
);
const sources = root ?? path.resolve(here, "../../..");

/** The modules a host page loads from Confab, by the path each is served at. */
export const BROWSER_MODULES = {
  "/sdk/confab.js": path.join(sources, "sdk", "index.ts"),
  "/widget/confab-widget.js": path.join(sources, "widget", "confab-widget.ts"),
} as const;

/**
 * One module as a single ES module with nothing left to import (socket.io-client bundled in), built
 * by esbuild: at start in memory, and by `npm run build` into dist/ for hosts that serve it themselves.
 */
export function bundle(entry: string): Promise<string> {
  // Once per process: every node (or test server) started in it serves the same code.
  let code = bundles.get(entry);
  if (!code) {
    code = build(entry);
    bundles.set(entry, code);
    code.catch(() => bundles.delete(entry));
  }
  return code;
}

const bundles = new Map<string, Promise<string>>();

/** Builds under way: esbuild's service process is stopped once none is left. */
let building = 0;

async function build(entry: string): Promise<string> {
  const esbuild = await import("esbuild");
  building += 1;
  try {
    return await buildWith(esbuild, entry);
  } finally {
    building -= 1;
    // Its service process (a process of its own, 200 MB after bundling the client example) would
    // otherwise stay for the node's whole life; a later build starts it again.
    if (building === 0) await esbuild.stop().catch(() => undefined);
  }
}

async function buildWith(esbuild: typeof import("esbuild"), entry: string): Promise<string> {
  const result = await esbuild.build({
    entryPoints: [entry],
    bundle: true,
    format: "esm",
    platform: "browser",
    target: "es2022",
    minify: true,
    sourcemap: false,
    write: false,
    legalComments: "none",
    jsx: "automatic",
    logLevel: "silent",
  });
  return result.outputFiles[0]?.text ?? "";
}

/** A module's code: bundled from its sources, or, without them, the file `npm run build` wrote. */
export async function moduleCode(route: keyof typeof BROWSER_MODULES): Promise<string> {
  if (root) return bundle(BROWSER_MODULES[route]);
  const built = path.join(here, "../..", route);
  if (!existsSync(built)) throw new Error(`${route}: neither its sources nor ${built} (run npm run build)`);
  return readFile(built, "utf8");
}
