// Covers: src/chat/group-commit.ts and TurnStarter's group commit (turns that arrive together start
// in one transaction): every turn of a burst is stored once and in order, a refusal refuses only its
// own turn, and two sends in one conversation still get one answer at a time.
import { expect } from "chai";
import type { MessageResource } from "../../src/conversations/resources.js";
import { call, observeAnswer, request, Tabs, type ChatClient } from "../support/clients.js";
import { newConversation } from "../support/conversations.js";
import { FakeChatModel } from "../support/fake-chat-model.js";
import { rest } from "../support/rest.js";
import { startTestServer, type TestServer } from "../support/test-server.js";

describe("turns that arrive together (group commit)", () => {
  let server: TestServer;
  const model = new FakeChatModel();
  const openTabs = new Tabs();
  /** Statements that locked several conversations at once: a group ran. */
  let groupLocks = 0;

  before(async () => {
    // A small pool: one group of turns at a time, so that a burst waits and goes together.
    server = await startTestServer({ chatModels: { demo: model }, env: { DATABASE_POOL_MAX: "4" } });
    server.confab.db.sequelize.addHook("afterQuery", "groups", (_options, query) => {
      const sql = (query as unknown as { sql?: unknown }).sql;
      if (typeof sql === "string" && /= ANY\(\$1::uuid\[\]\) ORDER BY c\.id FOR UPDATE/.test(sql))
        groupLocks++;
    });
  });
  after(async () => {
    await server.close();
  });
  beforeEach(() => {
    model.script = { chunks: ["one ", "two ", "three"], delayMs: 1 };
    groupLocks = 0;
  });
  afterEach(() => {
    model.release();
    openTabs.closeAll();
  });

  const tab = (sub: string): Promise<ChatClient> =>
    openTabs.connect(server.url, server.token(sub, { name: sub }));

  async function stored(sub: string, conversationId: string): Promise<MessageResource[]> {
    const res = await rest(server.url, server.token(sub)).get<{ messages: MessageResource[] }>(
      `/api/v1/conversations/${conversationId}/messages?limit=100`,
    );
    return res.body.messages;
  }

  it("stores each of 40 sends made at once with its answer, in order, and answers each", async () => {
    const users = Array.from({ length: 40 }, (_, i) => `burst-${i}`);
    const conversations = await Promise.all(users.map((u) => newConversation(server, u)));
    const tabs = await Promise.all(users.map((u) => tab(u)));
    for (const [i, t] of tabs.entries())
      await call(t, "conversation:join", { conversationId: conversations[i]! });
    const answers = tabs.map((t, i) => observeAnswer(t, conversations[i]!));
    const acks = await Promise.all(
      tabs.map((t, i) =>
        request(t, "message:send", { conversationId: conversations[i]!, content: `question ${i}` }),
      ),
    );
    const observed = await Promise.all(answers);
    expect(groupLocks, "no group of turns ran").to.be.greaterThan(0);
    for (const [i, ack] of acks.entries()) {
      expect(ack.ok, JSON.stringify(ack)).to.equal(true);
      if (!ack.ok) continue;
      expect(ack.data.message).to.include({
        content: `question ${i}`,
        seq: 1,
        conversationId: conversations[i],
      });
      expect(observed[i]!.end.message).to.include({
        id: ack.data.assistantMessageId,
        status: "complete",
        content: "one two three",
      });
      const messages = await stored(users[i]!, conversations[i]!);
      expect(messages.map((m) => [m.seq, m.role, m.content, m.parentId])).to.deep.equal([
        [1, "user", `question ${i}`, null],
        [2, "assistant", "one two three", ack.data.message.id],
      ]);
      const conversation = await rest(server.url, server.token(users[i]!)).get<{
        headId: string;
        totalMessages: number;
      }>(`/api/v1/conversations/${conversations[i]!}`);
      expect(conversation.body).to.include({ headId: ack.data.assistantMessageId, totalMessages: 2 });
    }
    // The model was asked each question once, with nothing of another conversation.
    for (const [i] of users.entries()) {
      const asked = model.requests.filter((r) => r.messages.at(-1)?.content === `question ${i}`);
      expect(asked).to.have.length(1);
      expect(asked[0]!.messages.filter((m) => m.role === "user")).to.have.length(1);
    }
  });

  it("refuses in a group only the turns refused, each with its own code", async () => {
    const writing = await newConversation(server, "w");
    const archived = await newConversation(server, "a");
    const repeated = await newConversation(server, "r");
    const fine = await Promise.all(["f1", "f2", "f3"].map((u) => newConversation(server, u)));
    const [w, a, r, stranger, ...f] = await Promise.all(
      ["w", "a", "r", "stranger", "f1", "f2", "f3"].map(tab),
    );
    await rest(server.url, server.token("a")).post(`/api/v1/conversations/${archived}/archive`, {
      archive: true,
    });
    const first = await call(r!, "message:send", {
      conversationId: repeated,
      content: "once",
      clientMessageId: "c-1",
    });
    await observeAnswer(r!, repeated).catch(() => undefined);
    await waitForIdle(server, repeated);
    // An answer being written in `writing`.
    model.hold(1);
    const paused = model.paused();
    await call(w!, "message:send", { conversationId: writing, content: "first" });
    await paused;
    const sends = [
      request(w!, "message:send", { conversationId: writing, content: "second" }),
      request(a!, "message:send", { conversationId: archived, content: "hello?" }),
      request(r!, "message:send", { conversationId: repeated, content: "once", clientMessageId: "c-1" }),
      request(stranger!, "message:send", { conversationId: fine[0]!, content: "not mine" }),
      ...f.map((t, i) => request(t, "message:send", { conversationId: fine[i]!, content: `fine ${i}` })),
    ];
    const [second, toArchived, again, strangers, ...fines] = await Promise.all(sends);
    model.release();
    expect(second!.ok === false && second!.error.code).to.equal("generation_in_progress");
    expect(toArchived!.ok === false && toArchived!.error.code).to.equal("conversation_not_active");
    expect(again!.ok && again!.data).to.deep.include({ duplicate: true });
    expect(again!.ok && again!.data.message.id).to.equal(first.message.id);
    expect(strangers!.ok === false && strangers!.error.code).to.equal("not_found");
    for (const [i, ack] of fines.entries()) {
      expect(ack.ok, JSON.stringify(ack)).to.equal(true);
      await waitForIdle(server, fine[i]!);
      expect((await stored(`f${i + 1}`, fine[i]!)).map((m) => [m.seq, m.role, m.status])).to.deep.equal([
        [1, "user", "complete"],
        [2, "assistant", "complete"],
      ]);
    }
    await waitForIdle(server, writing);
    expect((await stored("w", writing)).map((m) => m.content)).to.not.include("second");
    expect(await stored("r", repeated)).to.have.length(2);
  });

  it("gives one answer at a time when two tabs of one conversation send together", async () => {
    const conversationId = await newConversation(server, "pair");
    const others = await Promise.all(["o1", "o2", "o3"].map((u) => newConversation(server, u)));
    const [one, two] = await Promise.all([tab("pair"), tab("pair")]);
    const otherTabs = await Promise.all(["o1", "o2", "o3"].map(tab));
    model.hold(1);
    const acks = await Promise.all([
      request(one, "message:send", { conversationId, content: "from one" }),
      ...otherTabs.map((t, i) => request(t, "message:send", { conversationId: others[i]!, content: "x" })),
      request(two, "message:send", { conversationId, content: "from two" }),
    ]);
    model.release();
    const mine = [acks[0], acks.at(-1)!];
    expect(mine.filter((a) => a.ok)).to.have.length(1);
    expect(mine.filter((a) => !a.ok).map((a) => !a.ok && a.error.code)).to.deep.equal([
      "generation_in_progress",
    ]);
    expect(acks.slice(1, -1).every((a) => a.ok)).to.equal(true);
    await waitForIdle(server, conversationId);
    const messages = await stored("pair", conversationId);
    expect(messages.map((m) => [m.seq, m.role])).to.deep.equal([
      [1, "user"],
      [2, "assistant"],
    ]);
  });
});

/** Waits until no answer is being written in the conversation on this node. */
async function waitForIdle(server: TestServer, conversationId: string): Promise<void> {
  for (let i = 0; i < 200 && server.confab.answers.get(conversationId); i++)
    await new Promise((r) => setTimeout(r, 10));
  await server.confab.chat.settled(conversationId);
}
