/**
 * Deltas per second delivered to tabs, by one node and by two nodes (the tab on the other node, so
 * every delta crosses Redis), with STREAM_FLUSH_MS=0 and with the default 30. `npm run bench:deltas`.
 * Ratios measured side by side in one run; nothing is asserted.
 */
import type { ConversationResource } from "../../src/conversations/resources.js";
import { call, connect, observeAnswer } from "../support/clients.js";
import { startCluster } from "../support/cluster.js";
import { FakeChatModel } from "../support/fake-chat-model.js";
import { rest } from "../support/rest.js";
import { DEMO_AGENT_ID } from "../support/test-server.js";

const CONVERSATIONS = 20;
const CHUNKS = 400;

async function run(nodes: 1 | 2, flushMs: string) {
  const model = () =>
    new FakeChatModel({ chunks: Array.from({ length: CHUNKS }, (_, i) => `w${i} `), delayMs: 1 });
  const cluster = await startCluster(nodes, {
    env: { STREAM_FLUSH_MS: flushMs },
    chatModels: () => ({ demo: model() }),
  });
  const writerNode = cluster.nodes[0]!;
  const readerNode = cluster.nodes[nodes - 1]!;
  try {
    const ids: string[] = [];
    for (let i = 0; i < CONVERSATIONS; i++) {
      const res = await rest(writerNode.url, writerNode.token(`bench${i}`)).post<ConversationResource>(
        "/api/v1/conversations",
        { agentId: DEMO_AGENT_ID, title: "bench" },
      );
      ids.push(res.body.id);
    }
    const readers = await Promise.all(
      ids.map((_, i) => connect(readerNode.url, readerNode.token(`bench${i}`))),
    );
    const writers = await Promise.all(
      ids.map((_, i) => connect(writerNode.url, writerNode.token(`bench${i}`))),
    );
    for (const [i, r] of readers.entries()) await call(r, "conversation:join", { conversationId: ids[i]! });
    const started = performance.now();
    const answers = readers.map((r, i) => observeAnswer(r, ids[i]!));
    await Promise.all(
      writers.map((w, i) => call(w, "message:send", { conversationId: ids[i]!, content: "go" })),
    );
    const observed = await Promise.all(answers);
    const seconds = (performance.now() - started) / 1000;
    const events = observed.reduce((n, o) => n + o.deltas.length, 0);
    const chars = observed.reduce((n, o) => n + o.text.length, 0);
    const exact = observed.every((o) => o.text === o.end.message.content);
    for (const s of [...readers, ...writers]) s.close();
    return { events, seconds, chars, exact };
  } finally {
    await cluster.close();
  }
}

for (const flush of ["0", "30"]) {
  for (const nodes of [1, 2] as const) {
    const r = await run(nodes, flush);
    console.log(
      `STREAM_FLUSH_MS=${flush.padEnd(2)} nodes=${nodes}: ${(r.events / r.seconds).toFixed(0).padStart(6)} delta events/s, ` +
        `${(r.chars / r.seconds / 1000).toFixed(1)} k chars/s, ${r.events} events for ${CONVERSATIONS} answers ` +
        `in ${r.seconds.toFixed(2)} s, text exact: ${r.exact}`,
    );
  }
}
