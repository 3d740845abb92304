import { createHash, createPublicKey, createSecretKey, type KeyObject } from "node:crypto";
import jwt from "jsonwebtoken";
import { AppError } from "../errors.js";
import { claimsSchema, type Claims } from "./claims.js";

export type TokenFailure = "token_missing" | "token_invalid" | "token_expired";

export interface JwtKeys {
  /** HS256 shared secret. */
  secret?: string | undefined;
  /** PEM public key; selects RS256 or ES256 by its type. */
  publicKey?: string | undefined;
  issuer?: string | undefined;
  audience?: string | undefined;
}

export const tokenError = (reason: TokenFailure, message: string) =>
  new AppError("unauthorized", message, { details: { reason } });

/**
 * Verifies tokens with exactly one algorithm, pinned by the configured key (never `none`). The key is
 * made into a key object once: given a string, jsonwebtoken would first try (and fail) to parse it as
 * a public key at every verification. A token verified once is known by its digest until it expires:
 * the same token presented again (every tab of a browser, each reconnection) is not verified again,
 * and no token is kept.
 */
export class TokenVerifier {
  private readonly key: KeyObject;
  private readonly algorithm: jwt.Algorithm;
  /** SHA-256 of a token verified → its claims. */
  private readonly verified = new Map<string, Readonly<Claims>>();
  private static readonly MAX_VERIFIED = 10_000;

  constructor(private readonly keys: JwtKeys) {
    if (keys.publicKey) {
      this.key = createPublicKey(keys.publicKey);
      this.algorithm = algorithmOfPublicKey(keys.publicKey);
    } else if (keys.secret) {
      this.key = createSecretKey(Buffer.from(keys.secret, "utf8"));
      this.algorithm = "HS256";
    } else {
      throw new Error("TokenVerifier needs JWT_SECRET or JWT_PUBLIC_KEY");
    }
  }

  verify(token: unknown): Claims {
    if (typeof token !== "string" || token.length === 0)
      throw tokenError("token_missing", "no token was given");
    const digest = createHash("sha256").update(token).digest("base64");
    const known = this.verified.get(digest);
    if (known) {
      // As jsonwebtoken decides it: expired from the second of `exp` on.
      if (Math.floor(Date.now() / 1000) < known.exp) return known;
      this.verified.delete(digest);
      throw tokenError("token_expired", "the token has expired");
    }
    let payload: unknown;
    try {
      payload = jwt.verify(token, this.key, {
        algorithms: [this.algorithm],
        ...(this.keys.issuer ? { issuer: this.keys.issuer } : {}),
        ...(this.keys.audience ? { audience: this.keys.audience } : {}),
      });
    } catch (err) {
      if (err instanceof jwt.TokenExpiredError) throw tokenError("token_expired", "the token has expired");
      throw tokenError("token_invalid", "the token is not valid");
    }
    const claims = claimsSchema.safeParse(payload);
    if (!claims.success) throw tokenError("token_invalid", "the token lacks sub or exp, or has a bad role");
    if (this.verified.size >= TokenVerifier.MAX_VERIFIED) this.verified.clear();
    this.verified.set(digest, Object.freeze(claims.data));
    return claims.data;
  }
}

function algorithmOfPublicKey(pem: string): jwt.Algorithm {
  const type = createPublicKey(pem).asymmetricKeyType;
  if (type === "rsa") return "RS256";
  if (type === "ec") return "ES256";
  throw new Error(`JWT_PUBLIC_KEY must be an RSA or EC key, not ${type ?? "unknown"}`);
}
