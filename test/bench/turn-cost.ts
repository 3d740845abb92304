/**
 * How long a turn takes, model excluded, at two conversation lengths, measured side by side in one
 * run. `npm run bench:turn`. Prints medians; asserts nothing (a test never asserts a wall-clock time).
 */
import { buildPrompt } from "../../src/chat/prompt.js";
import { FakeChatModel } from "../support/fake-chat-model.js";
import { DEMO_AGENT_ID, startTestServer } from "../support/test-server.js";

const model = new FakeChatModel({ chunks: ["An ", "instant ", "answer."], delayMs: 0 });
const server = await startTestServer({ chatModels: { demo: model }, env: { STREAM_FLUSH_MS: "0" } });
const { models, sequelize } = server.confab.db;
const principal = { userId: "bench", role: "user" as const, expiresAt: new Date(Date.now() + 3600_000) };
await models.User.create({ id: "bench", role: "user" });

async function conversationOf(messages: number): Promise<string> {
  const c = await models.Conversation.create({ userId: "bench", agentId: DEMO_AGENT_ID, title: "bench" });
  await sequelize.query(
    `INSERT INTO messages (id, conversation_id, seq, role, content, status, content_tokens)
     SELECT gen_random_uuid(), :id, n, CASE WHEN n % 2 = 1 THEN 'user' ELSE 'assistant' END,
            'message number ' || n || ' of a long conversation about many things', 'complete', 12
       FROM generate_series(1, :count) AS n`,
    { replacements: { id: c.id, count: messages } },
  );
  await c.update({ totalMessages: messages });
  return c.id;
}

async function turnMs(conversationId: string): Promise<number> {
  const started = performance.now();
  const turn = await server.confab.chat.send(principal, { conversationId, content: "one more question" });
  await turn.answer;
  return performance.now() - started;
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const lengths = [10, 2000, 10_000];
const ids = await Promise.all(lengths.map((n) => conversationOf(n)));
const samples: number[][] = lengths.map(() => []);
for (let round = 0; round < 40; round++) {
  for (const [i, id] of ids.entries()) samples[i]!.push(await turnMs(id));
}
for (const [i, n] of lengths.entries()) {
  console.log(`turn at ${n} messages: median ${median(samples[i]!.slice(5)).toFixed(2)} ms over 35 turns`);
}

// The history window alone (the demo agent: 6,000 tokens), with the number of queries it sends.
const agent = { systemPrompt: "Be brief.", contextTokens: 6000, conversationMemoryEnabled: true };
for (const [i, n] of lengths.entries()) {
  const conversation = { id: ids[i]!, summary: null };
  const newest = (await models.Conversation.findByPk(ids[i]))!.totalMessages;
  let queries = 0;
  sequelize.addHook("beforeQuery", "count", () => void queries++);
  const times: number[] = [];
  let kept = 0;
  for (let round = 0; round < 40; round++) {
    const started = performance.now();
    const prompt = await buildPrompt(server.confab.conversations.history, agent, conversation, {
      seq: newest + 1,
      content: "next",
      contentTokens: 1,
    });
    times.push(performance.now() - started);
    kept = prompt.messages.length - 2;
  }
  sequelize.removeHook("beforeQuery", "count");
  console.log(
    `window at ${n} messages: median ${median(times.slice(5)).toFixed(2)} ms, ${kept} messages kept, ${queries / 40} queries`,
  );
}
await server.close();
