/**
 * Confab in a process of its own for the upload benchmark, started as the tests start it (a fresh
 * database of the machine's PostgreSQL), its file store from FILE_STORE, S3_BUCKET and S3_ENDPOINT
 * (credentials from the AWS variables, through the SDK's own chain). The demo agent's model is a fake
 * that streams BENCH_ANSWER_CHUNKS words BENCH_ANSWER_CHUNK_MS apart, so that an answer goes on while
 * files are uploaded. Prints `listening <port>`, then answers IPC messages: "memory" (RSS and heap
 * now), "loop" (its event loop's delays since the last "loop": p50, p99, max in ms), "token" (a
 * token for `sub`) and "stop".
 */
import { monitorEventLoopDelay } from "node:perf_hooks";
import { FakeChatModel } from "../../support/fake-chat-model.js";
import { startTestServer } from "../../support/test-server.js";

const passed = ["FILE_STORE", "S3_BUCKET", "S3_ENDPOINT", "S3_REGION", "FILE_MAX_BYTES"];
const env: Record<string, string> = {
  // Every chunk of the answer is its own delta, so that the gaps between them are the model's pace
  // plus whatever held the event loop.
  STREAM_FLUSH_MS: "0",
  RATE_LIMIT_UPLOADS_PER_MINUTE: "100000",
};
for (const name of passed) if (process.env[name]) env[name] = process.env[name];

const chunks = Number(process.env.BENCH_ANSWER_CHUNKS ?? 300);
const delayMs = Number(process.env.BENCH_ANSWER_CHUNK_MS ?? 10);
const model = new FakeChatModel({ chunks: Array.from({ length: chunks }, (_, i) => `w${i} `), delayMs });
const server = await startTestServer({ env, chatModels: { demo: model } });

const loop = monitorEventLoopDelay({ resolution: 10 });
loop.enable();

process.on("message", (message: { kind: string; sub?: string }) => {
  if (message.kind === "loop") {
    const ms = (ns: number) => ns / 1e6;
    process.send?.({ p50: ms(loop.percentile(50)), p99: ms(loop.percentile(99)), max: ms(loop.max) });
    loop.reset();
  } else if (message.kind === "memory") {
    const { rss, heapUsed, external, arrayBuffers } = process.memoryUsage();
    process.send?.({ rss, heapUsed, external, arrayBuffers });
  } else if (message.kind === "token") {
    process.send?.({ token: server.token(message.sub ?? "bench", { expiresInSeconds: 7200 }) });
  } else if (message.kind === "stop") {
    void server.close().then(() => process.exit(0));
  }
});
process.stdout.write(`listening ${new URL(server.url).port}\n`);
