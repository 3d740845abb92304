import { createHash } from "node:crypto";
import cors, { type CorsOptions } from "cors";
import { Router } from "express";
import { BROWSER_MODULES, moduleCode, prepareModules } from "../bundling/browser-bundle.js";

/** A module's code and the ETag of its content. */
interface Served {
  code: string;
  etag: string;
}

/**
 * Serves the SDK (`GET /sdk/confab.js`) to host pages on the origins CORS allows, with an ETag of its
 * content: a browser revalidates it and gets `304` while it has not changed. The compiled server reads
 * the built file when first asked for; run from source, it is bundled in the background from the start.
 */
export function browserModulesRouter(corsOptions: CorsOptions): Router {
  const router = Router();
  const routes = Object.keys(BROWSER_MODULES) as (keyof typeof BROWSER_MODULES)[];
  prepareModules(routes);
  for (const route of routes) {
    let served: Promise<Served> | undefined;
    const serve = () =>
      (served ??= moduleCode(route).then((code) => ({
        code,
        etag: `"${createHash("sha256").update(code).digest("base64url").slice(0, 27)}"`,
      }))).catch((err: unknown) => {
        served = undefined;
        throw err;
      });
    router.get(route, cors(corsOptions), (req, res, next) => {
      serve().then(({ code, etag }) => {
        res.setHeader("ETag", etag);
        res.setHeader("Cache-Control", "no-cache");
        // Cross-origin module scripts need it, and so does a page with COEP.
        res.setHeader("Cross-Origin-Resource-Policy", "cross-origin");
        if (req.headers["if-none-match"] === etag) {
          res.status(304).end();
          return;
        }
        res.type("text/javascript").send(code);
      }, next);
    });
  }
  return router;
}
