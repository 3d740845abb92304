import type { Models } from "../db/models/index.js";
import type { Claims } from "./claims.js";

/**
 * Users are created on the first valid token for a `sub` and updated from later ones. The last
 * claims seen per user are remembered for a short while, so a request whose token says nothing new
 * writes nothing. Erasure makes every node forget the user at once; the short while is a backstop.
 */
export class UserDirectory {
  private readonly seen = new Map<string, { fingerprint: string; until: number }>();
  private static readonly MAX_REMEMBERED = 10_000;
  private static readonly REMEMBER_MS = 30_000;

  constructor(private readonly models: Models) {}

  async provision(claims: Claims): Promise<void> {
    const fingerprint = JSON.stringify([claims.name ?? null, claims.email ?? null, claims.role]);
    const known = this.seen.get(claims.sub);
    if (known && known.fingerprint === fingerprint && known.until > Date.now()) return;
    const { User } = this.models;
    const sequelize = User.sequelize!;
    await sequelize.query(
      `INSERT INTO users (id, name, email, role, created_at, updated_at)
       VALUES (:id, :name, :email, :role, now(), now())
       ON CONFLICT (id) DO UPDATE SET
         name = COALESCE(EXCLUDED.name, users.name),
         email = COALESCE(EXCLUDED.email, users.email),
         role = EXCLUDED.role,
         updated_at = now()`,
      {
        replacements: {
          id: claims.sub,
          name: claims.name ?? null,
          email: claims.email ?? null,
          role: claims.role,
        },
      },
    );
    if (this.seen.size >= UserDirectory.MAX_REMEMBERED) this.seen.clear();
    this.seen.set(claims.sub, { fingerprint, until: Date.now() + UserDirectory.REMEMBER_MS });
  }

  /** Forget a user (after erasure), so their next token provisions them afresh. */
  forget(userId: string): void {
    this.seen.delete(userId);
  }
}
