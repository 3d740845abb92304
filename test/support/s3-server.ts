import { spawn } from "node:child_process";
import { once } from "node:events";
import { mkdtemp, rm } from "node:fs/promises";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import path from "node:path";

/** What s3rver accepts when it checks signatures (its documented defaults). */
export const S3RVER_CREDENTIALS = { accessKeyId: "S3RVER", secretAccessKey: "S3RVER" } as const;

export interface S3Server {
  /** `http://127.0.0.1:<port>`: S3_ENDPOINT for a store, path-style. */
  endpoint: string;
  bucket: string;
  /** The directory it keeps objects in (one file per object, under the bucket's name). */
  directory: string;
  stop(): Promise<void>;
}

/**
 * A real S3-compatible server, s3rver (the HTTP API over files on disk), in a process of its own:
 * its own command on a free loopback port, with a fresh directory and the bucket made at start.
 * The S3 client speaks to it over HTTP exactly as to S3: signatures (v4, checked), multipart
 * uploads, streamed GetObject, DeleteObjects.
 */
export async function startS3Server(bucket = "confab-test", timeoutMs = 20_000): Promise<S3Server> {
  const directory = await mkdtemp(path.join(tmpdir(), "confab-s3-"));
  const bin = createRequire(import.meta.url).resolve("s3rver/bin/s3rver.js");
  const child = spawn(
    process.execPath,
    [bin, "--directory", directory, "--address", "127.0.0.1", "--port", "0", "--silent"].concat([
      "--configure-bucket",
      bucket,
    ]),
    { stdio: ["ignore", "pipe", "pipe"] },
  );
  let output = "";
  child.stdout.on("data", (d: Buffer) => (output += d.toString()));
  child.stderr.on("data", (d: Buffer) => (output += d.toString()));
  try {
    const port = await new Promise<string>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`s3rver did not start:\n${output}`)), timeoutMs);
      const onData = () => {
        const match = /S3rver listening on [^:]+:(\d+)/.exec(output);
        if (!match) return;
        clearTimeout(timer);
        child.stdout.off("data", onData);
        resolve(match[1]!);
      };
      child.stdout.on("data", onData);
      child.once("exit", (code) => {
        clearTimeout(timer);
        reject(new Error(`s3rver exited with ${code}:\n${output}`));
      });
    });
    return {
      endpoint: `http://127.0.0.1:${port}`,
      bucket,
      directory,
      async stop() {
        if (child.exitCode === null && child.signalCode === null) {
          const exited = once(child, "exit");
          child.kill("SIGTERM");
          await exited;
        }
        await rm(directory, { recursive: true, force: true });
      },
    };
  } catch (err) {
    child.kill("SIGKILL");
    await rm(directory, { recursive: true, force: true });
    throw err;
  }
}
