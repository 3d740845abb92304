import { Readable } from "node:stream";
import {
  AbortMultipartUploadCommand,
  DeleteObjectsCommand,
  GetObjectCommand,
  NoSuchKey,
  S3Client,
  S3ServiceException,
  type S3ClientConfig,
} from "@aws-sdk/client-s3";
import { Upload } from "@aws-sdk/lib-storage";
import { AppError, notFound } from "../errors.js";
import type { FileStore } from "./file-store.js";

export interface S3FileStoreOptions {
  readonly bucket: string;
  readonly region: string;
  /** An S3-compatible service's URL (MinIO, R2, s3rver…); unset for AWS itself. */
  readonly endpoint?: string | undefined;
  /** Buckets in the path rather than the host name; default: true when `endpoint` is set. */
  readonly forcePathStyle?: boolean;
  /** Put before every file id to make the object's key (default "files/"). */
  readonly keyPrefix?: string;
  /** Default: the SDK's own chain (AWS_ACCESS_KEY_ID…, profiles, instance roles). */
  readonly credentials?: S3ClientConfig["credentials"];
  /** Bytes of one part of a multipart upload (default and minimum 5 MiB). */
  readonly partSize?: number;
  /** Parts of one upload in flight at once (default 2). */
  readonly queueSize?: number;
  /**
   * How long one request may wait for its response, and a connection stay silent, before it fails
   * (default 30000 ms); connecting gets a tenth of it.
   */
  readonly timeoutMs?: number;
}

/** S3's limit on the keys of one DeleteObjects request. */
const DELETE_BATCH = 1000;
const MIN_PART_SIZE = 5 * 1024 * 1024;

/**
 * Files' bytes as objects in an S3-compatible bucket, one object per file under `keyPrefix + id`.
 * Uploads of unknown length go up in parts of `partSize`, at most `queueSize` at a time, so the
 * memory one upload holds is bounded by about `partSize * (queueSize + 1)` whatever the file's size.
 *
 * Checksums stay the SDK's default (CRC32 on every part): s3rver, the tests' server, takes them. A
 * service that refuses them (some S3-compatible ones did when the SDK began sending them) is served by
 * the SDK's own AWS_REQUEST_CHECKSUM_CALCULATION=WHEN_REQUIRED, which its default chain reads.
 */
export class S3FileStore implements FileStore {
  readonly kind = "s3";
  private readonly client: S3Client;
  private readonly bucket: string;
  private readonly keyPrefix: string;
  private readonly partSize: number;
  private readonly queueSize: number;

  constructor(options: S3FileStoreOptions) {
    this.bucket = options.bucket;
    this.keyPrefix = options.keyPrefix ?? "files/";
    this.partSize = Math.max(options.partSize ?? MIN_PART_SIZE, MIN_PART_SIZE);
    this.queueSize = options.queueSize ?? 2;
    const timeoutMs = options.timeoutMs ?? 30_000;
    this.client = new S3Client({
      region: options.region,
      endpoint: options.endpoint,
      forcePathStyle: options.forcePathStyle ?? options.endpoint !== undefined,
      ...(options.credentials ? { credentials: options.credentials } : {}),
      // A store that is down must fail the request within seconds, not hang it: one retry of a
      // connection that failed, a bounded wait to connect, for the response, and on a silent socket.
      maxAttempts: 2,
      requestHandler: {
        connectionTimeout: Math.ceil(timeoutMs / 10),
        requestTimeout: timeoutMs,
        throwOnRequestTimeout: true,
        socketTimeout: timeoutMs,
      },
    });
  }

  private key(fileId: string): string {
    return `${this.keyPrefix}${fileId}`;
  }

  async put(fileId: string, body: Readable): Promise<void> {
    // The body's own error (the upload was cut, it went past the limit) is what the caller must see.
    let bodyError: unknown;
    const onError = (err: unknown) => (bodyError ??= err);
    body.on("error", onError);
    const upload = new Upload({
      client: this.client,
      // A stream of its own: given the caller's, the SDK would take its `size`, `length` or `path`
      // (the inspector's byte count so far, a file's) for the length of the whole upload.
      params: {
        Bucket: this.bucket,
        Key: this.key(fileId),
        Body: Readable.from(body, { objectMode: false }),
      },
      partSize: this.partSize,
      queueSize: this.queueSize,
      // The multipart upload is aborted here rather than by the SDK, whose failed abort would take
      // the place of the error that caused it.
      leavePartsOnError: true,
    });
    try {
      await upload.done();
    } catch (err) {
      await this.abort(fileId, upload.uploadId);
      throw bodyError ?? toStoreError(err);
    } finally {
      body.off("error", onError);
    }
  }

  /**
   * Drops the parts of a failed multipart upload, so that they are not kept (and billed). When that
   * fails too, they stay until the bucket's lifecycle rule for incomplete uploads removes them.
   */
  private async abort(fileId: string, uploadId: string | undefined): Promise<void> {
    if (uploadId === undefined) return;
    await this.client
      .send(
        new AbortMultipartUploadCommand({ Bucket: this.bucket, Key: this.key(fileId), UploadId: uploadId }),
      )
      .catch(() => undefined);
  }

  async get(fileId: string): Promise<Readable> {
    try {
      const object = await this.client.send(
        new GetObjectCommand({ Bucket: this.bucket, Key: this.key(fileId) }),
      );
      if (!(object.Body instanceof Readable)) throw new Error("the S3 client returned no Node.js stream");
      return object.Body;
    } catch (err) {
      if (err instanceof NoSuchKey) throw notFound("file");
      throw toStoreError(err);
    }
  }

  async delete(fileIds: readonly string[]): Promise<void> {
    for (let i = 0; i < fileIds.length; i += DELETE_BATCH) {
      const batch = fileIds.slice(i, i + DELETE_BATCH);
      let failed: { Key?: string | undefined; Code?: string | undefined }[];
      try {
        const result = await this.client.send(
          new DeleteObjectsCommand({
            Bucket: this.bucket,
            Delete: { Objects: batch.map((id) => ({ Key: this.key(id) })), Quiet: true },
          }),
        );
        failed = result.Errors ?? [];
      } catch (err) {
        throw toStoreError(err);
      }
      // S3 counts a key with no object as deleted; anything it reports is a real failure (access…).
      if (failed.length > 0) {
        throw new Error(
          `the file store did not delete ${failed.length} files: ${failed[0]!.Code ?? "unknown"}`,
        );
      }
    }
  }

  /** Closes the client's idle connections (a test's or a shutdown's last step). */
  close(): void {
    this.client.destroy();
  }
}

const NETWORK_CODES = new Set([
  "ECONNREFUSED",
  "ECONNRESET",
  "EPIPE",
  "ETIMEDOUT",
  "EHOSTUNREACH",
  "ENETUNREACH",
  "ENOTFOUND",
  "EAI_AGAIN",
]);

/** A store that could not be reached or failed on its side is `unavailable`; anything else is ours. */
function toStoreError(err: unknown): unknown {
  if (err instanceof AppError) return err;
  if (isUnreachable(err)) return new AppError("unavailable", "the file store is unavailable", { cause: err });
  return err;
}

function isUnreachable(err: unknown): boolean {
  if (err instanceof S3ServiceException)
    return err.$fault === "server" || (err.$metadata.httpStatusCode ?? 0) >= 500;
  if (!(err instanceof Error)) return false;
  if (err.name === "TimeoutError") return true;
  const code = (err as { code?: unknown }).code;
  return typeof code === "string" && NETWORK_CODES.has(code);
}
