import type { Readable } from "node:stream";

/**
 * Where files' bytes live (PROTOCOL.md: files): one implementation per backend, PostgreSQL (the
 * default) or an S3-compatible bucket. Callers see streams by file id, never the backend. A store
 * that cannot be reached rejects with `AppError("unavailable")`.
 */
export interface FileStore {
  /** What `/readyz` and the logs call it. */
  readonly kind: "postgres" | "s3";
  /**
   * Stores the bytes `body` streams under `fileId`. When `body` errors (the upload was cut, it went
   * past the limit) or the store fails, it rejects and keeps nothing of them.
   */
  put(fileId: string, body: Readable): Promise<void>;
  /** The bytes stored under `fileId`, streamed; `not_found` when there are none. */
  get(fileId: string): Promise<Readable>;
  /** Deletes the bytes of these files; ids with none are skipped. */
  delete(fileIds: readonly string[]): Promise<void>;
}
