import { z } from "zod";

/** The claims Confab reads from a host application's token (PROTOCOL.md section 2). */
const noNul = (s: string) => !s.includes("\u0000");

export const claimsSchema = z.object({
  sub: z.string().min(1).max(255).refine(noNul),
  exp: z.number().int().positive(),
  role: z.enum(["user", "admin"]).default("user"),
  name: z.string().max(255).refine(noNul).optional(),
  email: z.string().max(320).refine(noNul).optional(),
});

export type Claims = z.infer<typeof claimsSchema>;

/** Who is calling, as every handler sees it. */
export interface Principal {
  userId: string;
  role: "user" | "admin";
  expiresAt: Date;
}

export const principalOf = (claims: Claims): Principal => ({
  userId: claims.sub,
  role: claims.role,
  expiresAt: new Date(claims.exp * 1000),
});
