import { QueryTypes, type Sequelize } from "sequelize";
import { inTx, type Tx } from "../records.js";

/** A file as stored: its bytes live in the file store under `id`. */
export interface FileRecord {
  id: string;
  conversationId: string;
  /** Null once the uploader's account was erased. */
  uploadedBy: string | null;
  uploaderName: string | null;
  name: string;
  mediaType: string;
  size: number;
  sha256: string | null;
  width: number | null;
  height: number | null;
  /** A PDF's pages, counted from its bytes when it was stored. */
  pages: number | null;
  state: "uploading" | "stored" | "deleting";
  messageId: string | null;
  createdAt: Date;
}

const COLUMNS = `f.id, f.conversation_id AS "conversationId", f.uploaded_by AS "uploadedBy",
  u.name AS "uploaderName", f.name, f.media_type AS "mediaType", f.size::float8 AS size, f.sha256,
  f.width, f.height, f.pages, f.state, f.message_id AS "messageId", f.created_at AS "createdAt"`;

/** The `files` table: what was uploaded to which conversation, by whom, and which message sent it. */
export class FileRepository {
  constructor(private readonly sequelize: Sequelize) {}

  /** A row for a file whose bytes are being stored (`uploading`): the store's chunks hang off it. */
  async begin(file: { id: string; conversationId: string; uploadedBy: string; name: string }): Promise<void> {
    await this.sequelize.query(
      `INSERT INTO files (id, conversation_id, uploaded_by, name) VALUES ($1, $2, $3, $4)`,
      { bind: [file.id, file.conversationId, file.uploadedBy, file.name], type: QueryTypes.INSERT },
    );
  }

  /** The file's bytes are stored: what they are. */
  async stored(
    id: string,
    facts: {
      mediaType: string;
      size: number;
      sha256: string;
      width?: number | undefined;
      height?: number | undefined;
      pages?: number | undefined;
    },
  ): Promise<FileRecord | null> {
    await this.sequelize.query(
      `UPDATE files SET state = 'stored', media_type = $2, size = $3, sha256 = $4, width = $5, height = $6,
                        pages = $7
        WHERE id = $1`,
      {
        bind: [
          id,
          facts.mediaType,
          facts.size,
          facts.sha256,
          facts.width ?? null,
          facts.height ?? null,
          facts.pages ?? null,
        ],
        type: QueryTypes.UPDATE,
      },
    );
    return this.find(id);
  }

  async find(id: string): Promise<FileRecord | null> {
    const [row] = await this.sequelize.query<FileRecord>(
      `SELECT ${COLUMNS} FROM files f LEFT JOIN users u ON u.id = f.uploaded_by WHERE f.id = $1`,
      { bind: [id], type: QueryTypes.SELECT },
    );
    return row ?? null;
  }

  /** The stored files of a conversation, oldest first. */
  listStored(conversationId: string): Promise<FileRecord[]> {
    return this.sequelize.query<FileRecord>(
      `SELECT ${COLUMNS} FROM files f LEFT JOIN users u ON u.id = f.uploaded_by
        WHERE f.conversation_id = $1 AND f.state = 'stored' ORDER BY f.created_at, f.id`,
      { bind: [conversationId], type: QueryTypes.SELECT },
    );
  }

  /** These files, if they are of this conversation (missing ones are left out). */
  findInConversation(conversationId: string, ids: readonly string[], tx?: Tx): Promise<FileRecord[]> {
    if (ids.length === 0) return Promise.resolve([]);
    return this.sequelize.query<FileRecord>(
      `SELECT ${COLUMNS} FROM files f LEFT JOIN users u ON u.id = f.uploaded_by
        WHERE f.conversation_id = $1 AND f.id = ANY($2::uuid[])`,
      { bind: [conversationId, [...ids]], type: QueryTypes.SELECT, ...inTx(tx) },
    );
  }

  /** Marks these files sent with `messageId`, each if it is still unsent; returns the ids it marked. */
  async claim(ids: readonly string[], messageId: string, tx: Tx): Promise<string[]> {
    const rows = await this.sequelize.query<{ id: string }>(
      `UPDATE files SET message_id = $2
        WHERE id = ANY($1::uuid[]) AND state = 'stored' AND message_id IS NULL RETURNING id`,
      { bind: [[...ids], messageId], type: QueryTypes.SELECT, transaction: tx },
    );
    return rows.map((r) => r.id);
  }

  /** The ids of every file of these conversations (their bytes to delete from the store). */
  async idsOfConversations(conversationIds: readonly string[]): Promise<string[]> {
    if (conversationIds.length === 0) return [];
    const rows = await this.sequelize.query<{ id: string }>(
      `SELECT id FROM files WHERE conversation_id = ANY($1::uuid[])`,
      { bind: [[...conversationIds]], type: QueryTypes.SELECT },
    );
    return rows.map((r) => r.id);
  }

  /** What erasing a user deletes: the files it uploaded anywhere, and every file of what it owns. */
  async idsForErasure(userId: string): Promise<string[]> {
    const rows = await this.sequelize.query<{ id: string }>(
      `SELECT f.id FROM files f WHERE f.uploaded_by = $1
       UNION
       SELECT f.id FROM files f JOIN conversations c ON c.id = f.conversation_id WHERE c.user_id = $1`,
      { bind: [userId], type: QueryTypes.SELECT },
    );
    return rows.map((r) => r.id);
  }

  /** The files of the conversations soft-deleted before `before` (what the purge removes). */
  async idsOfDeletedBefore(before: Date): Promise<string[]> {
    const rows = await this.sequelize.query<{ id: string }>(
      `SELECT f.id FROM files f JOIN conversations c ON c.id = f.conversation_id
        WHERE c.status = 'deleted' AND c.deleted_at < $1`,
      { bind: [before], type: QueryTypes.SELECT },
    );
    return rows.map((r) => r.id);
  }

  /**
   * Takes files never sent, uploaded more than `seconds` ago (a few hundred at a time), for deletion:
   * marked `deleting` in the statement that checks they are still unsent, so that a send claiming one
   * meanwhile either wins (it is not taken) or finds it gone (`claim` takes only `stored` files).
   */
  async takeUnsent(seconds: number, limit = 500): Promise<string[]> {
    const rows = await this.sequelize.query<{ id: string }>(
      `UPDATE files SET state = 'deleting'
        WHERE id IN (SELECT id FROM files
                      WHERE message_id IS NULL AND created_at < now() - make_interval(secs => $1)
                      ORDER BY created_at LIMIT $2 FOR UPDATE SKIP LOCKED)
          AND message_id IS NULL
        RETURNING id`,
      { bind: [seconds, limit], type: QueryTypes.SELECT },
    );
    return rows.map((r) => r.id);
  }

  /** Deletes the rows (and with them the PostgreSQL store's chunks). */
  async delete(ids: readonly string[]): Promise<void> {
    if (ids.length === 0) return;
    await this.sequelize.query(`DELETE FROM files WHERE id = ANY($1::uuid[])`, {
      bind: [[...ids]],
      type: QueryTypes.DELETE,
    });
  }
}
