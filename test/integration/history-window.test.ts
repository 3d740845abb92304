import { expect } from "chai";
import type { Sequelize } from "sequelize";
import { buildPrompt } from "../../src/chat/prompt.js";
import { countTextTokens, MESSAGE_OVERHEAD_TOKENS } from "../../src/tokens/token-counter.js";
import { FakeChatModel } from "../support/fake-chat-model.js";
import { DEMO_AGENT_ID, startTestServer, type TestServer } from "../support/test-server.js";

/** Counts the SQL statements a piece of work sends. */
async function countQueries(sequelize: Sequelize, work: () => Promise<unknown>): Promise<number> {
  let count = 0;
  const hook = () => {
    count++;
  };
  sequelize.addHook("beforeQuery", "count", hook);
  try {
    await work();
  } finally {
    sequelize.removeHook("beforeQuery", "count");
  }
  return count;
}

describe("the history sent to the model", () => {
  let server: TestServer;
  const model = new FakeChatModel({ chunks: ["ok"] });

  before(async () => {
    server = await startTestServer({ chatModels: { demo: model } });
  });
  after(async () => {
    await server.close();
  });

  /** A conversation of `turns` question/answer pairs, written straight into the database. */
  async function conversationOf(turns: number, userId = "history-user"): Promise<string> {
    const { models } = server.confab.db;
    await models.User.findOrCreate({ where: { id: userId }, defaults: { id: userId, role: "user" } });
    const conversation = await models.Conversation.create({ userId, agentId: DEMO_AGENT_ID, title: "long" });
    await server.confab.db.sequelize.query(
      `INSERT INTO messages (id, conversation_id, seq, role, content, status, content_tokens)
       SELECT gen_random_uuid(), :id, n,
              CASE WHEN n % 2 = 1 THEN 'user' ELSE 'assistant' END,
              CASE WHEN n % 2 = 1 THEN 'question number ' || n ELSE 'answer number ' || n END,
              'complete', 3
         FROM generate_series(1, :count) AS n`,
      { replacements: { id: conversation.id, count: turns * 2 } },
    );
    await conversation.update({ totalMessages: turns * 2, lastMessageAt: new Date() });
    return conversation.id;
  }

  const agent = { systemPrompt: "Be brief.", contextTokens: 200, conversationMemoryEnabled: true };

  it("keeps the newest complete turns that fit the budget, oldest first, after the system prompt", async () => {
    const id = await conversationOf(1000);
    const { messages, leftOut } = await buildPrompt(
      server.confab.conversations.history,
      agent,
      { id, summary: null },
      { seq: 2001, content: "and now?", contentTokens: await countTextTokens("and now?") },
    );
    expect(leftOut).to.equal(true);
    expect(messages[0]).to.deep.equal({ role: "system", content: "Be brief." });
    expect(messages.at(-1)).to.deep.equal({ role: "user", content: "and now?" });
    const window = messages.slice(1, -1);
    expect(window[0]?.role).to.equal("user");
    expect(window.at(-1)?.content).to.equal("answer number 2000");
    const seqs = window.map((m) => Number(/\d+$/.exec(m.content)![0]));
    expect(seqs).to.deep.equal(seqs.map((_, i) => seqs[0]! + i));
    const used =
      messages.length * MESSAGE_OVERHEAD_TOKENS +
      (await countTextTokens("Be brief.")) +
      (await countTextTokens("and now?")) +
      window.length * 3;
    expect(used).to.be.at.most(agent.contextTokens);
    expect(window.length).to.be.greaterThan(10);
  });

  it("puts the summary before the window when older turns are left out", async () => {
    const id = await conversationOf(200);
    const { messages } = await buildPrompt(
      server.confab.conversations.history,
      agent,
      { id, summary: "We talked about trains." },
      { seq: 401, content: "remember?", contentTokens: await countTextTokens("remember?") },
    );
    expect(messages[1]).to.deep.equal({
      role: "system",
      content: "Summary of the earlier conversation: We talked about trains.",
    });
  });

  it("sends only the new message when memory is off", async () => {
    const id = await conversationOf(5);
    const { messages } = await buildPrompt(
      server.confab.conversations.history,
      { ...agent, conversationMemoryEnabled: false },
      { id, summary: null },
      { seq: 11, content: "fresh", contentTokens: await countTextTokens("fresh") },
    );
    expect(messages).to.deep.equal([
      { role: "system", content: "Be brief." },
      { role: "user", content: "fresh" },
    ]);
  });

  it("leaves out failed answers and keeps cancelled ones as the user saw them", async () => {
    const id = await conversationOf(3);
    const { Message } = server.confab.db.models;
    await Message.update({ status: "error" }, { where: { conversationId: id, seq: 2 } });
    await Message.update(
      { status: "cancelled", content: "answer cut" },
      { where: { conversationId: id, seq: 4 } },
    );
    const { messages } = await buildPrompt(
      server.confab.conversations.history,
      agent,
      { id, summary: null },
      { seq: 7, content: "next", contentTokens: await countTextTokens("next") },
    );
    expect(messages.map((m) => m.content)).to.deep.equal([
      "Be brief.",
      "question number 1",
      "question number 3",
      "answer cut",
      "question number 5",
      "answer number 6",
      "next",
    ]);
  });

  it("costs a turn the same queries and rows at 2,000 messages as at 6,000, and no more than the window needs", async () => {
    const { sequelize, models } = server.confab.db;
    const principal = {
      userId: "history-user",
      role: "user" as const,
      expiresAt: new Date(Date.now() + 60_000),
    };
    let rows = 0;
    const countRows = (found: unknown) => {
      rows += Array.isArray(found) ? found.length : found ? 1 : 0;
    };
    models.Message.addHook("afterFind", "rows", countRows);
    const costOf = async (conversationId: string) => {
      rows = 0;
      const queries = await countQueries(sequelize, async () => {
        const turn = await server.confab.chat.send(principal, { conversationId, content: "one more" });
        await turn.answer;
      });
      return { queries, rows };
    };
    try {
      const short = await costOf(await conversationOf(5));
      const long = await costOf(await conversationOf(1000));
      const longer = await costOf(await conversationOf(3000));
      expect(longer).to.deep.equal(long);
      // The demo agent's window of 6,000 tokens holds about 850 of these 7-token messages: a few
      // batches of seq ranges, and rows for the window alone, not for the conversation.
      expect(long.queries - short.queries).to.be.at.most(4);
      expect(long.rows).to.be.below(1100);
    } finally {
      models.Message.removeHook("afterFind", "rows");
    }
  });
});
