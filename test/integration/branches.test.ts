// Covers: src/chat/ (regenerate, edit and checkout turns, branch-checkout.ts), the branch events of the
// src/realtime/ chat namespace handlers, src/conversations/message-history.ts (tree, path pages),
// src/http/routes/conversation-routes.ts.
import { expect } from "chai";
import type { ConversationResource, MessageResource } from "../../src/conversations/resources.js";
import type { ConversationDetail, MessagePage, TreeResult } from "../../src/protocol/index.js";
import { call, nextEvent, observeAnswer, request, Tabs, type ChatClient } from "../support/clients.js";
import { FakeChatModel } from "../support/fake-chat-model.js";
import { rest } from "../support/rest.js";
import { DEMO_AGENT_ID, startTestServer, type TestServer } from "../support/test-server.js";

describe("branches: regenerate, edit, checkout", () => {
  let server: TestServer;
  const model = new FakeChatModel({ chunks: ["an ", "answer"] });
  const openTabs = new Tabs();

  before(async () => {
    server = await startTestServer({ chatModels: { demo: model } });
  });
  after(async () => {
    openTabs.closeAll();
    await server.close();
  });

  const api = (user: string) => rest(server.url, server.token(user));
  const tab = (user: string) => openTabs.connect(server.url, server.token(user));
  /** The conversation the model was sent for each answer (titles left out), after the system prompt. */
  const answerPrompts = () =>
    model.requests
      .filter((r) => r.purpose === "answer")
      .map((r) => r.messages.filter((m) => m.role !== "system").map((m) => m.content));

  async function conversation(user: string): Promise<string> {
    const res = await api(user).post<ConversationResource>("/api/v1/conversations", {
      agentId: DEMO_AGENT_ID,
    });
    return res.body.id;
  }

  /** Sends and waits for the answer; returns the question and the stored answer. */
  async function turn(socket: ChatClient, conversationId: string, content: string) {
    const done = observeAnswer(socket, conversationId);
    const ack = await call(socket, "message:send", { conversationId, content });
    return { question: ack.message, answer: (await done).end.message };
  }

  async function detail(user: string, id: string): Promise<ConversationDetail> {
    return (await api(user).get<ConversationDetail>(`/api/v1/conversations/${id}`)).body;
  }

  it("regenerates an answer from the path up to its question, beside the first, and moves the head", async () => {
    const s = await tab("ana");
    const id = await conversation("ana");
    const other = await tab("ana");
    await call(other, "conversation:join", { conversationId: id });
    const first = await turn(s, id, "q1");
    const second = await turn(s, id, "q2");

    const started = nextEvent(other, "assistant:start", (e) => e.conversationId === id);
    const moved = nextEvent(other, "conversation:updated", (e) => e.conversation.headId !== second.answer.id);
    const done = observeAnswer(s, id);
    const ack = await call(s, "message:regenerate", { conversationId: id, messageId: second.answer.id });
    const again = (await done).end.message;

    expect(again.id).to.equal(ack.assistantMessageId);
    expect((await started).parentId).to.equal(second.question.id);
    expect((await moved).conversation.headId).to.equal(again.id);
    expect(again.parentId).to.equal(second.question.id);
    expect(again.branch).to.deep.equal({ index: 2, count: 2 });
    // Sent the path up to the question: never the answer it replaces.
    expect(answerPrompts().at(-1)).to.deep.equal(["q1", "an answer", "q2"]);

    const shown = await detail("ana", id);
    expect(shown.headId).to.equal(again.id);
    expect(shown.messages.map((m) => m.id)).to.deep.equal([
      first.question.id,
      first.answer.id,
      second.question.id,
      again.id,
    ]);
    expect(shown.messages.at(-1)?.branch).to.deep.equal({ index: 2, count: 2 });

    // The next question follows the new answer, and the model sees that path only.
    const third = await turn(s, id, "q3");
    expect(third.question.parentId).to.equal(again.id);
    expect(answerPrompts().at(-1)).to.deep.equal(["q1", "an answer", "q2", "an answer", "q3"]);
  });

  it("answers an edited question on the new path only", async () => {
    const s = await tab("ben");
    const id = await conversation("ben");
    const first = await turn(s, id, "q1");
    const second = await turn(s, id, "what is 2+2?");
    const created = nextEvent(s, "message:created", (e) => e.conversationId === id);
    const done = observeAnswer(s, id);
    const ack = await call(s, "message:edit", {
      conversationId: id,
      messageId: second.question.id,
      content: "what is 3+3?",
    });
    const answer = (await done).end.message;

    expect(ack.message.parentId).to.equal(first.answer.id);
    expect(ack.message.branch).to.deep.equal({ index: 2, count: 2 });
    expect((await created).message.id).to.equal(ack.message.id);
    expect(answer.parentId).to.equal(ack.message.id);
    expect(answerPrompts().at(-1)).to.deep.equal(["q1", "an answer", "what is 3+3?"]);
    const shown = await detail("ben", id);
    expect(shown.headId).to.equal(answer.id);
    expect(shown.messages.map((m) => m.content)).to.deep.equal([
      "q1",
      "an answer",
      "what is 3+3?",
      "an answer",
    ]);

    // Over REST, the same: 201 with the turn.
    const res = await api("ben").post<{ messageId: string; assistantMessage: MessageResource }>(
      `/api/v1/conversations/${id}/messages/${first.question.id}/edit`,
      { content: "q1, again" },
    );
    expect(res.status).to.equal(201);
    expect(res.body.assistantMessage.status).to.equal("complete");
    expect(answerPrompts().at(-1)).to.deep.equal(["q1, again"]);
    const roots = (await api("ben").get<TreeResult>(`/api/v1/conversations/${id}/tree`)).body.messages.filter(
      (m) => m.parentId === null,
    );
    expect(roots.map((m) => m.branch)).to.deep.equal([
      { index: 1, count: 2 },
      { index: 2, count: 2 },
    ]);
  });

  it("switches every tab to the branch checked out, and gives the tree without content, seq without gaps", async () => {
    const s = await tab("cleo");
    const id = await conversation("cleo");
    await turn(s, id, "q1");
    const second = await turn(s, id, "q2");
    const done = observeAnswer(s, id);
    await call(s, "message:regenerate", { conversationId: id, messageId: second.answer.id });
    const again = (await done).end.message;

    const other = await tab("cleo");
    const joined = await call(other, "conversation:join", { conversationId: id });
    expect(joined.conversation.headId).to.equal(again.id);
    const switched = nextEvent(
      other,
      "conversation:updated",
      (e) => e.conversation.headId === second.answer.id,
    );
    const ack = await call(s, "conversation:checkout", { conversationId: id, messageId: second.question.id });
    // The newest message under the question, along the child with the largest seq: the newest answer.
    expect(ack.conversation.headId).to.equal(again.id);
    const back = await call(s, "conversation:checkout", { conversationId: id, messageId: second.answer.id });
    expect(back.conversation.headId).to.equal(second.answer.id);
    expect((await switched).conversation.headId).to.equal(second.answer.id);
    const rejoined = await call(other, "conversation:join", { conversationId: id });
    expect(rejoined.messages.map((m) => m.content)).to.deep.equal(["q1", "an answer", "q2", "an answer"]);
    expect(rejoined.messages.at(-1)?.id).to.equal(second.answer.id);

    // A question now follows the branch checked out.
    const third = await turn(s, id, "q3");
    expect(third.question.parentId).to.equal(second.answer.id);

    const res = await api("cleo").post<{ conversation: ConversationResource }>(
      `/api/v1/conversations/${id}/checkout`,
      { messageId: again.id },
    );
    expect(res.status).to.equal(200);
    expect(res.body.conversation.headId).to.equal(again.id);

    const tree = (await api("cleo").get<TreeResult>(`/api/v1/conversations/${id}/tree`)).body.messages;
    expect(tree.map((m) => m.seq)).to.deep.equal([1, 2, 3, 4, 5, 6, 7]);
    expect(tree.every((m) => !("content" in m))).to.equal(true);
    expect(Object.keys(tree[0]!).sort()).to.deep.equal(
      ["branch", "createdAt", "id", "parentId", "role", "seq", "status"].sort(),
    );
    const answersToQ2 = tree.filter((m) => m.parentId === second.question.id);
    expect(answersToQ2.map((m) => m.branch)).to.deep.equal([
      { index: 1, count: 2 },
      { index: 2, count: 2 },
    ]);
  });

  it("pages back along the path ending at a leaf", async () => {
    const s = await tab("dan");
    const id = await conversation("dan");
    await turn(s, id, "q1");
    await turn(s, id, "q2");
    const third = await turn(s, id, "q3");
    const done = observeAnswer(s, id);
    await call(s, "message:regenerate", { conversationId: id, messageId: third.answer.id });
    await done;

    const page = (leaf: string, extra = "") =>
      api("dan").get<MessagePage>(`/api/v1/conversations/${id}/messages?leaf=${leaf}&limit=3${extra}`);
    const first = (await page(third.answer.id)).body;
    expect(first.messages.map((m) => m.content)).to.deep.equal(["an answer", "q3", "an answer"]);
    expect(first.messages.at(-1)?.id).to.equal(third.answer.id);
    expect(first.hasMore).to.equal(true);
    const older = (await page(third.answer.id, `&before=${first.messages[0]!.seq}`)).body;
    expect(older.messages.map((m) => m.content)).to.deep.equal(["q1", "an answer", "q2"]);
    expect(older.hasMore).to.equal(false);
    // Without leaf, the head's path: the regenerated answer.
    const head = (await api("dan").get<MessagePage>(`/api/v1/conversations/${id}/messages?limit=1`)).body;
    expect(head.messages[0]?.branch).to.deep.equal({ index: 2, count: 2 });

    const elsewhere = await conversation("dan");
    const foreign = await api("dan").get(
      `/api/v1/conversations/${elsewhere}/messages?leaf=${third.answer.id}`,
    );
    expect(foreign.status).to.equal(404);
    // With `before` too: a message of another conversation is refused before anything is read.
    const other = await turn(s, elsewhere, "elsewhere");
    const foreignBefore = await api("dan").get(
      `/api/v1/conversations/${id}/messages?leaf=${other.answer.id}&before=3`,
    );
    expect(foreignBefore.status).to.equal(404);
  });

  it("refuses while an answer is written, and refuses messages of the wrong kind", async () => {
    const s = await tab("eve");
    const id = await conversation("eve");
    const first = await turn(s, id, "q1");
    model.hold(1);
    const paused = model.paused();
    const done = observeAnswer(s, id);
    const writing = await call(s, "message:send", { conversationId: id, content: "q2" });
    await paused;
    try {
      for (const [event, payload] of [
        ["message:edit", { conversationId: id, messageId: first.question.id, content: "x" }],
        ["message:regenerate", { conversationId: id, messageId: first.answer.id }],
        ["conversation:checkout", { conversationId: id, messageId: first.answer.id }],
      ] as const) {
        const answer = await request(s, event, payload);
        expect(answer.ok ? "ok" : answer.error.code, event).to.equal("generation_in_progress");
      }
      const res = await api("eve").post(`/api/v1/conversations/${id}/checkout`, {
        messageId: first.answer.id,
      });
      expect(res.status).to.equal(409);
      // The answer being written cannot be regenerated either.
      const own = await request(s, "message:regenerate", {
        conversationId: id,
        messageId: writing.assistantMessageId,
      });
      expect(own.ok ? "ok" : own.error.code).to.equal("generation_in_progress");
    } finally {
      model.release();
    }
    await done;

    const editAnswer = await request(s, "message:edit", {
      conversationId: id,
      messageId: first.answer.id,
      content: "x",
    });
    expect(editAnswer.ok ? "ok" : editAnswer.error.code).to.equal("validation_failed");
    const regenerateQuestion = await api("eve").post(
      `/api/v1/conversations/${id}/messages/${first.question.id}/regenerate`,
    );
    expect(regenerateQuestion.status).to.equal(400);
    const unknown = await request(s, "conversation:checkout", {
      conversationId: id,
      messageId: "00000000-0000-4000-8000-00000000dead",
    });
    expect(unknown.ok ? "ok" : unknown.error.code).to.equal("not_found");
    // Nothing refused was stored.
    const tree = (await api("eve").get<TreeResult>(`/api/v1/conversations/${id}/tree`)).body.messages;
    expect(tree).to.have.length(4);
  });

  it("answers not_found to a stranger, for every branch operation", async () => {
    const s = await tab("finn");
    const id = await conversation("finn");
    const first = await turn(s, id, "q1");
    const stranger = await tab("gus");
    for (const [event, payload] of [
      ["message:edit", { conversationId: id, messageId: first.question.id, content: "mine" }],
      ["message:regenerate", { conversationId: id, messageId: first.answer.id }],
      ["conversation:checkout", { conversationId: id, messageId: first.answer.id }],
    ] as const) {
      const answer = await request(stranger, event, payload);
      expect(answer.ok ? "ok" : answer.error.code, event).to.equal("not_found");
    }
    const gus = api("gus");
    for (const res of [
      await gus.get(`/api/v1/conversations/${id}/tree`),
      await gus.get(`/api/v1/conversations/${id}/messages?leaf=${first.answer.id}`),
      await gus.post(`/api/v1/conversations/${id}/checkout`, { messageId: first.answer.id }),
      await gus.post(`/api/v1/conversations/${id}/messages/${first.answer.id}/regenerate`),
      await gus.post(`/api/v1/conversations/${id}/messages/${first.question.id}/edit`, { content: "x" }),
    ]) {
      expect(res.status).to.equal(404);
    }
    expect(
      (await api("finn").get<TreeResult>(`/api/v1/conversations/${id}/tree`)).body.messages,
    ).to.have.length(2);
  });
});
