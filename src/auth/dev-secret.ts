import { randomBytes } from "node:crypto";
import { mkdir, readFile, writeFile } from "node:fs/promises";
import path from "node:path";

/**
 * Outside production with no JWT_SECRET, a secret is made once and kept in DATA_DIR, so that tokens
 * survive restarts and `npm run token` signs with the same key as the server.
 */
export async function ensureDevSecret(dataDir: string): Promise<string> {
  const file = path.join(path.resolve(dataDir), "jwt-secret");
  try {
    const existing = (await readFile(file, "utf8")).trim();
    if (Buffer.byteLength(existing) >= 32) return existing;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== "ENOENT") throw err;
  }
  await mkdir(path.dirname(file), { recursive: true });
  const secret = randomBytes(48).toString("base64url");
  await writeFile(file, secret, { mode: 0o600 });
  return secret;
}
