// Covers: src/realtime/socket-server.ts (the Redis adapter), src/realtime/other-nodes.ts (stop and
// snapshot across nodes), src/chat/ (turns racing on two nodes), src/limits/rate-limits.ts,
// src/auth/user-directory.ts (an erased user forgotten on every node).
import { expect } from "chai";
import type { ConversationResource, MessageResource } from "../../src/conversations/resources.js";
import {
  call,
  connect,
  nextEvent,
  observeAnswer,
  request,
  seenText,
  Tabs,
  type ChatClient,
} from "../support/clients.js";
import { startCluster, type TestCluster } from "../support/cluster.js";
import { createConversation, DEMO_AGENT_ID, newConversation } from "../support/conversations.js";
import { FakeChatModel } from "../support/fake-chat-model.js";
import { rest } from "../support/rest.js";
import { within } from "../support/waiting.js";

for (const adapter of ["sharded", "classic"] as const) {
  describe(`several nodes sharing rooms through Redis (REDIS_ADAPTER=${adapter})`, () => {
    let cluster: TestCluster;
    const models = [new FakeChatModel(), new FakeChatModel(), new FakeChatModel()];
    const openTabs = new Tabs();

    before(async () => {
      cluster = await startCluster(3, {
        env: { REDIS_ADAPTER: adapter },
        chatModels: (i) => ({ demo: models[i]! }),
      });
    });
    after(async () => {
      await cluster.close();
    });
    beforeEach(() => {
      for (const m of models)
        m.script = { chunks: ["Across ", "the ", "cluster", ", ", "one ", "answer", "."], delayMs: 3 };
    });
    afterEach(() => {
      for (const m of models) m.release();
      openTabs.closeAll();
    });

    const node = (i: number) => cluster.nodes[i]!;
    const tab = (i: number, sub = "nina"): Promise<ChatClient> =>
      openTabs.connect(node(i).url, node(i).token(sub));

    it("shows the same answer to a tab on each node", async () => {
      const conversationId = await newConversation(node(0), "nina");
      const tabs = [await tab(0), await tab(1), await tab(2)];
      for (const t of tabs) await call(t, "conversation:join", { conversationId });
      const answers = tabs.map((t) => observeAnswer(t, conversationId));
      const created = nextEvent(tabs[2]!, "message:created");
      await call(tabs[0]!, "message:send", { conversationId, content: "hello cluster" });
      expect((await created).message.content).to.equal("hello cluster");
      const observed = await Promise.all(answers);
      for (const o of observed) {
        expect(o.text).to.equal("Across the cluster, one answer.");
        expect(o.end.message.content).to.equal(o.text);
        expect(o.deltas.map((d) => d.seq)).to.deep.equal(o.deltas.map((_, i) => i + 1));
      }
    });

    it("gives a tab joining on another node the text so far, which the later deltas complete", async () => {
      const conversationId = await newConversation(node(0), "nina");
      const writer = await tab(0);
      models[0]!.hold(4);
      const paused = models[0]!.paused();
      const whole = observeAnswer(writer, conversationId);
      const sentSoFar = seenText(writer, "Across the cluster, ".length);
      await call(writer, "message:send", { conversationId, content: "write slowly" });
      await paused;
      await within("the writer's tab to be sent the four words before the pause", sentSoFar.reached);

      const late = await tab(1);
      const deltas: { seq: number; delta: string }[] = [];
      late.on("assistant:delta", (d) => deltas.push(d));
      const joined = await call(late, "conversation:join", { conversationId });
      expect(joined.generation?.content).to.equal("Across the cluster, ");
      const done = nextEvent(late, "assistant:done");
      models[0]!.release();
      const final = (await done).message;
      const after = deltas.filter((d) => d.seq > joined.generation!.seq).map((d) => d.delta);
      expect(joined.generation!.content + after.join("")).to.equal(final.content);
      expect((await whole).text).to.equal(final.content);
    });

    it("stops from a tab on another node, keeping the text so far", async () => {
      const conversationId = await newConversation(node(0), "nina");
      const writer = await tab(0);
      const elsewhere = await tab(2);
      models[0]!.hold(2);
      const paused = models[0]!.paused();
      const observed = observeAnswer(writer, conversationId);
      await call(writer, "message:send", { conversationId, content: "stop me" });
      await paused;
      expect(await call(elsewhere, "generation:stop", { conversationId })).to.deep.equal({ stopped: true });
      const answer = await observed;
      expect(answer.end.message).to.include({ status: "cancelled", content: "Across the " });
      expect(answer.text).to.equal("Across the ");
      const viaRest = await rest(node(1).url, node(1).token("nina")).post(
        `/api/v1/conversations/${conversationId}/stop`,
      );
      expect(viaRest.body).to.deep.equal({ stopped: false });
    });

    it("lets one of two sends racing on two nodes through, the other gets generation_in_progress", async () => {
      for (let round = 0; round < 5; round++) {
        const conversationId = await newConversation(node(0), "nina");
        const [a, b] = [await tab(0), await tab(1)];
        // Joined and listening before either send, so the winner's answer cannot end unseen.
        await call(a, "conversation:join", { conversationId });
        const done = observeAnswer(a, conversationId);
        const both = await Promise.all([
          request(a, "message:send", { conversationId, content: "from A" }),
          request(b, "message:send", { conversationId, content: "from B" }),
        ]);
        const ok = both.filter((r) => r.ok);
        const refused = both.filter((r) => !r.ok);
        expect(ok, `round ${round}`).to.have.length(1);
        expect(refused[0]?.ok === false && refused[0].error.code).to.equal("generation_in_progress");
        await done;
      }
    });

    it("answers the same message to the same clientMessageId sent on two nodes at once", async () => {
      for (let round = 0; round < 5; round++) {
        const conversationId = await newConversation(node(0), "nina");
        const [a, b] = [await tab(0), await tab(2)];
        const clientMessageId = `race-${round}`;
        const done = observeAnswer(a, conversationId);
        const both = await Promise.all([
          call(a, "message:send", { conversationId, content: "once only", clientMessageId }),
          call(b, "message:send", { conversationId, content: "once only", clientMessageId }),
        ]);
        expect(both[0].message.id).to.equal(both[1].message.id);
        expect(both.filter((r) => r.duplicate)).to.have.length(1);
        await done;
        const stored = await rest(node(1).url, node(1).token("nina")).get<{ messages: MessageResource[] }>(
          `/api/v1/conversations/${conversationId}/messages`,
        );
        expect(stored.body.messages).to.have.length(2);
      }
    });
  });
}

