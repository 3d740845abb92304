import { Op, type CreationAttributes } from "sequelize";
import type { Invite, Models } from "../models/index.js";
import { inTx, type InviteRecord, type Tx } from "../records.js";

/** The `invites` table: links to a conversation, found by the hash of their token. */
export class InviteRepository {
  constructor(private readonly models: Models) {}

  async create(fields: CreationAttributes<Invite>): Promise<InviteRecord> {
    return (await this.models.Invite.create(fields)).get({ plain: true });
  }

  /** A conversation's invites, newest first. */
  async list(conversationId: string): Promise<InviteRecord[]> {
    const rows = await this.models.Invite.findAll({
      where: { conversationId },
      order: [
        ["createdAt", "DESC"],
        ["id", "ASC"],
      ],
    });
    return rows.map((r) => r.get({ plain: true }));
  }

  /** Revokes an invite of this conversation; whether there was one not yet revoked. */
  async revoke(conversationId: string, id: string): Promise<boolean> {
    const [count] = await this.models.Invite.update(
      { revokedAt: new Date() },
      { where: { id, conversationId, revokedAt: null } },
    );
    return count > 0;
  }

  /** The invite with this token hash, if it can still be used: not revoked, not expired, not used up. */
  async findUsable(tokenHash: string, tx?: Tx): Promise<InviteRecord | null> {
    const row = await this.models.Invite.findOne({
      where: {
        tokenHash,
        revokedAt: null,
        expiresAt: { [Op.gt]: new Date() },
        [Op.or]: [{ maxUses: null }, { uses: { [Op.lt]: this.models.Invite.sequelize!.col("max_uses") } }],
      },
      ...inTx(tx),
    });
    return row?.get({ plain: true }) ?? null;
  }

  /** Counts one use, if one is left (in one statement: two accepting at once never overdraw it). */
  async use(id: string, tx: Tx): Promise<boolean> {
    const [count] = await this.models.Invite.update(
      { uses: this.models.Invite.sequelize!.literal("uses + 1") },
      {
        where: {
          id,
          revokedAt: null,
          expiresAt: { [Op.gt]: new Date() },
          [Op.or]: [{ maxUses: null }, { uses: { [Op.lt]: this.models.Invite.sequelize!.col("max_uses") } }],
        },
        transaction: tx,
      },
    );
    return count > 0;
  }
}
