import { existsSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { Router } from "express";
import { bundle } from "../bundling/browser-bundle.js";

const here = path.dirname(fileURLToPath(import.meta.url));
// src/http/ when run from source, dist/src/http/ when compiled: the folder is at the project's top.
const root = [path.resolve(here, "../../client-example"), path.resolve(here, "../../../client-example")].find(
  (p) => existsSync(path.join(p, "app.html")),
)!;

/**
 * Serves the browser client example at `/` outside production. Its TypeScript (which shares the
 * server's event maps) is bundled once at start with esbuild, in memory.
 */
export async function clientExampleRouter(): Promise<Router> {
  const [app, reactPage, embed] = await Promise.all([
    bundle(path.join(root, "app", "main.ts")),
    bundle(path.join(root, "react-page.tsx")),
    bundle(path.join(root, "embed.ts")),
  ]);
  const router = Router();
  router.get("/app.js", (_req, res) => {
    res.type("application/javascript").send(app);
  });
  // The widget mounted in a page; the full app (conversations, templates, sharing) beside it.
  router.get(["/", "/index.html"], (_req, res) => {
    res.sendFile(path.join(root, "index.html"));
  });
  router.get("/app.html", (_req, res) => {
    res.sendFile(path.join(root, "app.html"));
  });
  router.get("/react-page.js", (_req, res) => {
    res.type("application/javascript").send(reactPage);
  });
  router.get("/react.html", (_req, res) => {
    res.sendFile(path.join(root, "react.html"));
  });
  router.get("/embed.js", (_req, res) => {
    res.type("application/javascript").send(embed);
  });
  router.get("/app.css", (_req, res) => {
    res.sendFile(path.join(root, "app.css"));
  });
  return router;
}
