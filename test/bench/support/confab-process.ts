/**
 * Confab in a process of its own for the connection benchmark, started as the tests start it (a
 * fresh database of the machine's PostgreSQL), with `--expose-gc`. Prints `listening <port>`, then
 * answers IPC messages: "heap" (the heap used after a full collection) and "stop".
 */
import { startTestServer } from "../../support/test-server.js";

const server = await startTestServer({ env: { LOG_LEVEL: "silent" } });
const { DEMO_AGENT_ID } = await import("../../support/test-server.js");
const { rest } = await import("../../support/rest.js");
const conversation = await rest(server.url, server.token("tabs")).post<{ id: string }>(
  "/api/v1/conversations",
  {
    agentId: DEMO_AGENT_ID,
    title: "tabs",
  },
);
process.on("message", (message: { kind: string }) => {
  if (message.kind === "heap") {
    global.gc?.();
    process.send?.({ heap: process.memoryUsage().heapUsed });
  } else if (message.kind === "token") {
    process.send?.({
      token: server.token("tabs", { expiresInSeconds: 7200 }),
      conversationId: conversation.body.id,
    });
  } else if (message.kind === "stop") {
    void server.close().then(() => process.exit(0));
  }
});
process.stdout.write(`listening ${new URL(server.url).port}\n`);
