import type { Config } from "../config.js";
import type { Repositories } from "../db/repositories/index.js";
import type { FileStore } from "./file-store.js";
import { PostgresFileStore } from "./postgres-file-store.js";

/** The store FILE_STORE names: PostgreSQL (the default) or an S3-compatible bucket. */
export function createFileStore(_config: Config, repositories: Repositories): FileStore {
  return new PostgresFileStore(repositories.fileChunks);
}
