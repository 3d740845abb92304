import { QueryTypes } from "sequelize";
import type { Models } from "../models/index.js";
import { inTx, type MemberRecord, type NamedMember, type Tx } from "../records.js";

type Role = MemberRecord["role"];

/** Members with the name each goes by (its user's, or its id when it has none). */
const NAMED_MEMBERS = `SELECT m.conversation_id AS "conversationId", m.user_id AS "userId", m.role,
       m.joined_at AS "joinedAt", COALESCE(u.name, m.user_id) AS name
  FROM conversation_members m JOIN users u ON u.id = m.user_id`;

/** The `conversation_members` table: who takes part in which conversation, in which role. */
export class MemberRepository {
  constructor(private readonly models: Models) {}

  private get sequelize() {
    return this.models.Member.sequelize!;
  }

  /** Every member, the owner first, then in the order they joined; each with its name. */
  async list(conversationId: string, tx?: Tx): Promise<NamedMember[]> {
    const rows = await this.sequelize.query<Record<string, unknown>>(
      `${NAMED_MEMBERS} WHERE m.conversation_id = $1
        ORDER BY m.role = 'owner' DESC, m.joined_at, m.user_id`,
      { bind: [conversationId], type: QueryTypes.SELECT, ...inTx(tx) },
    );
    return rows as unknown as NamedMember[];
  }

  async find(conversationId: string, userId: string, tx?: Tx): Promise<NamedMember | null> {
    const [row] = await this.sequelize.query<Record<string, unknown>>(
      `${NAMED_MEMBERS} WHERE m.conversation_id = $1 AND m.user_id = $2`,
      { bind: [conversationId, userId], type: QueryTypes.SELECT, ...inTx(tx) },
    );
    return (row as unknown as NamedMember | undefined) ?? null;
  }

  /** Adds a member, or changes its role; whether it is new. */
  async put(conversationId: string, userId: string, role: Role, tx?: Tx): Promise<{ created: boolean }> {
    const [row] = await this.sequelize.query<{ created: boolean }>(
      `INSERT INTO conversation_members (conversation_id, user_id, role) VALUES ($1, $2, $3)
       ON CONFLICT (conversation_id, user_id) DO UPDATE SET role = EXCLUDED.role
       RETURNING (xmax = 0) AS created`,
      { bind: [conversationId, userId, role], type: QueryTypes.SELECT, ...inTx(tx) },
    );
    return { created: row?.created === true };
  }

  /** Removes a member; whether it was one. */
  async remove(conversationId: string, userId: string, tx?: Tx): Promise<boolean> {
    const removed = await this.models.Member.destroy({ where: { conversationId, userId }, ...inTx(tx) });
    return removed > 0;
  }

  /** The other members of the conversations `userId` owns. */
  async othersInOwnedBy(userId: string): Promise<{ conversationId: string; userId: string }[]> {
    return this.sequelize.query<{ conversationId: string; userId: string }>(
      `SELECT m.conversation_id AS "conversationId", m.user_id AS "userId"
         FROM conversation_members m JOIN conversations c ON c.id = m.conversation_id
        WHERE c.user_id = $1 AND m.user_id <> $1`,
      { bind: [userId], type: QueryTypes.SELECT },
    );
  }

  /** The conversations `userId` is a member of without owning them. */
  async joinedBy(userId: string): Promise<string[]> {
    const rows = await this.models.Member.findAll({
      where: { userId },
      attributes: ["conversationId", "role"],
    });
    return rows.filter((r) => r.role !== "owner").map((r) => r.conversationId);
  }
}
