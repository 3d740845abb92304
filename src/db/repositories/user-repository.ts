import { QueryTypes } from "sequelize";
import type { Models } from "../models/index.js";
import type { UserRecord } from "../records.js";

/** The `users` table: people known by the `sub` of their tokens. */
export class UserRepository {
  constructor(private readonly models: Models) {}

  private get sequelize() {
    return this.models.User.sequelize!;
  }

  async findById(id: string): Promise<UserRecord | null> {
    return (await this.models.User.findByPk(id))?.get({ plain: true }) ?? null;
  }

  /** Creates the user, or updates the name and email it has (each only when given) and its role. */
  async upsert(user: { id: string; name: string | null; email: string | null; role: UserRecord["role"] }) {
    await this.sequelize.query(
      `INSERT INTO users (id, name, email, role, created_at, updated_at)
       VALUES ($1, $2, $3, $4, now(), now())
       ON CONFLICT (id) DO UPDATE SET
         name = COALESCE(EXCLUDED.name, users.name),
         email = COALESCE(EXCLUDED.email, users.email),
         role = EXCLUDED.role,
         updated_at = now()`,
      { bind: [user.id, user.name, user.email, user.role] },
    );
  }

  count(): Promise<number> {
    return this.models.User.count();
  }

  /** A page of users, newest first, each with its conversations (not deleted) and tokens used. */
  async listWithTotals(page: {
    limit: number;
    offset: number;
  }): Promise<(UserRecord & { conversations: number; totalTokensUsed: number })[]> {
    const rows = await this.sequelize.query<{ id: string; conversations: string; tokens: string }>(
      `SELECT u.id, count(c.id) FILTER (WHERE c.status <> 'deleted') AS conversations,
              COALESCE(sum(c.total_tokens_used), 0) AS tokens
         FROM users u LEFT JOIN conversations c ON c.user_id = u.id
        GROUP BY u.id ORDER BY u.created_at DESC, u.id LIMIT $1 OFFSET $2`,
      { bind: [page.limit, page.offset], type: QueryTypes.SELECT },
    );
    const users = await this.models.User.findAll({ where: { id: rows.map((r) => r.id) } });
    const byId = new Map(users.map((u) => [u.id, u.get({ plain: true })]));
    return rows.flatMap((r) => {
      const user = byId.get(r.id);
      return user
        ? [{ ...user, conversations: Number(r.conversations), totalTokensUsed: Number(r.tokens) }]
        : [];
    });
  }

  /** Deletes the user; their conversations and messages go with it (ON DELETE CASCADE). */
  /** A user known only by its id (added to a conversation before its first token): created if new. */
  async ensure(id: string): Promise<void> {
    await this.models.User.findOrCreate({ where: { id }, defaults: { id, role: "user" } });
  }

  /**
   * Erases a user in one transaction: what it wrote in others' conversations becomes unreadable (the
   * text emptied, the author gone, `metadata` only `{erased: true}`), and so do the summaries that may
   * retell it and the titles written from a first question of its; then the user goes, and with it
   * (ON DELETE CASCADE) the conversations it owns and its memberships. Its row is locked first: a
   * message of its still being sent either ends before (and is emptied) or fails after.
   */
  async erase(id: string): Promise<void> {
    const sequelize = this.models.User.sequelize!;
    await sequelize.transaction(async (transaction) => {
      const q = (sql: string) => sequelize.query(sql, { bind: [id], transaction });
      await q(`SELECT 1 FROM users WHERE id = $1 FOR UPDATE`);
      await q(
        `UPDATE conversations c SET summary = NULL, summary_through_id = NULL, summary_through_seq = 0,
                title = CASE WHEN EXISTS (SELECT 1 FROM messages r WHERE r.conversation_id = c.id
                                             AND r.parent_id IS NULL AND r.author_id = $1)
                             THEN 'New conversation' ELSE c.title END
          WHERE c.user_id <> $1 AND c.id IN (SELECT DISTINCT conversation_id FROM messages WHERE author_id = $1)`,
      );
      await q(
        `UPDATE messages SET content = '', parts = '[]'::jsonb, author_id = NULL, author_name = NULL, metadata = '{"erased": true}'::jsonb
          WHERE author_id = $1`,
      );
      await q(`DELETE FROM users WHERE id = $1`);
    });
  }
}
