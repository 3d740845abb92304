import type { Request } from "express";
import type { Principal } from "../auth/claims.js";
import { unauthorized } from "../errors.js";

declare module "express-serve-static-core" {
  interface Request {
    principal?: Principal;
  }
}

/** The authenticated caller of a request that passed the auth middleware. */
export function principalOf(req: Request): Principal {
  if (!req.principal) throw unauthorized("no token was given");
  return req.principal;
}
