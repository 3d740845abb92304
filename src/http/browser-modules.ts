import { createHash } from "node:crypto";
import cors, { type CorsOptions } from "cors";
import { Router } from "express";
import { BROWSER_MODULES, moduleCode } from "../bundling/browser-bundle.js";

/**
 * Serves the SDK (`GET /sdk/confab.js`) to host pages on the origins CORS allows, with an ETag of its
 * content: a browser revalidates it and gets `304` while it has not changed.
 */
export async function browserModulesRouter(corsOptions: CorsOptions): Promise<Router> {
  const router = Router();
  for (const route of Object.keys(BROWSER_MODULES) as (keyof typeof BROWSER_MODULES)[]) {
    const code = await moduleCode(route);
    const etag = `"${createHash("sha256").update(code).digest("base64url").slice(0, 27)}"`;
    router.get(route, cors(corsOptions), (req, res) => {
      res.setHeader("ETag", etag);
      res.setHeader("Cache-Control", "no-cache");
      // Cross-origin module scripts need it, and so does a page with COEP.
      res.setHeader("Cross-Origin-Resource-Policy", "cross-origin");
      if (req.headers["if-none-match"] === etag) {
        res.status(304).end();
        return;
      }
      res.type("text/javascript").send(code);
    });
  }
  return router;
}
