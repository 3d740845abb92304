/**
 * A stand-in OpenAI chat-completions server in a process of its own, for benchmarks: each request
 * streams `count` chunks, `intervalMs` apart (0: as fast as the socket takes them), each chunk's text
 * carrying the time it was sent (`t<epoch ms>;`) so a client can measure chunk-to-tab delay. The
 * model name sets both: `bench-<count>-<intervalMs>`. Prints `listening <port>` when ready.
 */
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";

const server = createServer((req, res) => {
  let body = "";
  req.on("data", (c: Buffer) => (body += c.toString()));
  req.on("end", () => {
    const model = (JSON.parse(body) as { model: string }).model;
    const [, countText, intervalText] = /^bench-(\d+)-(\d+)$/.exec(model) ?? [];
    const count = Number(countText ?? 100);
    const intervalMs = Number(intervalText ?? 0);
    res.writeHead(200, { "content-type": "text/event-stream", "cache-control": "no-cache" });
    const chunk = (delta: object, finish: string | null = null) =>
      `data: ${JSON.stringify({
        id: "c",
        object: "chat.completion.chunk",
        created: 0,
        model,
        choices: [{ index: 0, delta, finish_reason: finish }],
      })}\n\n`;
    res.write(chunk({ role: "assistant", content: "" }));
    let sent = 0;
    const finish = () => {
      res.write(chunk({}, "stop"));
      res.write(
        `data: ${JSON.stringify({ id: "c", object: "chat.completion.chunk", created: 0, model, choices: [], usage: { prompt_tokens: 10, completion_tokens: count, total_tokens: count + 10 } })}\n\n`,
      );
      res.end("data: [DONE]\n\n");
    };
    const next = () => {
      if (res.destroyed) return;
      if (sent >= count) return finish();
      if (intervalMs === 0) {
        // As fast as possible, yielding now and then so the socket drains.
        for (let i = 0; i < 50 && sent < count; i++)
          res.write(chunk({ content: `t${Date.now()};` }), () => undefined) && sent++;
        setImmediate(next);
        return;
      }
      res.write(chunk({ content: `t${Date.now()};` }));
      sent++;
      setTimeout(next, intervalMs);
    };
    next();
  });
});
server.keepAliveTimeout = 60_000;
server.listen(0, "127.0.0.1", () => {
  process.stdout.write(`listening ${(server.address() as AddressInfo).port}\n`);
});
