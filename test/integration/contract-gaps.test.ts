// Covers: the src/realtime/ chat namespace handlers (leave, auth:refresh), src/realtime/admin-namespace.ts
// (generation.failed), src/http/routes/conversation-routes.ts (REST turns streamed to tabs, stop).
import { expect } from "chai";
import type { AssistantDeltaEvent, MessageResource } from "../../src/protocol/index.js";
import {
  call,
  connectAdmin,
  nextActivity,
  nextEvent,
  observeAnswer,
  Tabs,
  type ChatClient,
} from "../support/clients.js";
import { newConversation } from "../support/conversations.js";
import { FakeChatModel } from "../support/fake-chat-model.js";
import { rest } from "../support/rest.js";
import { startTestServer, type TestServer } from "../support/test-server.js";
import { quietPeriod } from "../support/waiting.js";

/** Behaviours of the v1 contract that no test covered before (named by a review). */
describe("the v1 contract, as a review found it untested", () => {
  let server: TestServer;
  const model = new FakeChatModel({ chunks: ["One ", "two ", "three."] });
  const openTabs = new Tabs();

  before(async () => {
    server = await startTestServer({ chatModels: { demo: model } });
  });
  afterEach(() => {
    model.release();
    model.script = { chunks: ["One ", "two ", "three."] };
    openTabs.closeAll();
  });
  after(async () => {
    await server.close();
  });

  const tab = (sub: string): Promise<ChatClient> => openTabs.connect(server.url, server.token(sub));

  it("stops every event of a conversation to a tab that left it, while another tab still gets them", async () => {
    const conversationId = await newConversation(server, "leaver");
    const [leaving, staying] = [await tab("leaver"), await tab("leaver")];
    for (const t of [leaving, staying]) await call(t, "conversation:join", { conversationId });
    expect(await call(leaving, "conversation:leave", { conversationId })).to.deep.equal({});
    const seen: string[] = [];
    for (const event of [
      "message:created",
      "assistant:start",
      "assistant:delta",
      "assistant:done",
    ] as const) {
      leaving.on(event, () => seen.push(event));
    }
    const done = observeAnswer(staying, conversationId);
    await rest(server.url, server.token("leaver")).post(`/api/v1/conversations/${conversationId}/messages`, {
      content: "anyone there?",
    });
    expect((await done).end.message.content).to.equal("One two three.");
    // Proves that nothing still on its way reaches the tab that left.
    await quietPeriod(100);
    expect(seen).to.deep.equal([]);
  });

  it("streams a turn sent over REST to the conversation's /chat tabs: message:created and every delta", async () => {
    const conversationId = await newConversation(server, "rester");
    const watcher = await tab("rester");
    await call(watcher, "conversation:join", { conversationId });
    const created = nextEvent(watcher, "message:created");
    const deltas: AssistantDeltaEvent[] = [];
    watcher.on("assistant:delta", (e) => deltas.push(e));
    const done = observeAnswer(watcher, conversationId);
    const res = await rest(server.url, server.token("rester")).post<{
      messageId: string;
      assistantMessage: MessageResource;
    }>(`/api/v1/conversations/${conversationId}/messages`, { content: "over REST" });
    expect(res.status).to.equal(201);
    expect((await created).message).to.include({ id: res.body.messageId, content: "over REST" });
    const observed = await done;
    expect(observed.end.message.id).to.equal(res.body.assistantMessage.id);
    expect(deltas.map((d) => d.seq)).to.deep.equal(deltas.map((_, i) => i + 1));
    expect(deltas.map((d) => d.delta).join("")).to.equal(res.body.assistantMessage.content);
  });

  it("answers POST /conversations/:id/stop {stopped: true} mid-answer, and the answer ends cancelled", async () => {
    const conversationId = await newConversation(server, "stopper");
    const watcher = await tab("stopper");
    await call(watcher, "conversation:join", { conversationId });
    model.hold(1);
    const paused = model.paused();
    const done = observeAnswer(watcher, conversationId);
    await call(watcher, "message:send", { conversationId, content: "go" });
    await paused;
    const api = rest(server.url, server.token("stopper"));
    const stopped = await api.post(`/api/v1/conversations/${conversationId}/stop`);
    expect(stopped.status).to.equal(200);
    expect(stopped.body).to.deep.equal({ stopped: true });
    expect((await done).end.message).to.include({ status: "cancelled", content: "One " });
    expect((await api.post(`/api/v1/conversations/${conversationId}/stop`)).body).to.deep.equal({
      stopped: false,
    });
  });

  it("carries generation.failed on the /admin feed, with the error, when an answer fails", async () => {
    const feed = await connectAdmin(server.url, server.token("ops", { role: "admin" }));
    try {
      const failed = nextActivity(feed, "generation.failed");
      model.script = { chunks: ["partial "], failWith: new Error("the vendor fell over") };
      const conversationId = await newConversation(server, "unlucky");
      await rest(server.url, server.token("unlucky")).post(
        `/api/v1/conversations/${conversationId}/messages`,
        {
          content: "try",
        },
      );
      const event = await failed;
      expect(event).to.include({ conversationId, userId: "unlucky", status: "error" });
      expect(event.error).to.deep.include({ code: "provider_error" });
    } finally {
      feed.close();
    }
  });

  it("moves the expiry with auth:refresh: a socket renewed in time outlives its first token", async () => {
    let expired = false;
    let renewed!: Promise<unknown>;
    const socket = await openTabs.connect(
      server.url,
      server.token("renewer", { expiresInSeconds: 2 }),
      (s) => {
        s.on("auth:expired", () => (expired = true));
        renewed = new Promise((resolve) =>
          s.once("auth:expiring", () => {
            void call(s, "auth:refresh", { token: server.token("renewer", { expiresInSeconds: 3600 }) }).then(
              resolve,
            );
          }),
        );
      },
    );
    await renewed;
    // Proves that the first token's expiry (2 s) passes without auth:expired.
    await quietPeriod(2500);
    expect(expired).to.equal(false);
    expect(socket.connected).to.equal(true);
  });
});
