import { z } from "zod";
import { ROLES, textProblem } from "../protocol/index.js";

/**
 * The claims Confab reads from a host application's token (PROTOCOL.md section 2). Their text must be
 * storable exactly: a `sub` with a lone surrogate would be stored as U+FFFD and alias another user.
 */
const storable = (s: string) => textProblem(s) === undefined;

export const claimsSchema = z.object({
  sub: z.string().min(1).max(255).refine(storable),
  exp: z.number().int().positive(),
  role: z.enum(ROLES).default("user"),
  name: z.string().max(255).refine(storable).optional(),
  email: z.string().max(320).refine(storable).optional(),
});

export type Claims = z.infer<typeof claimsSchema>;

/** Who is calling, as every handler sees it. */
export interface Principal {
  userId: string;
  role: Claims["role"];
  expiresAt: Date;
}

export const principalOf = (claims: Claims): Principal => ({
  userId: claims.sub,
  role: claims.role,
  expiresAt: new Date(claims.exp * 1000),
});
