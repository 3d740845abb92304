/**
 * `npm run build` writes the browser modules into dist/ with this (dist/sdk/confab.js), so that a
 * host application can serve them itself; the server builds the same ones in memory at start.
 */
import { mkdir, writeFile } from "node:fs/promises";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { BROWSER_MODULES, bundle } from "../bundling/browser-bundle.js";

const dist = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
for (const [route, entry] of Object.entries(BROWSER_MODULES)) {
  const file = path.join(dist, route);
  await mkdir(path.dirname(file), { recursive: true });
  await writeFile(file, await bundle(entry));
  process.stdout.write(`browser module: ${file}\n`);
}