describe("the per-user message limit across nodes", () => {
  let cluster: TestCluster;

  before(async () => {
    cluster = await startCluster(2, {
      env: { RATE_LIMIT_MESSAGES_PER_MINUTE: "3", DEMO_WORD_DELAY_MS: "0" },
      chatModels: () => ({ demo: new FakeChatModel({ chunks: ["ok"] }) }),
    });
  });
  after(async () => {
    await cluster.close();
  });

  it("counts sockets and REST on every node together, then answers rate_limited with retryAfterMs", async () => {
    const [a, b] = cluster.nodes as [(typeof cluster.nodes)[0], (typeof cluster.nodes)[0]];
    const api = (n: typeof a) => rest(n.url, n.token("limited"));
    const conversationId = (await createConversation(api(a))).id;
    expect(
      (await api(a).post(`/api/v1/conversations/${conversationId}/messages`, { content: "1" })).status,
    ).to.equal(201);
    expect(
      (await api(b).post(`/api/v1/conversations/${conversationId}/messages`, { content: "2" })).status,
    ).to.equal(201);
    const socket = await connect(b.url, b.token("limited"));
    try {
      const third = observeAnswer(socket, conversationId);
      await call(socket, "message:send", { conversationId, content: "3" });
      await third;
      const fourth = await request(socket, "message:send", { conversationId, content: "4" });
      expect(fourth.ok).to.equal(false);
      if (!fourth.ok) {
        expect(fourth.error.code).to.equal("rate_limited");
        expect(fourth.error.retryAfterMs).to.be.a("number").greaterThan(0);
      }
      const fifth = await api(a).post<{ error: { code: string } }>(
        `/api/v1/conversations/${conversationId}/messages`,
        {
          content: "5",
        },
      );
      expect(fifth.status).to.equal(429);
      expect(fifth.body.error.code).to.equal("rate_limited");
      expect(Number(fifth.headers.get("retry-after"))).to.be.within(1, 60);
      // Another user is not affected.
      const other = await rest(a.url, a.token("unlimited")).get("/api/v1/me");
      expect(other.status).to.equal(200);
    } finally {
      socket.close();
    }
  });
});

describe("erasing a user on one node", () => {
  let cluster: TestCluster;

  before(async () => {
    cluster = await startCluster(2, { chatModels: () => ({ demo: new FakeChatModel({ chunks: ["ok"] }) }) });
  });
  after(async () => {
    await cluster.close();
  });

  it("lets the user come back through another node at once, as a new user", async () => {
    const [a, b] = cluster.nodes as [(typeof cluster.nodes)[0], (typeof cluster.nodes)[0]];
    const onB = rest(b.url, b.token("returning", { name: "Before" }));
    expect((await onB.get("/api/v1/me")).status).to.equal(200);
    // Node B forgets what it remembers of the user when the erasure reaches it through Redis.
    const heard = new Promise<void>((resolve) => b.confab.bus!.on("user:erased", () => resolve()));
    const erased = await rest(a.url, a.token("root", { role: "admin" })).delete(
      "/api/v1/admin/users/returning",
    );
    expect(erased.status).to.equal(204);
    await within("node B to hear of the erasure", heard);
    const again = await onB.post<ConversationResource>("/api/v1/conversations", { agentId: DEMO_AGENT_ID });
    expect(again.status).to.equal(201);
    expect((await onB.get<{ id: string }>("/api/v1/me")).body.id).to.equal("returning");
  });
});
