import { existsSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { Router } from "express";
import { CLIENT_EXAMPLE_MODULES, moduleCode, prepareModules } from "../bundling/browser-bundle.js";

const here = path.dirname(fileURLToPath(import.meta.url));
// src/http/ when run from source, dist/src/http/ when compiled: the folder is at the project's top.
const root = [path.resolve(here, "../../client-example"), path.resolve(here, "../../../client-example")].find(
  (p) => existsSync(path.join(p, "app.html")),
)!;

/**
 * Serves the browser client example at `/` outside production. Its TypeScript (which shares the
 * server's event maps) is bundled by `npm run build`, or, run from source, with esbuild in memory
 * in the background from the start.
 */
export function clientExampleRouter(): Router {
  const router = Router();
  const routes = Object.keys(CLIENT_EXAMPLE_MODULES) as (keyof typeof CLIENT_EXAMPLE_MODULES)[];
  prepareModules(routes);
  for (const route of routes) {
    router.get(route, (_req, res, next) => {
      moduleCode(route).then((code) => res.type("application/javascript").send(code), next);
    });
  }
  // The widget mounted in a page; the full app (conversations, templates, sharing) beside it.
  router.get(["/", "/index.html"], (_req, res) => {
    res.sendFile(path.join(root, "index.html"));
  });
  router.get("/app.html", (_req, res) => {
    res.sendFile(path.join(root, "app.html"));
  });
  router.get("/react.html", (_req, res) => {
    res.sendFile(path.join(root, "react.html"));
  });
  router.get("/app.css", (_req, res) => {
    res.sendFile(path.join(root, "app.css"));
  });
  return router;
}
