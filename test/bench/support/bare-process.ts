/**
 * Bare socket.io for the connection benchmark: the same handshake path without authentication, a
 * `join` event with an ack into one room. Prints `listening <port>`; answers IPC "heap" like
 * confab-process.ts.
 */
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { Server } from "socket.io";

const http = createServer();
const io = new Server(http, { serveClient: false });
io.of("/chat").on("connection", (socket) => {
  socket.on("join", (_payload: unknown, ack: (answer: unknown) => void) => {
    void socket.join("room");
    ack({ ok: true });
  });
});
process.on("message", (message: { kind: string }) => {
  if (message.kind === "heap") {
    global.gc?.();
    process.send?.({ heap: process.memoryUsage().heapUsed });
  } else if (message.kind === "stop") process.exit(0);
});
http.listen(0, "127.0.0.1", () =>
  process.stdout.write(`listening ${(http.address() as AddressInfo).port}\n`),
);
