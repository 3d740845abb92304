import { QueryTypes, type Sequelize } from "sequelize";

/** The `file_chunks` table: the PostgreSQL file store's bytes, one row per chunk of a file. */
export class FileChunkRepository {
  constructor(private readonly sequelize: Sequelize) {}

  async insert(fileId: string, index: number, data: Buffer): Promise<void> {
    await this.sequelize.query(`INSERT INTO file_chunks (file_id, idx, data) VALUES ($1, $2, $3)`, {
      bind: [fileId, index, data],
      type: QueryTypes.INSERT,
    });
  }

  async count(fileId: string): Promise<number> {
    const [row] = await this.sequelize.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM file_chunks WHERE file_id = $1`,
      { bind: [fileId], type: QueryTypes.SELECT },
    );
    return row?.n ?? 0;
  }

  async read(fileId: string, index: number): Promise<Buffer | null> {
    const [row] = await this.sequelize.query<{ data: Buffer }>(
      `SELECT data FROM file_chunks WHERE file_id = $1 AND idx = $2`,
      { bind: [fileId, index], type: QueryTypes.SELECT },
    );
    return row?.data ?? null;
  }

  async delete(fileIds: readonly string[]): Promise<void> {
    if (fileIds.length === 0) return;
    await this.sequelize.query(`DELETE FROM file_chunks WHERE file_id = ANY($1::uuid[])`, {
      bind: [[...fileIds]],
      type: QueryTypes.DELETE,
    });
  }
}
