import type { Config, S3Settings } from "../config.js";
import type { Repositories } from "../db/repositories/index.js";
import type { FileStore } from "./file-store.js";
import { PostgresFileStore } from "./postgres-file-store.js";

/** The store FILE_STORE names: PostgreSQL (the default) or an S3-compatible bucket. */
export function createFileStore(config: Config, repositories: Repositories): FileStore {
  if (config.fileStore === "s3" && config.s3) return s3FileStore(config.s3);
  return new PostgresFileStore(repositories.fileChunks);
}

/**
 * The S3 store, its module (the AWS SDK: some 150 ms and 20 MiB to load) loaded on first use, so that
 * a server that keeps files in PostgreSQL never pays for it. Credentials: the SDK's own chain
 * (AWS_ACCESS_KEY_ID…, profiles, instance roles).
 */
function s3FileStore(s3: S3Settings): FileStore {
  let loaded: Promise<FileStore> | undefined;
  const store = () =>
    (loaded ??= import("./s3-file-store.js").then(
      ({ S3FileStore }) => new S3FileStore({ bucket: s3.bucket, endpoint: s3.endpoint, region: s3.region }),
    ));
  return {
    kind: "s3",
    put: async (fileId, body) => (await store()).put(fileId, body),
    get: async (fileId) => (await store()).get(fileId),
    delete: async (fileIds) => (await store()).delete(fileIds),
  };
}
