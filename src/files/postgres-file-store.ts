import { Readable } from "node:stream";
import type { FileChunkRepository } from "../db/repositories/index.js";
import { AppError, isDatabaseUnavailable, notFound } from "../errors.js";
import type { FileStore } from "./file-store.js";

/** Bytes per row: a 10 MB file is 40 rows, each written as it arrives and read as it is sent. */
export const CHUNK_BYTES = 256 * 1024;

/**
 * Files' bytes in PostgreSQL (`file_chunks`, one row per 256 KiB), so that the embedded database holds
 * them too. Neither direction holds more than one chunk in memory. A file's chunks hang off its
 * `files` row and go with it.
 */
export class PostgresFileStore implements FileStore {
  readonly kind = "postgres" as const;

  constructor(private readonly chunks: FileChunkRepository) {}

  async put(fileId: string, body: Readable): Promise<void> {
    let index = 0;
    let pending: Buffer[] = [];
    let pendingBytes = 0;
    const write = async (data: Buffer) => {
      await this.chunks.insert(fileId, index, data);
      index += 1;
    };
    try {
      for await (const piece of body) {
        const bytes = Buffer.isBuffer(piece) ? piece : Buffer.from(piece as Uint8Array);
        pending.push(bytes);
        pendingBytes += bytes.length;
        while (pendingBytes >= CHUNK_BYTES) {
          const all = Buffer.concat(pending);
          await write(all.subarray(0, CHUNK_BYTES));
          pending = [all.subarray(CHUNK_BYTES)];
          pendingBytes = all.length - CHUNK_BYTES;
        }
      }
      if (pendingBytes > 0) await write(Buffer.concat(pending));
    } catch (err) {
      await this.chunks.delete([fileId]).catch(() => undefined);
      throw storeError(err);
    }
  }

  async get(fileId: string): Promise<Readable> {
    const count = await this.chunks.count(fileId).catch((err: unknown) => {
      throw storeError(err);
    });
    if (count === 0) throw notFound("file");
    const { chunks } = this;
    async function* read(): AsyncGenerator<Buffer> {
      for (let i = 0; i < count; i += 1) {
        const data = await chunks.read(fileId, i).catch((err: unknown) => {
          throw storeError(err);
        });
        if (data) yield data;
      }
    }
    return Readable.from(read(), { objectMode: false });
  }

  async delete(fileIds: readonly string[]): Promise<void> {
    await this.chunks.delete(fileIds).catch((err: unknown) => {
      throw storeError(err);
    });
  }
}

/** A database that cannot be reached is the store's outage (`503`); anything else is as it was. */
function storeError(err: unknown): unknown {
  if (err instanceof AppError) return err;
  if (isDatabaseUnavailable(err)) return new AppError("unavailable", "the file store is unavailable");
  return err;
}
