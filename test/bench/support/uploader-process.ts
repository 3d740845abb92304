/**
 * The clients of the upload benchmark, in a process of their own so that building and sending the
 * uploads does not delay what the benchmark measures in its own process. Given
 * `{url, token, conversationId, count, bytes, atOnce}` as JSON in argv[2], it makes `count` different
 * text files of `bytes` bytes, prints `ready`, and on the IPC message "go" uploads them (all at once,
 * or one after another) to `POST /conversations/:id/files`, then sends back each upload's time in ms.
 */
import { randomBytes } from "node:crypto";

interface Job {
  url: string;
  token: string;
  conversationId: string;
  count: number;
  bytes: number;
  atOnce: boolean;
}

const job = JSON.parse(process.argv[2]!) as Job;

/** Text (base64 lines), its first line unique, so that no two uploads are the same file. */
function textFile(n: number): Buffer<ArrayBuffer> {
  const text = randomBytes(Math.ceil((job.bytes * 3) / 4))
    .toString("base64")
    .replace(/.{76}/g, "$&\n");
  const body = Buffer.alloc(job.bytes);
  body.write(text, 0, "latin1");
  body.write(`upload ${n} `.padEnd(20, "."), 0);
  return body;
}

async function upload(data: Buffer<ArrayBuffer>): Promise<number> {
  const form = new FormData();
  form.append("file", new Blob([data], { type: "text/plain" }), "bench.txt");
  const started = performance.now();
  const res = await fetch(`${job.url}/api/v1/conversations/${job.conversationId}/files`, {
    method: "POST",
    headers: { authorization: `Bearer ${job.token}` },
    body: form,
  });
  const body = (await res.json()) as { file?: { size: number } };
  if (res.status !== 201 || body.file?.size !== data.length) {
    throw new Error(`upload refused: ${res.status} ${JSON.stringify(body)}`);
  }
  return performance.now() - started;
}

const files = Array.from({ length: job.count }, (_, i) => textFile(i));
process.once("message", () => {
  void (async () => {
    const times: number[] = [];
    if (job.atOnce) times.push(...(await Promise.all(files.map(upload))));
    else for (const file of files) times.push(await upload(file));
    process.send!({ times }, () => process.exit(0));
  })().catch((err: unknown) => {
    process.stderr.write(`${String(err)}\n`);
    process.exit(1);
  });
});
process.stdout.write("ready\n");
