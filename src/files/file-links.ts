import { createHmac, timingSafeEqual } from "node:crypto";

/** How long a signed link works (PROTOCOL.md: files). */
export const LINK_SECONDS = 300;

/**
 * Signed links to a file's bytes: `/files/:id/content?expires=…&signature=…`, an HMAC of the id and
 * the expiry under a key every node shares, so that an `<img>` shows a file without a token. Changing
 * the id or the expiry, or waiting past it, makes the link fail.
 */
export class FileLinks {
  private readonly key: Buffer;

  /** `basePath`: where the REST API is mounted. */
  constructor(
    secret: string,
    private readonly basePath = "/api/v1",
  ) {
    // A key of its own, derived from the secret: a link's signature is never a token's.
    this.key = createHmac("sha256", secret).update("confab file links v1").digest();
  }

  link(fileId: string, now = Date.now()): { url: string; expiresAt: string } {
    const expires = Math.floor(now / 1000) + LINK_SECONDS;
    const signature = this.sign(fileId, expires);
    return {
      url: `${this.basePath}/files/${encodeURIComponent(fileId)}/content?expires=${expires}&signature=${signature}`,
      expiresAt: new Date(expires * 1000).toISOString(),
    };
  }

  /** Whether `signature` is this file's for `expires`, and `expires` has not passed. */
  verify(fileId: string, expires: string, signature: string, now = Date.now()): boolean {
    if (!/^\d{1,12}$/.test(expires) || !/^[0-9a-f]{64}$/.test(signature)) return false;
    const at = Number(expires);
    if (at * 1000 <= now) return false;
    return timingSafeEqual(Buffer.from(this.sign(fileId, at), "hex"), Buffer.from(signature, "hex"));
  }

  private sign(fileId: string, expires: number): string {
    return createHmac("sha256", this.key).update(`${fileId}.${expires}`).digest("hex");
  }
}
