import { createHmac, randomBytes, timingSafeEqual } from "node:crypto";

/** A new signing secret: 32 random bytes, base64url, prefixed `whsec_`. */
export function newSigningSecret(): string {
  return `whsec_${randomBytes(32).toString("base64url")}`;
}

/**
 * The `Confab-Signature` header of a body (PROTOCOL.md, webhooks): `t=<unix seconds>,v1=<hex
 * HMAC-SHA256 of "<t>.<body>">` with the secret.
 */
export function signatureHeader(
  secret: string,
  body: string,
  nowSeconds = Math.floor(Date.now() / 1000),
): string {
  const v1 = createHmac("sha256", secret).update(`${nowSeconds}.${body}`).digest("hex");
  return `t=${nowSeconds},v1=${v1}`;
}

/**
 * What a receiver does with the header: recompute the HMAC over `<t>.<raw body>`, compare it in
 * constant time, and refuse a `t` more than `toleranceSeconds` (default 300) away from now.
 */
export function verifySignature(
  secret: string,
  header: string | undefined,
  rawBody: string,
  options: { toleranceSeconds?: number; nowSeconds?: number } = {},
): boolean {
  const fields = new Map(
    (header ?? "").split(",").map((kv) => {
      const at = kv.indexOf("=");
      return [kv.slice(0, at).trim(), kv.slice(at + 1).trim()] as const;
    }),
  );
  const t = Number(fields.get("t"));
  const v1 = fields.get("v1") ?? "";
  if (!Number.isInteger(t) || !/^[0-9a-f]{64}$/.test(v1)) return false;
  const now = options.nowSeconds ?? Math.floor(Date.now() / 1000);
  if (Math.abs(now - t) > (options.toleranceSeconds ?? 300)) return false;
  const expected = createHmac("sha256", secret).update(`${t}.${rawBody}`).digest();
  return timingSafeEqual(expected, Buffer.from(v1, "hex"));
}
