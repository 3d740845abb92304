/**
 * `npm run build` writes the browser modules into dist/ with this: those host pages load
 * (dist/sdk/confab.js, dist/widget/confab-widget.js), which a host application may serve itself, and
 * the client example's (dist/client-example/). The compiled server serves these files.
 */
import { mkdir, writeFile } from "node:fs/promises";
import path from "node:path";
import { fileURLToPath } from "node:url";
import {
  BROWSER_MODULES,
  builtModulePath,
  bundle,
  CLIENT_EXAMPLE_MODULES,
  type BrowserModuleRoute,
} from "../bundling/browser-bundle.js";

const dist = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
const modules = Object.entries({ ...BROWSER_MODULES, ...CLIENT_EXAMPLE_MODULES }) as [
  BrowserModuleRoute,
  string,
][];
await Promise.all(
  modules.map(async ([route, entry]) => {
    const file = builtModulePath(dist, route);
    await mkdir(path.dirname(file), { recursive: true });
    await writeFile(file, await bundle(entry));
    process.stdout.write(`browser module: ${file}\n`);
  }),
);
