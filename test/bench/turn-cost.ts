/**
 * How long a turn takes, model excluded, at 10 messages, at 2,000 on one long path, at 10,000, and
 * at 2,000 with 200 side branches, measured side by side in one run. `npm run bench:turn`. Prints
 * medians and the statements each turn sends; asserts nothing (a test never asserts a wall-clock
 * time).
 */
import type { Sequelize } from "sequelize";
import { buildPrompt } from "../../src/chat/prompt.js";
import { FakeChatModel } from "../support/fake-chat-model.js";
import { seedConversation, type SeededConversation } from "../support/seeded-conversation.js";
import { DEMO_AGENT_ID, startTestServer } from "../support/test-server.js";

const model = new FakeChatModel({ chunks: ["An ", "instant ", "answer."], delayMs: 0 });
const server = await startTestServer({ chatModels: { demo: model }, env: { STREAM_FLUSH_MS: "0" } });
const { models, sequelize } = server.confab.db;
const principal = { userId: "bench", role: "user" as const, expiresAt: new Date(Date.now() + 3600_000) };

const cases = [
  { label: "10 messages", messages: 10, branches: 0 },
  { label: "2,000 messages on one path", messages: 2000, branches: 0 },
  { label: "10,000 messages on one path", messages: 10_000, branches: 0 },
  { label: "2,000 on the path + 200 branches", messages: 2000, branches: 200 },
];
const seeded: SeededConversation[] = [];
for (const c of cases) {
  seeded.push(
    await seedConversation(server.confab.db, {
      userId: "bench",
      agentId: DEMO_AGENT_ID,
      messages: c.messages,
      branches: c.branches,
      tokens: 12,
      content: (n) => `message number ${n} of a long conversation about many things`,
    }),
  );
}

async function counted<T>(db: Sequelize, work: () => Promise<T>): Promise<{ result: T; queries: number }> {
  let queries = 0;
  db.addHook("beforeQuery", "count", () => void queries++);
  try {
    return { result: await work(), queries };
  } finally {
    db.removeHook("beforeQuery", "count");
  }
}

async function turn(conversationId: string): Promise<{ ms: number; queries: number }> {
  const started = performance.now();
  const { queries } = await counted(sequelize, async () => {
    const t = await server.confab.chat.send(principal, { conversationId, content: "one more question" });
    await t.answer;
  });
  return { ms: performance.now() - started, queries };
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const samples: number[][] = cases.map(() => []);
const queries: number[] = cases.map(() => 0);
for (let round = 0; round < 40; round++) {
  for (const [i, s] of seeded.entries()) {
    const t = await turn(s.id);
    samples[i]!.push(t.ms);
    queries[i] = t.queries;
  }
}
for (const [i, c] of cases.entries()) {
  console.log(
    `turn at ${c.label}: median ${median(samples[i]!.slice(5)).toFixed(2)} ms over 35 turns, ${queries[i]} statements`,
  );
}

// The history window alone (the demo agent: 6,000 tokens), with the statements it sends.
const agent = { systemPrompt: "Be brief.", contextTokens: 6000, conversationMemoryEnabled: true };
const noSummary = { summary: null, summaryThroughId: null, summaryThroughSeq: 0 };
for (const [i, c] of cases.entries()) {
  const conversation = (await models.Conversation.findByPk(seeded[i]!.id))!;
  const question = {
    id: conversation.headId!,
    parentId: conversation.headId,
    seq: conversation.totalMessages + 1,
    content: "next",
    contentTokens: 1,
  };
  const times: number[] = [];
  let kept = 0;
  let statements = 0;
  for (let round = 0; round < 40; round++) {
    const started = performance.now();
    const { result: prompt, queries: q } = await counted(sequelize, () =>
      buildPrompt(server.confab.conversations.history, agent, noSummary, question),
    );
    times.push(performance.now() - started);
    kept = prompt.messages.length - 2;
    statements = q;
  }
  console.log(
    `window at ${c.label}: median ${median(times.slice(5)).toFixed(2)} ms, ${kept} messages kept, ${statements} statements`,
  );
}
await server.close();
