import type { UserRecord } from "../db/records.js";
import type { UserRepository } from "../db/repositories/index.js";
import type { Claims } from "./claims.js";

export interface UserDirectoryDeps {
  users: UserRepository;
}

/**
 * Users are created on the first valid token for a `sub` and updated from later ones. The last
 * claims seen per user are remembered for a short while, so a request whose token says nothing new
 * writes nothing. Erasure makes every node forget the user at once; the short while is a backstop.
 */
export class UserDirectory {
  private readonly seen = new Map<string, { fingerprint: string; until: number }>();
  private static readonly MAX_REMEMBERED = 10_000;
  private static readonly REMEMBER_MS = 30_000;

  constructor(private readonly deps: UserDirectoryDeps) {}

  /** The user, as stored (null once erased). */
  find(userId: string): Promise<UserRecord | null> {
    return this.deps.users.findById(userId);
  }

  async provision(claims: Claims): Promise<void> {
    const fingerprint = JSON.stringify([claims.name ?? null, claims.email ?? null, claims.role]);
    const known = this.seen.get(claims.sub);
    if (known && known.fingerprint === fingerprint && known.until > Date.now()) return;
    await this.deps.users.upsert({
      id: claims.sub,
      name: claims.name ?? null,
      email: claims.email ?? null,
      role: claims.role,
    });
    if (this.seen.size >= UserDirectory.MAX_REMEMBERED) this.seen.clear();
    this.seen.set(claims.sub, { fingerprint, until: Date.now() + UserDirectory.REMEMBER_MS });
  }

  /** Forget a user (after erasure), so their next token provisions them afresh. */
  forget(userId: string): void {
    this.seen.delete(userId);
  }
}
