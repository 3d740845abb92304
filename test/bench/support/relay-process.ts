/**
 * The thinnest possible relay, in a process of its own, for benchmarks: the official `openai` client
 * piping a vendor stream into a bare Socket.IO room, one event per chunk. With REDIS_URL, rooms are
 * shared through @socket.io/redis-adapter (two relays are a bare two-node relay). Clients send
 * `join {room}` and `go {room, model}`; tabs get `delta {seq, delta}` and `done {}`.
 * Prints `listening <port>` when ready.
 */
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { createAdapter } from "@socket.io/redis-adapter";
import { Redis } from "ioredis";
import OpenAI from "openai";
import { Server } from "socket.io";

const vendor = new OpenAI({ apiKey: "bench", baseURL: process.env.VENDOR_URL, maxRetries: 0 });
const http = createServer();
const redisUrl = process.env.REDIS_URL;
const io = new Server(http, {
  serveClient: false,
  ...(redisUrl
    ? {
        adapter: createAdapter(new Redis(redisUrl), new Redis(redisUrl), {
          key: process.env.REDIS_KEY_PREFIX ?? "relay",
        }),
      }
    : {}),
});
io.on("connection", (socket) => {
  socket.on("join", ({ room }: { room: string }, ack: () => void) => {
    void socket.join(room);
    ack();
  });
  socket.on("go", ({ room, model }: { room: string; model: string }, ack: () => void) => {
    ack();
    void (async () => {
      const stream = await vendor.chat.completions.create({
        model,
        messages: [{ role: "user", content: "go" }],
        stream: true,
      });
      let seq = 0;
      for await (const chunk of stream) {
        const delta = chunk.choices[0]?.delta?.content;
        if (delta) io.to(room).emit("delta", { seq: ++seq, delta });
      }
      io.to(room).emit("done", {});
    })();
  });
});
http.listen(Number(process.env.PORT ?? 0), "127.0.0.1", () => {
  process.stdout.write(`listening ${(http.address() as AddressInfo).port}\n`);
});
