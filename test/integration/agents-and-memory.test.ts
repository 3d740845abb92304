// Covers: src/agents/agent-service.ts and the agent routes of src/http/routes/admin-routes.ts,
// src/providers/model-registry.ts, src/chat/summaries.ts (summaries, titles),
// src/chat/prompt.ts (the summary before the window).
import { expect } from "chai";
import type {
  AgentResource,
  ConversationResource,
  MessageResource,
} from "../../src/conversations/resources.js";
import { call, connect, nextEvent, observeAnswer } from "../support/clients.js";
import { FakeChatModel } from "../support/fake-chat-model.js";
import { DEMO_AGENT_ID } from "../support/conversations.js";
import { rest, type ErrorBody } from "../support/rest.js";
import { startTestServer, type TestServer } from "../support/test-server.js";
import { waitFor } from "../support/waiting.js";

describe("agents, summaries and titles", () => {
  let server: TestServer;
  const model = new FakeChatModel({ chunks: ["ok"] });
  let admin: ReturnType<typeof rest>;
  let user: ReturnType<typeof rest>;

  before(async () => {
    server = await startTestServer({ chatModels: { demo: model } });
    admin = rest(server.url, server.token("root", { role: "admin" }));
    user = rest(server.url, server.token("ursula"));
  });
  after(async () => {
    await server.close();
  });
  beforeEach(() => {
    model.script = { chunks: ["ok"] };
  });

  async function agent(body: Record<string, unknown>): Promise<AgentResource> {
    const res = await admin.post<AgentResource>("/api/v1/admin/agents", {
      name: "Test agent",
      provider: "demo",
      model: "demo-1",
      ...body,
    });
    expect(res.status, JSON.stringify(res.body)).to.equal(201);
    return res.body;
  }

  describe("for admins", () => {
    it("refuses users with forbidden on every agent route", async () => {
      const attempts = [
        user.get<ErrorBody>("/api/v1/admin/agents"),
        user.post<ErrorBody>("/api/v1/admin/agents", { name: "x", provider: "demo", model: "m" }),
        user.patch<ErrorBody>(`/api/v1/admin/agents/${DEMO_AGENT_ID}`, { name: "mine" }),
        user.delete<ErrorBody>(`/api/v1/admin/agents/${DEMO_AGENT_ID}`),
      ];
      for (const res of await Promise.all(attempts)) {
        expect(res.status).to.equal(403);
        expect(res.body.error.code).to.equal("forbidden");
      }
    });

    it("creates an agent with the documented defaults", async () => {
      const created = await agent({ name: "Helper", systemPrompt: "Help." });
      expect(created).to.include({
        name: "Helper",
        provider: "demo",
        temperature: 0.7,
        maxConversationTokens: 8000,
        contextTokens: 6000,
        conversationMemoryEnabled: true,
        autoGenerateSummary: true,
        active: true,
      });
    });

    it("refuses a vendor with no key configured, naming the variable to set", async () => {
      for (const [provider, variable] of [
        ["openai", "OPENAI_API_KEY"],
        ["anthropic", "ANTHROPIC_API_KEY"],
        ["groq", "GROQ_API_KEY"],
      ]) {
        const res = await admin.post<ErrorBody>("/api/v1/admin/agents", { name: "V", provider, model: "m" });
        expect(res.status).to.equal(400);
        expect(res.body.error.code).to.equal("validation_failed");
        expect(res.body.error.message).to.include(variable);
      }
    });

    it("validates provider, temperature and budgets", async () => {
      for (const body of [
        { name: "a", provider: "skynet", model: "m" },
        { name: "a", provider: "demo", model: "m", temperature: 2.5 },
        { name: "a", provider: "demo", model: "m", temperature: -0.1 },
        { name: "a", provider: "demo", model: "m", maxConversationTokens: 0 },
        { name: "a", provider: "demo", model: "m", contextTokens: -5 },
        { name: "", provider: "demo", model: "m" },
        { provider: "demo", model: "m" },
      ]) {
        const res = await admin.post<ErrorBody>("/api/v1/admin/agents", body);
        expect(res.status, JSON.stringify(body)).to.equal(400);
        expect(res.body.error.code).to.equal("validation_failed");
      }
    });

    it("changes an agent, and deleting deactivates it while its conversations stay readable", async () => {
      const a = await agent({ name: "Short-lived" });
      const patched = await admin.patch<AgentResource>(`/api/v1/admin/agents/${a.id}`, { temperature: 0.1 });
      expect(patched.body.temperature).to.be.closeTo(0.1, 1e-6);
      const c = await user.post<ConversationResource>("/api/v1/conversations", { agentId: a.id });
      await user.post(`/api/v1/conversations/${c.body.id}/messages`, { content: "before" });

      expect((await admin.delete(`/api/v1/admin/agents/${a.id}`)).status).to.equal(204);
      const listed = await user.get<AgentResource[]>("/api/v1/agents");
      expect(listed.body.map((x) => x.id)).to.not.include(a.id);
      const all = await admin.get<AgentResource[]>("/api/v1/admin/agents");
      expect(all.body.find((x) => x.id === a.id)?.active).to.equal(false);

      const read = await user.get<{ messages: MessageResource[] }>(`/api/v1/conversations/${c.body.id}`);
      expect(read.body.messages).to.have.length(2);
      const refused = await user.post<ErrorBody>(`/api/v1/conversations/${c.body.id}/messages`, {
        content: "after",
      });
      expect(refused.status).to.equal(409);
      expect(refused.body.error.code).to.equal("conversation_not_active");
      const fresh = await user.post<ErrorBody>("/api/v1/conversations", { agentId: a.id });
      expect(fresh.body.error.code).to.equal("not_found");
    });
  });

  it("writes a summary on request with the conversation's agent, and keeps it", async () => {
    const c = await user.post<ConversationResource>("/api/v1/conversations", { agentId: DEMO_AGENT_ID });
    await user.post(`/api/v1/conversations/${c.body.id}/messages`, {
      content: "I am planning a trip to Lisbon",
    });
    model.script = { chunks: ["The user ", "plans a trip to Lisbon."] };
    const res = await user.post<{ summary: string }>(`/api/v1/conversations/${c.body.id}/summary`);
    expect(res.status).to.equal(200);
    expect(res.body.summary).to.equal("The user plans a trip to Lisbon.");
    const request = model.requests.at(-1)!;
    expect(request.purpose).to.equal("summary");
    expect(request.messages.at(-1)?.content).to.include("User: I am planning a trip to Lisbon");
    const detail = await user.get<ConversationResource>(`/api/v1/conversations/${c.body.id}`);
    expect(detail.body.summary).to.equal("The user plans a trip to Lisbon.");
  });

  it("titles a new conversation after its first answer and tells the user's tabs", async () => {
    const c = await user.post<ConversationResource>("/api/v1/conversations", { agentId: DEMO_AGENT_ID });
    expect(c.body.title).to.equal("New conversation");
    const socket = await connect(server.url, server.token("ursula"));
    try {
      const titled = nextEvent(
        socket,
        "conversation:updated",
        (e) => e.conversation.title !== "New conversation",
      );
      // The fake answers the title request like any other: quoted, as models often do.
      model.script = { chunks: ['"Lisbon ', 'pastries"'] };
      const done = observeAnswer(socket, c.body.id);
      await call(socket, "message:send", { conversationId: c.body.id, content: "Best pastries in Lisbon?" });
      await done;
      expect((await titled).conversation.title).to.equal("Lisbon pastries");
      const titleRequest = model.requests.findLast((r) => r.purpose === "title")!;
      expect(titleRequest.messages.at(-1)?.content).to.include("Best pastries in Lisbon?");
    } finally {
      socket.close();
    }
  });

  it("keeps the agent remembering long-gone turns through a summary refreshed in the background", async () => {
    const small = await agent({ name: "Small window", contextTokens: 80, systemPrompt: "Remember." });
    const c = await user.post<ConversationResource>("/api/v1/conversations", {
      agentId: small.id,
      title: "Long",
    });
    model.script = { chunks: ["noted, and here is a fairly long answer to fill the window quickly"] };
    const seen = model.requests.length;
    for (let i = 1; i <= 12; i++) {
      await user.post(`/api/v1/conversations/${c.body.id}/messages`, {
        content: `fact number ${i} is important`,
      });
    }
    const summaryRequest = model.requests.slice(seen).find((r) => r.purpose === "summary");
    expect(summaryRequest, "a summary was asked for").to.not.equal(undefined);
    expect(summaryRequest!.messages.at(-1)?.content).to.include("User: fact number 1 is important");
    const stored = await waitFor(
      "the summary refreshed in the background to be stored",
      async () => (await user.get<ConversationResource>(`/api/v1/conversations/${c.body.id}`)).body,
      (conversation) => Boolean(conversation.summary),
    );
    expect(stored.summary).to.include("noted");
    await user.post(`/api/v1/conversations/${c.body.id}/messages`, { content: "what was fact one?" });
    const last = model.requests.filter((r) => r.purpose === "answer").at(-1)!;
    expect(last.messages[0]).to.deep.equal({ role: "system", content: "Remember." });
    expect(last.messages[1]?.role).to.equal("system");
    expect(last.messages[1]?.content).to.match(/^Summary of the earlier conversation: /);
    expect(last.messages.map((m) => m.content)).to.not.include("fact number 1 is important");
  });
});
