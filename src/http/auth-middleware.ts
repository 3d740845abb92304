import type { RequestHandler } from "express";
import { principalOf } from "../auth/claims.js";
import { tokenError, type TokenVerifier } from "../auth/token-verifier.js";
import type { UserDirectory } from "../auth/user-directory.js";
import { forbidden } from "../errors.js";
import "./request-context.js";

/** `Authorization: Bearer <jwt>`: verifies it, provisions the user, and sets `req.principal`. */
export function requireUser(verifier: TokenVerifier, users: UserDirectory): RequestHandler {
  return async (req, _res, next) => {
    const header = req.headers.authorization;
    const match = typeof header === "string" ? /^Bearer\s+(\S+)\s*$/i.exec(header) : null;
    if (!match) throw tokenError("token_missing", "send Authorization: Bearer <token>");
    const claims = verifier.verify(match[1]);
    await users.provision(claims);
    req.principal = principalOf(claims);
    next();
  };
}

export const requireAdmin: RequestHandler = (req, _res, next) => {
  if (req.principal?.role !== "admin") throw forbidden("this route is for admins");
  next();
};
