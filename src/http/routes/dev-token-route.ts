import { Router } from "express";
import type { TokenSigner } from "../../auth/token-signer.js";
import { devTokenBody } from "../../protocol/index.js";
import { parse } from "../../validation.js";

/**
 * Development only: `POST /api/v1/dev/token {sub, name?}` returns a role `user` token, so the client
 * example runs with no host application. Never mounted with NODE_ENV=production.
 */
export function devTokenRoute(signer: TokenSigner): Router {
  const router = Router();
  router.post("/dev/token", (req, res) => {
    const input = parse(devTokenBody, req.body, "body");
    res.json({
      token: signer.mint({ sub: input.sub, name: input.name, role: "user", expiresInSeconds: 12 * 3600 }),
    });
  });
  return router;
}
