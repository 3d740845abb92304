// Covers: src/chat/prompt.ts, src/conversations/message-history.ts, src/chat/summaries.ts (refresh in the
// background), src/tokens/token-counter.ts, src/db/repositories/ (message and conversation queries).
import { randomUUID } from "node:crypto";
import { expect } from "chai";
import type { Sequelize } from "sequelize";
import { buildPrompt } from "../../src/chat/prompt.js";
import { countTextTokens, MESSAGE_OVERHEAD_TOKENS } from "../../src/tokens/token-counter.js";
import { FakeChatModel } from "../support/fake-chat-model.js";
import { seedConversation, type SeededConversation } from "../support/seeded-conversation.js";
import { DEMO_AGENT_ID, startTestServer, type TestServer } from "../support/test-server.js";
import { waitUntil, within } from "../support/waiting.js";

/**
 * Counts the SQL statements a piece of work sends, less those that come by the clock rather than by
 * the turn: the answer's checkpoints (one a second of streaming, CHECKPOINT_MS) and the agent's tools
 * (read at most once per 2 s), so that a turn slowed by a busy machine would not count one more.
 */
async function countQueries(sequelize: Sequelize, work: () => Promise<unknown>): Promise<number> {
  let count = 0;
  const hook = (_options: unknown, query: unknown) => {
    const sql = (query as { sql?: unknown }).sql;
    if (typeof sql === "string" && /^\s*UPDATE messages m SET content|FROM "tools"/.test(sql)) return;
    count++;
  };
  sequelize.addHook("afterQuery", "count", hook);
  try {
    await work();
  } finally {
    sequelize.removeHook("afterQuery", "count");
  }
  return count;
}

