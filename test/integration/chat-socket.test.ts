// Covers: the src/realtime/ chat namespace handlers (join, send, stop, refresh, expiry, handshake),
// src/chat/ (turns and answers: stored before the ack, streamed, stopped, failed), src/protocol/inputs.ts
// (payload validation), src/auth/token-verifier.ts.
import { expect } from "chai";
import type { MessageResource } from "../../src/conversations/resources.js";
import {
  call,
  disconnection,
  nextEvent,
  observeAnswer,
  refusal,
  request,
  Tabs,
  type ChatClient,
} from "../support/clients.js";
import { newConversation } from "../support/conversations.js";
import { FakeChatModel } from "../support/fake-chat-model.js";
import { rest } from "../support/rest.js";
import { startTestServer, type TestServer } from "../support/test-server.js";

describe("the /chat namespace", () => {
  let server: TestServer;
  const model = new FakeChatModel();
  const openTabs = new Tabs();

  before(async () => {
    server = await startTestServer({ chatModels: { demo: model } });
  });
  after(async () => {
    await server.close();
  });
  beforeEach(() => {
    model.script = { chunks: ["The ", "answer ", "is ", "forty", "-two", "."], delayMs: 2 };
  });
  afterEach(() => {
    model.release();
    openTabs.closeAll();
  });

  const tab = (sub = "alice"): Promise<ChatClient> =>
    openTabs.connect(server.url, server.token(sub, { name: sub }));

  async function storedMessages(sub: string, conversationId: string): Promise<MessageResource[]> {
    const res = await rest(server.url, server.token(sub)).get<{ messages: MessageResource[] }>(
      `/api/v1/conversations/${conversationId}/messages?limit=100`,
    );
    return res.body.messages;
  }

  describe("the handshake", () => {
    it("refuses a missing token with token_missing", async () => {
      expect(await refusal(server.url, undefined)).to.deep.equal({
        message: "unauthorized",
        code: "token_missing",
      });
    });

    it("refuses a forged token with token_invalid", async () => {
      const forged = server.token("alice").slice(0, -4) + "AAAA";
      expect(await refusal(server.url, forged)).to.deep.equal({
        message: "unauthorized",
        code: "token_invalid",
      });
    });

    it("refuses an expired token with token_expired", async () => {
      const expired = server.token("alice", { expiresInSeconds: -10 });
      expect(await refusal(server.url, expired)).to.deep.equal({
        message: "unauthorized",
        code: "token_expired",
      });
    });
  });

  it("streams one turn to three tabs of the same user, deltas in order and equal to the stored answer", async () => {
    const conversationId = await newConversation(server, "alice");
    const tabs = [await tab(), await tab(), await tab()];
    for (const t of tabs) await call(t, "conversation:join", { conversationId });
    const created = tabs.map((t) => nextEvent(t, "message:created"));
    const started = tabs.map((t) => nextEvent(t, "assistant:start"));
    const answers = tabs.map((t) => observeAnswer(t, conversationId));

    const sent = await call(tabs[0]!, "message:send", { conversationId, content: "What is the answer?" });
    expect(sent.message.status).to.equal("complete");
    expect(sent.message.seq).to.equal(1);

    for (const e of await Promise.all(created)) expect(e.message.content).to.equal("What is the answer?");
    for (const e of await Promise.all(started)) expect(e.messageId).to.equal(sent.assistantMessageId);
    const observed = await Promise.all(answers);
    const stored = (await storedMessages("alice", conversationId)).find(
      (m) => m.id === sent.assistantMessageId,
    )!;
    expect(stored.content).to.equal("The answer is forty-two.");
    expect(stored.status).to.equal("complete");
    for (const o of observed) {
      expect(o.end.kind).to.equal("done");
      expect(o.deltas.map((d) => d.seq)).to.deep.equal(o.deltas.map((_, i) => i + 1));
      expect(o.text).to.equal(stored.content);
      expect(o.end.message.content).to.equal(stored.content);
    }
  });

  it("stores the user message before the ack and the answer row as streaming from assistant:start", async () => {
    const conversationId = await newConversation(server, "alice");
    const socket = await tab();
    await call(socket, "conversation:join", { conversationId });
    model.hold(2);
    const paused = model.paused();
    const start = nextEvent(socket, "assistant:start");
    const sent = await call(socket, "message:send", { conversationId, content: "hold on" });
    await start;
    await paused;
    const during = await storedMessages("alice", conversationId);
    expect(during.map((m) => [m.seq, m.role, m.status])).to.deep.equal([
      [1, "user", "complete"],
      [2, "assistant", "streaming"],
    ]);
    const done = observeAnswer(socket, conversationId);
    model.release();
    expect((await done).end.message.id).to.equal(sent.assistantMessageId);
  });

  it("gives a tab joining mid-answer the text so far, which the later deltas complete exactly", async () => {
    const conversationId = await newConversation(server, "alice");
    const writer = await tab();
    await call(writer, "conversation:join", { conversationId });
    model.hold(3);
    const paused = model.paused();
    const whole = observeAnswer(writer, conversationId);
    await call(writer, "message:send", { conversationId, content: "tell me" });
    await paused;

    const late = await tab();
    const lateDeltas: { seq: number; delta: string }[] = [];
    late.on("assistant:delta", (d) => lateDeltas.push(d));
    const joined = await call(late, "conversation:join", { conversationId });
    expect(joined.generation).to.not.equal(null);
    expect(joined.generation!.content).to.not.equal("");
    expect("The answer is ".startsWith(joined.generation!.content)).to.equal(true);
    const lateDone = nextEvent(late, "assistant:done");
    model.release();
    const final = (await lateDone).message;
    const after = lateDeltas.filter((d) => d.seq > joined.generation!.seq).map((d) => d.delta);
    expect(joined.generation!.content + after.join("")).to.equal(final.content);
    expect((await whole).text).to.equal(final.content);
  });

  it("answers generation_in_progress to a second send while an answer is written", async () => {
    const conversationId = await newConversation(server, "alice");
    const socket = await tab();
    model.hold(1);
    const paused = model.paused();
    await call(socket, "message:send", { conversationId, content: "first" });
    await paused;
    const second = await request(socket, "message:send", { conversationId, content: "second" });
    expect(second).to.deep.include({ ok: false });
    expect(second.ok === false && second.error.code).to.equal("generation_in_progress");
    const done = observeAnswer(socket, conversationId);
    model.release();
    await done;
    expect((await storedMessages("alice", conversationId)).map((m) => m.content)).to.not.include("second");
  });

  it("stops an answer from another tab, keeping exactly the text sent so far as cancelled", async () => {
    const conversationId = await newConversation(server, "alice");
    const writer = await tab();
    const other = await tab();
    await call(writer, "conversation:join", { conversationId });
    model.hold(2);
    const paused = model.paused();
    const observed = observeAnswer(writer, conversationId);
    await call(writer, "message:send", { conversationId, content: "go" });
    await paused;
    expect(await call(other, "generation:stop", { conversationId })).to.deep.equal({ stopped: true });
    const answer = await observed;
    expect(answer.end.kind).to.equal("done");
    expect(answer.end.message.status).to.equal("cancelled");
    expect(answer.end.message.content).to.equal("The answer ");
    expect(answer.text).to.equal("The answer ");
    const stored = (await storedMessages("alice", conversationId)).at(-1)!;
    expect(stored).to.include({ status: "cancelled", content: "The answer " });
    expect(await call(other, "generation:stop", { conversationId })).to.deep.equal({ stopped: false });
  });

  it("returns the first message with duplicate: true for a repeated clientMessageId and starts nothing", async () => {
    const conversationId = await newConversation(server, "alice");
    const socket = await tab();
    const first = observeAnswer(socket, conversationId);
    const sent = await call(socket, "message:send", {
      conversationId,
      content: "once",
      clientMessageId: "c-1",
    });
    await first;
    const again = await call(socket, "message:send", {
      conversationId,
      content: "once",
      clientMessageId: "c-1",
    });
    expect(again.duplicate).to.equal(true);
    expect(again.message.id).to.equal(sent.message.id);
    expect(again.assistantMessageId).to.equal(sent.assistantMessageId);
    expect(await storedMessages("alice", conversationId)).to.have.length(2);
    expect(model.requests.filter((r) => r.messages.at(-1)?.content === "once")).to.have.length(1);
  });

  it("sends the agent the conversation so far, oldest first, ending with the new message", async () => {
    const conversationId = await newConversation(server, "alice");
    const socket = await tab();
    for (const content of ["one", "two", "three"]) {
      const done = observeAnswer(socket, conversationId);
      await call(socket, "message:send", { conversationId, content });
      await done;
    }
    const last = model.requests.at(-1)!;
    expect(last.messages.map((m) => [m.role, m.content])).to.deep.equal([
      ["system", "You are a friendly demo assistant."],
      ["user", "one"],
      ["assistant", "The answer is forty-two."],
      ["user", "two"],
      ["assistant", "The answer is forty-two."],
      ["user", "three"],
    ]);
  });

  it("ends a failing answer with assistant:error provider_error, keeping the text, and the conversation goes on", async () => {
    const conversationId = await newConversation(server, "alice");
    const socket = await tab();
    model.script = {
      chunks: ["partial ", "text"],
      failWith: new Error("upstream exploded with key sk-secret"),
    };
    const failed = observeAnswer(socket, conversationId);
    await call(socket, "message:send", { conversationId, content: "break" });
    const answer = await failed;
    expect(answer.end.kind).to.equal("error");
    expect(answer.end.error?.code).to.equal("provider_error");
    expect(answer.end.error?.message).to.not.include("sk-secret");
    expect(answer.end.message).to.include({ status: "error", content: "partial text" });
    model.script = { chunks: ["fine"] };
    const next = observeAnswer(socket, conversationId);
    await call(socket, "message:send", { conversationId, content: "again" });
    expect((await next).end.message).to.include({ status: "complete", content: "fine" });
  });

  it("keeps other users out: join, send and stop answer not_found, and nothing of the turn reaches them", async () => {
    const conversationId = await newConversation(server, "alice");
    const mallory = await tab("mallory");
    const leaked: unknown[] = [];
    mallory.onAny((event) => leaked.push(event));
    for (const [event, payload] of [
      ["conversation:join", { conversationId }],
      ["message:send", { conversationId, content: "let me in" }],
      ["generation:stop", { conversationId }],
    ] as const) {
      const answer = await request(mallory, event, payload);
      expect(answer.ok === false && answer.error.code, event).to.equal("not_found");
    }
    const alice = await tab("alice");
    const done = observeAnswer(alice, conversationId);
    await call(alice, "message:send", { conversationId, content: "private" });
    await done;
    expect(leaked).to.deep.equal([]);
  });

  it("tells all of a user's tabs when a conversation changes or is deleted", async () => {
    const conversationId = await newConversation(server, "alice");
    const socket = await tab();
    const updated = nextEvent(socket, "conversation:updated", (e) => e.conversation.title === "Renamed");
    await rest(server.url, server.token("alice")).patch(`/api/v1/conversations/${conversationId}`, {
      title: "Renamed",
    });
    expect((await updated).conversation.id).to.equal(conversationId);
    const deleted = nextEvent(socket, "conversation:deleted");
    await rest(server.url, server.token("alice")).delete(`/api/v1/conversations/${conversationId}`);
    expect(await deleted).to.deep.equal({ conversationId });
  });

  it("answers with every message after afterSeq on a re-join", async () => {
    const conversationId = await newConversation(server, "alice");
    const socket = await tab();
    for (const content of ["a", "b"]) {
      const done = observeAnswer(socket, conversationId);
      await call(socket, "message:send", { conversationId, content });
      await done;
    }
    const joined = await call(socket, "conversation:join", { conversationId, afterSeq: 2 });
    expect(joined.messages.map((m) => m.seq)).to.deep.equal([3, 4]);
    expect(joined.generation).to.equal(null);
    const all = await call(socket, "conversation:join", { conversationId });
    expect(all.messages.map((m) => m.seq)).to.deep.equal([1, 2, 3, 4]);
    expect(all.hasMore).to.equal(false);
  });

  it("refuses turns in an archived conversation with conversation_not_active", async () => {
    const conversationId = await newConversation(server, "alice");
    const socket = await tab();
    await rest(server.url, server.token("alice")).post(`/api/v1/conversations/${conversationId}/archive`, {
      archive: true,
    });
    const answer = await request(socket, "message:send", { conversationId, content: "hello?" });
    expect(answer.ok === false && answer.error.code).to.equal("conversation_not_active");
  });

  describe("malformed payloads", () => {
    const id = "8a6e0804-2691-4b4a-b0a3-8a1e5d8b1d9f";
    const cases: [string, string, unknown][] = [
      ["join without payload", "conversation:join", undefined],
      ["join with null", "conversation:join", null],
      ["join with a string", "conversation:join", "hello"],
      ["join with a number id", "conversation:join", { conversationId: 42 }],
      ["join with a malformed id", "conversation:join", { conversationId: "not-a-uuid" }],
      ["join with a negative afterSeq", "conversation:join", { conversationId: id, afterSeq: -1 }],
      ["join with a fractional afterSeq", "conversation:join", { conversationId: id, afterSeq: 1.5 }],
      ["join with an unknown field", "conversation:join", { conversationId: id, extra: true }],
      ["send without content", "message:send", { conversationId: id }],
      ["send with empty content", "message:send", { conversationId: id, content: "" }],
      ["send with blank content", "message:send", { conversationId: id, content: "   \n\t " }],
      ["send with content too long", "message:send", { conversationId: id, content: "x".repeat(10_001) }],
      ["send with an object as content", "message:send", { conversationId: id, content: { text: "hi" } }],
      ["send with an array", "message:send", [id, "hi"]],
      [
        "send with a too long clientMessageId",
        "message:send",
        { conversationId: id, content: "hi", clientMessageId: "c".repeat(256) },
      ],
      [
        "send with metadata over 16 KB",
        "message:send",
        { conversationId: id, content: "hi", metadata: { x: "y".repeat(17_000) } },
      ],
      [
        "send with metadata as an array",
        "message:send",
        { conversationId: id, content: "hi", metadata: [1, 2] },
      ],
      ["stop with a malformed id", "generation:stop", { conversationId: "123" }],
      ["leave without id", "conversation:leave", {}],
      ["refresh without token", "auth:refresh", {}],
    ];

    it(`answers each of ${cases.length} malformed payloads validation_failed, and still serves`, async () => {
      const socket = await tab();
      for (const [name, event, payload] of cases) {
        const answer = await new Promise<{ ok: boolean; error?: { code: string } }>((resolve) => {
          (
            socket.emit as (
              e: string,
              p: unknown,
              ack: (a: { ok: boolean; error?: { code: string } }) => void,
            ) => void
          )(event, payload, resolve);
        });
        expect(answer.ok, name).to.equal(false);
        expect(answer.error?.code, name).to.equal("validation_failed");
      }
      // Events with no callback at all, and garbage events, must not bring anything down.
      (socket.emit as (e: string, ...a: unknown[]) => void)("message:send", { conversationId: "x" });
      (socket.emit as (e: string, ...a: unknown[]) => void)("message:send");
      (socket.emit as (e: string, ...a: unknown[]) => void)("no:such:event", 1, 2, 3);
      const conversationId = await newConversation(server, "alice");
      const done = observeAnswer(socket, conversationId);
      await call(socket, "message:send", { conversationId, content: "still there?" });
      expect((await done).end.message.status).to.equal("complete");
      expect(socket.connected).to.equal(true);
    });
  });

  it("renews the token with auth:refresh, and refuses one for another user", async () => {
    const socket = await tab();
    const fresh = server.token("alice", { expiresInSeconds: 7200 });
    const renewed = await call(socket, "auth:refresh", { token: fresh });
    expect(new Date(renewed.expiresAt).getTime()).to.be.greaterThan(Date.now() + 3600_000);
    const other = await request(socket, "auth:refresh", { token: server.token("bob") });
    expect(other.ok === false && other.error.code).to.equal("unauthorized");
  });

  it("warns with auth:expiring and disconnects with auth:expired when the token runs out", async () => {
    let expiring!: Promise<{ expiresAt: string }>;
    let expired!: Promise<unknown>;
    let disconnected!: Promise<unknown>;
    // Listening before the connection opens: the warning comes right after the handshake.
    const socket = await openTabs.connect(server.url, server.token("alice", { expiresInSeconds: 2 }), (s) => {
      expiring = nextEvent(s, "auth:expiring");
      expired = nextEvent(s, "auth:expired");
      disconnected = disconnection(s);
    });
    expect(new Date((await expiring).expiresAt).getTime()).to.be.closeTo(Date.now() + 2000, 2500);
    await expired;
    await disconnected;
    expect(socket.connected).to.equal(false);
  });
});
