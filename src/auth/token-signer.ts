import jwt from "jsonwebtoken";

export interface MintOptions {
  sub: string;
  role?: "user" | "admin";
  name?: string | undefined;
  email?: string | undefined;
  /** Lifetime in seconds (default 1 hour). */
  expiresInSeconds?: number;
}

/**
 * Signs tokens the way a host application would. Used only by the development token route, the
 * `npm run token` command and tests: in production, the host application mints tokens.
 */
export class TokenSigner {
  constructor(
    private readonly key: string,
    private readonly algorithm: jwt.Algorithm,
    private readonly claims: { issuer?: string | undefined; audience?: string | undefined } = {},
  ) {}

  mint(options: MintOptions): string {
    const payload: Record<string, unknown> = { sub: options.sub, role: options.role ?? "user" };
    if (options.name !== undefined) payload.name = options.name;
    if (options.email !== undefined) payload.email = options.email;
    return jwt.sign(payload, this.key, {
      algorithm: this.algorithm,
      expiresIn: options.expiresInSeconds ?? 3600,
      ...(this.claims.issuer ? { issuer: this.claims.issuer } : {}),
      ...(this.claims.audience ? { audience: this.claims.audience } : {}),
    });
  }
}