describe("the history sent to the model", () => {
  let server: TestServer;
  const model = new FakeChatModel({ chunks: ["ok"] });

  before(async () => {
    // The node's own sweeps (every 5 s by default) would be counted among a turn's statements.
    server = await startTestServer({
      chatModels: { demo: model },
      env: { RECOVERY_INTERVAL_MS: "600000" },
    });
  });
  after(async () => {
    await server.close();
  });

  /** A conversation of `turns` question/answer pairs, written straight into the database. */
  async function conversationOf(
    turns: number,
    options: { branches?: number } = {},
  ): Promise<SeededConversation> {
    return seedConversation(server.confab.db, {
      userId: "history-user",
      agentId: DEMO_AGENT_ID,
      messages: turns * 2,
      ...options,
    });
  }

  /** The question a turn would store after the head of `seeded`. */
  async function questionAfter(seeded: SeededConversation, content: string) {
    const seq = 1 + (await server.confab.db.models.Conversation.findByPk(seeded.id))!.totalMessages;
    return {
      id: randomUUID(),
      parentId: seeded.path.at(-1)!,
      seq,
      content,
      contentTokens: await countTextTokens(content),
    };
  }

  const noSummary = { summary: null, summaryThroughId: null, summaryThroughSeq: 0 };

  const agent = { systemPrompt: "Be brief.", contextTokens: 200, conversationMemoryEnabled: true };

  it("keeps the newest complete turns that fit the budget, oldest first, after the system prompt", async () => {
    const seeded = await conversationOf(1000, { branches: 50 });
    const { messages, leftOut } = await buildPrompt(
      server.confab.conversations.history,
      agent,
      noSummary,
      await questionAfter(seeded, "and now?"),
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
    const seeded = await conversationOf(200);
    const { messages } = await buildPrompt(
      server.confab.conversations.history,
      agent,
      { summary: "We talked about trains.", summaryThroughId: seeded.path[299]!, summaryThroughSeq: 300 },
      await questionAfter(seeded, "remember?"),
    );
    expect(messages[1]).to.deep.equal({
      role: "system",
      content: "Summary of the earlier conversation: We talked about trains.",
    });
  });

  it("leaves out a summary written on another branch", async () => {
    const seeded = await conversationOf(200, { branches: 4 });
    const question = await questionAfter(seeded, "remember?");
    const other = await server.confab.db.models.Message.findByPk(seeded.branchIds[0]);
    const { messages } = await buildPrompt(
      server.confab.conversations.history,
      agent,
      { summary: "Another branch.", summaryThroughId: other!.id, summaryThroughSeq: other!.seq },
      question,
    );
    expect(messages.some((m) => m.content.includes("Another branch."))).to.equal(false);
    expect(messages.some((m) => /another answer|side/.test(m.content))).to.equal(false);
  });

  it("drops a background summary whose branch's summary was replaced while its answer was written", async () => {
    const seeded = await conversationOf(1000, { branches: 4 });
    const { models, repositories } = server.confab.db;
    const point = async (id: string) => {
      const m = (await models.Message.findByPk(id))!;
      return { id: m.id, seq: m.seq };
    };
    // A summary of the path up to its middle; the window of the next turn leaves older ones out.
    const onPath = await point(seeded.path[1000]!);
    expect(
      await repositories.conversations.extendSummary(seeded.id, null, "The path so far.", onPath),
    ).to.not.equal(null);
    const principal = {
      userId: "history-user",
      role: "user" as const,
      expiresAt: new Date(Date.now() + 60_000),
    };
    const asked = model.requests.length;
    model.hold(0);
    const paused = model.paused();
    const turn = await server.confab.chat.send(principal, { conversationId: seeded.id, content: "one more" });
    await paused;
    const sent = model.requests.at(-1)!.messages.map((m) => m.content);
    expect(sent).to.include("Summary of the earlier conversation: The path so far.");
    // Meanwhile a refresh after a turn on another branch replaces it with that branch's summary.
    const elsewhere = await point(seeded.branchIds[0]!);
    expect(
      await repositories.conversations.extendSummary(seeded.id, onPath.id, "Another branch.", elsewhere),
    ).to.not.equal(null);
    // The refresh's own conditional write, watched so that the test reads the summary once it is done.
    const { conversations } = repositories;
    const extend = conversations.extendSummary.bind(conversations);
    let refreshWrote: Promise<unknown> | undefined;
    conversations.extendSummary = (...args) => (refreshWrote = extend(...args));
    try {
      model.release();
      await turn.answer;
      // The turn's refresh asks for a summary of its path, and then must not write it over the other.
      await waitUntil("the turn's refresh to ask for a summary", () =>
        model.requests.slice(asked).some((r) => r.purpose === "summary"),
      );
      expect(model.requests.slice(asked).map((r) => r.purpose)).to.include("summary");
      await waitUntil("the refresh to try to write its summary", () => refreshWrote !== undefined);
      await within("the refresh's write to be answered", refreshWrote!);
    } finally {
      conversations.extendSummary = extend;
    }
    const stored = (await models.Conversation.findByPk(seeded.id))!;
    expect({ summary: stored.summary, through: stored.summaryThroughId }).to.deep.equal({
      summary: "Another branch.",
      through: elsewhere.id,
    });
  });

  it("sends only the new message when memory is off", async () => {
    const seeded = await conversationOf(5);
    const { messages } = await buildPrompt(
      server.confab.conversations.history,
      { ...agent, conversationMemoryEnabled: false },
      noSummary,
      await questionAfter(seeded, "fresh"),
    );
    expect(messages).to.deep.equal([
      { role: "system", content: "Be brief." },
      { role: "user", content: "fresh" },
    ]);
  });

  it("leaves out failed answers and keeps cancelled ones as the user saw them", async () => {
    const seeded = await conversationOf(3);
    const id = seeded.id;
    const { Message } = server.confab.db.models;
    await Message.update({ status: "error" }, { where: { conversationId: id, seq: 2 } });
    await Message.update(
      { status: "cancelled", content: "answer cut" },
      { where: { conversationId: id, seq: 4 } },
    );
    const { messages } = await buildPrompt(
      server.confab.conversations.history,
      agent,
      noSummary,
      await questionAfter(seeded, "next"),
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

  it("costs a turn the same queries and rows at 10, 2,000 and 6,000 messages and with 200 branches", async () => {
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
    // A summary refresh runs in the background after long turns, whenever the pool is quiet: it is
    // not the turn's cost, and where it fell would change the count (bench:turn measures it apart).
    await models.Agent.update({ autoGenerateSummary: false }, { where: { id: DEMO_AGENT_ID } });
    const { messages } = server.confab.db.repositories;
    const costOf = async (seeded: SeededConversation) => {
      rows = 0;
      messages.rowsRead = 0;
      const queries = await countQueries(sequelize, async () => {
        const turn = await server.confab.chat.send(principal, {
          conversationId: seeded.id,
          content: "one more",
        });
        await turn.answer;
      });
      return { queries, rows, windowRows: messages.rowsRead };
    };
    try {
      // A user's first turn on a node also reads the user once; the turns compared come after it.
      await costOf(await conversationOf(1));
      const short = await costOf(await conversationOf(5));
      const long = await costOf(await conversationOf(1000));
      const longer = await costOf(await conversationOf(3000));
      const branched = await costOf(await conversationOf(1000, { branches: 200 }));
      // The same statements whatever the length or the branches; the window reads what it keeps.
      expect(long).to.deep.equal(longer);
      expect(branched).to.deep.equal(long);
      expect(long.queries).to.equal(short.queries);
      // The demo agent's window of 6,000 tokens holds about 850 of these 7-token messages.
      expect(long.windowRows).to.be.within(500, 1100);
      expect(short.windowRows).to.equal(10);
    } finally {
      await models.Agent.update({ autoGenerateSummary: true }, { where: { id: DEMO_AGENT_ID } });
      models.Message.removeHook("afterFind", "rows");
    }
  });
});
