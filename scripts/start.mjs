/* global process */
// `npm start`: runs the compiled server (dist/), building it first when it is missing or older than
// the sources (a fresh clone builds on `npm install` already). Compiled JavaScript starts faster and
// lighter than transpiling TypeScript at every start.
import { execFileSync } from "node:child_process";
import { existsSync, readdirSync, statSync } from "node:fs";
import path from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const entry = path.join(root, "dist", "src", "main.js");
const template = path.join(root, "dist", "embedded-template.tar.gz");

/** The newest modification time of the files below `dir`. */
function newest(dir) {
  let latest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const file = path.join(dir, entry.name);
    latest = Math.max(latest, entry.isDirectory() ? newest(file) : statSync(file).mtimeMs);
  }
  return latest;
}

const sources = Math.max(
  ...["src", "migrations", "seeders", "sdk", "widget", "client-example"].map((d) =>
    newest(path.join(root, d)),
  ),
);
if (!existsSync(entry) || !existsSync(template) || statSync(entry).mtimeMs < sources) {
  process.stderr.write("Confab: building (the compiled server is missing or older than its sources)…\n");
  execFileSync("npm", ["run", "--silent", "build"], { cwd: root, stdio: "inherit" });
}
await import(pathToFileURL(entry).href);
