import { existsSync } from "node:fs";
import { readFile } from "node:fs/promises";
import path from "node:path";
import { fileURLToPath } from "node:url";

const here = path.dirname(fileURLToPath(import.meta.url));
/** Compiled (JavaScript, not TypeScript under tsx), this file is in dist/src/bundling/. */
const dist = fileURLToPath(import.meta.url).endsWith(".js") ? path.resolve(here, "../..") : undefined;
// src/bundling/ when run from source, dist/src/bundling/ when compiled: sdk/ is at the project's top.
const root = [path.resolve(here, "../.."), path.resolve(here, "../../..")].find((p) =>
  existsSync(path.join(p, "sdk", "index.ts")),
);
const sources = root ?? path.resolve(here, "../../..");

/** The modules a host page loads from Confab, by the path each is served at. */
export const BROWSER_MODULES = {
  "/sdk/confab.js": path.join(sources, "sdk", "index.ts"),
  "/widget/confab-widget.js": path.join(sources, "widget", "confab-widget.ts"),
} as const;

/** The client example's own modules (served outside production), by the path each is served at. */
export const CLIENT_EXAMPLE_MODULES = {
  "/app.js": path.join(sources, "client-example", "app", "main.ts"),
  "/react-page.js": path.join(sources, "client-example", "react-page.tsx"),
  "/embed.js": path.join(sources, "client-example", "embed.ts"),
} as const;

export type BrowserModuleRoute = keyof typeof BROWSER_MODULES | keyof typeof CLIENT_EXAMPLE_MODULES;

const ENTRIES: Record<BrowserModuleRoute, string> = { ...BROWSER_MODULES, ...CLIENT_EXAMPLE_MODULES };

/**
 * Where `npm run build` writes a module (dist/sdk/confab.js, dist/client-example/app.js, …): host
 * applications may serve the first ones themselves.
 */
export function builtModulePath(distFolder: string, route: BrowserModuleRoute): string {
  return route in BROWSER_MODULES
    ? path.join(distFolder, route)
    : path.join(distFolder, "client-example", route);
}

/**
 * One module as a single ES module with nothing left to import (socket.io-client bundled in), built
 * by esbuild: by `npm run build` into dist/, or in memory when run from source.
 */
export function bundle(entry: string): Promise<string> {
  // Once per process: every node (or test server) started in it serves the same code.
  return once(bundles, entry, build);
}

const bundles = new Map<string, Promise<string>>();

/** The code kept under `key`, made on the first ask; a failure is not kept, the next ask tries again. */
function once<K>(cache: Map<K, Promise<string>>, key: K, make: (key: K) => Promise<string>): Promise<string> {
  let code = cache.get(key);
  if (!code) {
    code = make(key);
    cache.set(key, code);
    code.catch(() => cache.delete(key));
  }
  return code;
}

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

const loaded = new Map<BrowserModuleRoute, Promise<string>>();

/**
 * A module's code, once per process, when it is first asked for (not at start: bundling costs a
 * second of CPU and esbuild's process). The compiled server (`npm start`) serves the file `npm run
 * build` wrote, which `npm start` rebuilds when a source is newer; run from source (tsx, the tests),
 * it is bundled from its sources in memory.
 */
export function moduleCode(route: BrowserModuleRoute): Promise<string> {
  return once(loaded, route, load);
}

async function load(route: BrowserModuleRoute): Promise<string> {
  const built = dist && builtModulePath(dist, route);
  if (built && existsSync(built)) return readFile(built, "utf8");
  if (root) return bundle(ENTRIES[route]);
  throw new Error(`${route}: neither its sources nor the file npm run build writes`);
}

/**
 * Run from source, bundling takes seconds: it is started at once, in the background (not awaited:
 * the node listens meanwhile), so that a first page load does not wait for it. Compiled, the built
 * files are read when first asked for. A failure is reported to the request that asks for the module.
 */
export function prepareModules(routes: BrowserModuleRoute[]): void {
  if (dist) return;
  for (const route of routes) moduleCode(route).catch(() => undefined);
}
