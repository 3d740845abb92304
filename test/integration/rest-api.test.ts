// Covers: src/http/ (routes, auth-middleware.ts, error-middleware.ts), src/auth/token-verifier.ts,
// src/auth/user-directory.ts, src/conversations/conversation-service.ts, src/chat/ (REST turns).
import { generateKeyPairSync } from "node:crypto";
import { expect } from "chai";
import jwt from "jsonwebtoken";
import type { ConversationResource, MessageResource } from "../../src/conversations/resources.js";
import { createConversation, DEMO_AGENT_ID } from "../support/conversations.js";
import { FakeChatModel } from "../support/fake-chat-model.js";
import { rest, type ErrorBody } from "../support/rest.js";
import { JWT_SECRET, startTestServer, type TestServer } from "../support/test-server.js";
import { waitFor } from "../support/waiting.js";

describe("the REST API", () => {
  let server: TestServer;
  const model = new FakeChatModel({ chunks: ["Sure", ", ", "done."] });
  let alice: ReturnType<typeof rest>;

  before(async () => {
    server = await startTestServer({ chatModels: { demo: model } });
    alice = rest(server.url, server.token("alice", { name: "Alice" }));
  });
  after(async () => {
    await server.close();
  });

  const newConversation = (fields: Record<string, unknown> = {}) => createConversation(alice, fields);

  describe("authentication", () => {
    it("answers 401 unauthorized without a token, with a bad one and with an expired one", async () => {
      for (const token of [undefined, "garbage", server.token("alice", { expiresInSeconds: -5 })]) {
        const res = await rest(server.url, token).get<ErrorBody>("/api/v1/me");
        expect(res.status).to.equal(401);
        expect(res.body.error.code).to.equal("unauthorized");
      }
    });

    it("refuses a token signed with another algorithm, or with none", async () => {
      const payload = server.token("alice").split(".")[1];
      const none = `${Buffer.from(JSON.stringify({ alg: "none", typ: "JWT" })).toString("base64url")}.${payload}.`;
      const { privateKey } = generateKeyPairSync("rsa", { modulusLength: 2048 });
      const rs256 = jwt.sign({ sub: "alice" }, privateKey, { algorithm: "RS256", expiresIn: 60 });
      for (const token of [none, rs256]) {
        const res = await rest(server.url, token).get<ErrorBody>("/api/v1/me");
        expect(res.status).to.equal(401);
        expect(res.body.error.details).to.deep.equal({ reason: "token_invalid" });
      }
    });

    it("refuses a token without exp", async () => {
      const noExp = jwt.sign({ sub: "alice" }, JWT_SECRET, { algorithm: "HS256" });
      const res = await rest(server.url, noExp).get<ErrorBody>("/api/v1/me");
      expect(res.status).to.equal(401);
    });

    it("creates the user from the first token and updates the name from later ones", async () => {
      const first = await rest(server.url, server.token("carol", { name: "Carol" })).get("/api/v1/me");
      expect(first.body).to.include({ id: "carol", name: "Carol", role: "user" });
      const later = await rest(server.url, server.token("carol", { name: "Carol B." })).get("/api/v1/me");
      expect(later.body).to.include({ id: "carol", name: "Carol B." });
    });
  });

  it("lists the active agents", async () => {
    const res = await alice.get<{ id: string; provider: string; active: boolean }[]>("/api/v1/agents");
    expect(res.status).to.equal(200);
    expect(res.body.map((a) => a.id)).to.include(DEMO_AGENT_ID);
    expect(res.body.every((a) => a.active)).to.equal(true);
  });

  it("creates a conversation with defaults, and refuses an unknown agent", async () => {
    const c = await newConversation({ title: "Trip", metadata: { source: "test" } });
    expect(c).to.include({
      title: "Trip",
      status: "active",
      totalMessages: 0,
      totalTokensUsed: 0,
      summary: null,
    });
    expect(c.tags).to.deep.equal([]);
    expect(c.metadata).to.deep.equal({ source: "test" });
    const unknown = await alice.post<ErrorBody>("/api/v1/conversations", {
      agentId: "5b0c1f2e-0000-4000-8000-000000000999",
    });
    expect(unknown.status).to.equal(404);
    expect(unknown.body.error.code).to.equal("not_found");
  });

  it("runs a whole turn over REST and returns the stored answer with usage", async () => {
    const c = await newConversation();
    const res = await alice.post<{
      conversationId: string;
      messageId: string;
      assistantMessage: MessageResource;
      totalTokensUsed: number;
      conversationTotalTokens: number;
    }>(`/api/v1/conversations/${c.id}/messages`, { content: "Can you help?" });
    expect(res.status).to.equal(201);
    expect(res.body.conversationId).to.equal(c.id);
    expect(res.body.assistantMessage).to.include({
      content: "Sure, done.",
      status: "complete",
      seq: 2,
      role: "assistant",
    });
    expect(res.body.assistantMessage.totalTokens).to.equal(13);
    expect(res.body.totalTokensUsed).to.equal(13);
    expect(res.body.conversationTotalTokens).to.equal(13);
    expect(res.body.assistantMessage.responseTimeMs).to.be.a("number");
    expect(res.body.assistantMessage.timeToFirstTokenMs).to.be.a("number");
    const detail = await alice.get<
      ConversationResource & { messages: MessageResource[]; hasMoreMessages: boolean }
    >(`/api/v1/conversations/${c.id}`);
    expect(detail.body.totalMessages).to.equal(2);
    expect(detail.body.totalTokensUsed).to.equal(13);
    expect(detail.body.lastMessageAt).to.be.a("string");
    expect(detail.body.messages.map((m) => m.content)).to.deep.equal(["Can you help?", "Sure, done."]);
    expect(detail.body.hasMoreMessages).to.equal(false);
  });

  it("starts the first turn from initialMessage", async () => {
    const c = await newConversation({ initialMessage: "Hi from the start" });
    expect(c.totalMessages).to.equal(2);
    const messages = await waitFor(
      "the answer to the initial message to be stored",
      async () =>
        (await alice.get<{ messages: MessageResource[] }>(`/api/v1/conversations/${c.id}/messages`)).body
          .messages,
      (messages) => messages[1]?.status === "complete",
    );
    expect(messages.map((m) => [m.role, m.content, m.status])).to.deep.equal([
      ["user", "Hi from the start", "complete"],
      ["assistant", "Sure, done.", "complete"],
    ]);
  });

  it("pages messages backwards by seq", async () => {
    const c = await newConversation();
    for (let i = 1; i <= 3; i++)
      await alice.post(`/api/v1/conversations/${c.id}/messages`, { content: `q${i}` });
    const newest = await alice.get<{ messages: MessageResource[]; hasMore: boolean }>(
      `/api/v1/conversations/${c.id}/messages?limit=2`,
    );
    expect(newest.body.messages.map((m) => m.seq)).to.deep.equal([5, 6]);
    expect(newest.body.hasMore).to.equal(true);
    const older = await alice.get<{ messages: MessageResource[]; hasMore: boolean }>(
      `/api/v1/conversations/${c.id}/messages?before=5&limit=10`,
    );
    expect(older.body.messages.map((m) => m.seq)).to.deep.equal([1, 2, 3, 4]);
    expect(older.body.hasMore).to.equal(false);
  });

  it("lists conversations newest activity first, filtered and paged, never the deleted ones", async () => {
    const dave = rest(server.url, server.token("dave"));
    const ids: string[] = [];
    for (const title of ["first", "second", "third"]) {
      const res = await dave.post<ConversationResource>("/api/v1/conversations", {
        agentId: DEMO_AGENT_ID,
        title,
      });
      ids.push(res.body.id);
    }
    await dave.post(`/api/v1/conversations/${ids[0]}/messages`, { content: "bump" });
    await dave.post(`/api/v1/conversations/${ids[1]}/archive`, { archive: true });
    await dave.delete(`/api/v1/conversations/${ids[2]}`);
    const all = await dave.get<{ conversations: ConversationResource[]; total: number; hasMore: boolean }>(
      "/api/v1/conversations",
    );
    expect(all.body.conversations.map((c) => c.title)).to.deep.equal(["first", "second"]);
    expect(all.body.total).to.equal(2);
    const archived = await dave.get<{ conversations: ConversationResource[] }>(
      "/api/v1/conversations?status=archived",
    );
    expect(archived.body.conversations.map((c) => c.title)).to.deep.equal(["second"]);
    const paged = await dave.get<{
      conversations: ConversationResource[];
      page: number;
      pageSize: number;
      hasMore: boolean;
    }>("/api/v1/conversations?limit=1&offset=0");
    expect(paged.body).to.include({ page: 1, pageSize: 1, hasMore: true });
  });

  it("renames, tags, archives, unarchives and soft-deletes", async () => {
    const c = await newConversation();
    const patched = await alice.patch<ConversationResource>(`/api/v1/conversations/${c.id}`, {
      title: "Renamed",
      tags: ["work", "urgent"],
    });
    expect(patched.body).to.include({ title: "Renamed" });
    expect(patched.body.tags).to.deep.equal(["work", "urgent"]);
    const archived = await alice.post<ConversationResource>(`/api/v1/conversations/${c.id}/archive`, {
      archive: true,
    });
    expect(archived.body.status).to.equal("archived");
    expect(archived.body.archivedAt).to.be.a("string");
    const refused = await alice.post<ErrorBody>(`/api/v1/conversations/${c.id}/messages`, { content: "hi" });
    expect(refused.status).to.equal(409);
    expect(refused.body.error.code).to.equal("conversation_not_active");
    const back = await alice.post<ConversationResource>(`/api/v1/conversations/${c.id}/archive`, {
      archive: false,
    });
    expect(back.body).to.include({ status: "active", archivedAt: null });
    expect((await alice.delete(`/api/v1/conversations/${c.id}`)).status).to.equal(204);
    expect((await alice.get<ErrorBody>(`/api/v1/conversations/${c.id}`)).body.error.code).to.equal(
      "not_found",
    );
  });

  it("hides another user's conversation as not_found on every route", async () => {
    const c = await newConversation();
    const eve = rest(server.url, server.token("eve"));
    const attempts = [
      eve.get<ErrorBody>(`/api/v1/conversations/${c.id}`),
      eve.get<ErrorBody>(`/api/v1/conversations/${c.id}/messages`),
      eve.post<ErrorBody>(`/api/v1/conversations/${c.id}/messages`, { content: "hi" }),
      eve.post<ErrorBody>(`/api/v1/conversations/${c.id}/stop`),
      eve.patch<ErrorBody>(`/api/v1/conversations/${c.id}`, { title: "mine" }),
      eve.post<ErrorBody>(`/api/v1/conversations/${c.id}/archive`, { archive: true }),
      eve.delete<ErrorBody>(`/api/v1/conversations/${c.id}`),
      eve.get<ErrorBody>(`/api/v1/conversations/${c.id}/export`),
    ];
    for (const res of await Promise.all(attempts)) {
      expect(res.status).to.equal(404);
      expect(res.body.error.code).to.equal("not_found");
    }
    expect((await alice.get<ConversationResource>(`/api/v1/conversations/${c.id}`)).body.title).to.equal(
      c.title,
    );
  });

  it("refuses a turn once the conversation has spent its agent's token budget", async () => {
    const c = await newConversation();
    await server.confab.db.models.Conversation.update({ totalTokensUsed: 8000 }, { where: { id: c.id } });
    const res = await alice.post<ErrorBody>(`/api/v1/conversations/${c.id}/messages`, { content: "more?" });
    expect(res.status).to.equal(409);
    expect(res.body.error.code).to.equal("token_limit_reached");
  });

  it("returns the first turn for a repeated clientMessageId", async () => {
    const c = await newConversation();
    const first = await alice.post<{ messageId: string }>(`/api/v1/conversations/${c.id}/messages`, {
      content: "once",
      clientMessageId: "rest-1",
    });
    const again = await alice.post<{ messageId: string; duplicate: boolean }>(
      `/api/v1/conversations/${c.id}/messages`,
      {
        content: "once",
        clientMessageId: "rest-1",
      },
    );
    expect(again.status).to.equal(200);
    expect(again.body.duplicate).to.equal(true);
    expect(again.body.messageId).to.equal(first.body.messageId);
  });

  it("sums the caller's conversations in /stats", async () => {
    const frank = rest(server.url, server.token("frank"));
    const c = await frank.post<ConversationResource>("/api/v1/conversations", { agentId: DEMO_AGENT_ID });
    await frank.post(`/api/v1/conversations/${c.body.id}/messages`, { content: "hello" });
    await frank.post("/api/v1/conversations", { agentId: DEMO_AGENT_ID });
    const stats = await frank.get("/api/v1/stats");
    expect(stats.body).to.deep.include({
      totalConversations: 2,
      activeConversations: 2,
      archivedConversations: 0,
      totalMessages: 2,
      totalTokensUsed: 13,
      averageMessagesPerConversation: 1,
    });
    expect((stats.body.mostActiveAgent as { id: string }).id).to.equal(DEMO_AGENT_ID);
  });

  it("exports the whole conversation as JSON and as Markdown", async () => {
    const c = await newConversation({ title: "Export me" });
    await alice.post(`/api/v1/conversations/${c.id}/messages`, { content: "<b>not html</b>" });
    const json = await alice.get<{ conversation: ConversationResource; messages: MessageResource[] }>(
      `/api/v1/conversations/${c.id}/export?format=json`,
    );
    expect(json.body.conversation.title).to.equal("Export me");
    expect(json.body.messages.map((m) => m.content)).to.deep.equal(["<b>not html</b>", "Sure, done."]);
    const md = await alice.get<string>(`/api/v1/conversations/${c.id}/export?format=markdown`);
    expect(md.headers.get("content-type")).to.match(/^text\/markdown/);
    expect(md.body).to.match(/^# Export me/);
    expect(md.body).to.include("## User").and.include("Sure, done.");
  });

  describe("malformed requests", () => {
    const id = "8a6e0804-2691-4b4a-b0a3-8a1e5d8b1d9f";
    it("answers validation_failed, never a 500, and keeps serving", async () => {
      const c = await newConversation();
      const cases: [string, () => Promise<{ status: number; body: unknown }>][] = [
        ["malformed id", () => alice.get("/api/v1/conversations/not-a-uuid")],
        ["malformed id on messages", () => alice.get("/api/v1/conversations/123/messages")],
        ["body that is not JSON", () => alice.post("/api/v1/conversations", "{oops")],
        ["body that is a JSON array", () => alice.post("/api/v1/conversations", [1, 2])],
        ["no agentId", () => alice.post("/api/v1/conversations", {})],
        [
          "title too long",
          () => alice.post("/api/v1/conversations", { agentId: DEMO_AGENT_ID, title: "t".repeat(256) }),
        ],
        [
          "metadata not an object",
          () => alice.post("/api/v1/conversations", { agentId: DEMO_AGENT_ID, metadata: "x" }),
        ],
        ["limit 0", () => alice.get("/api/v1/conversations?limit=0")],
        ["limit 101", () => alice.get("/api/v1/conversations?limit=101")],
        ["limit not a number", () => alice.get("/api/v1/conversations?limit=ten")],
        ["negative offset", () => alice.get("/api/v1/conversations?offset=-1")],
        ["unknown status", () => alice.get("/api/v1/conversations?status=deleted")],
        ["before not a number", () => alice.get(`/api/v1/conversations/${c.id}/messages?before=abc`)],
        ["blank content", () => alice.post(`/api/v1/conversations/${c.id}/messages`, { content: "  " })],
        [
          "content too long",
          () => alice.post(`/api/v1/conversations/${c.id}/messages`, { content: "x".repeat(10_001) }),
        ],
        [
          "21 tags",
          () =>
            alice.patch(`/api/v1/conversations/${c.id}`, {
              tags: Array.from({ length: 21 }, (_, i) => `t${i}`),
            }),
        ],
        ["tag too long", () => alice.patch(`/api/v1/conversations/${c.id}`, { tags: ["x".repeat(51)] })],
        ["empty patch", () => alice.patch(`/api/v1/conversations/${c.id}`, {})],
        [
          "archive not boolean",
          () => alice.post(`/api/v1/conversations/${c.id}/archive`, { archive: "yes" }),
        ],
        ["unknown export format", () => alice.get(`/api/v1/conversations/${c.id}/export?format=docx`)],
        [
          "both agentId and templateId",
          () => alice.post("/api/v1/conversations", { agentId: DEMO_AGENT_ID, templateId: DEMO_AGENT_ID }),
        ],
        ["leaf not an id", () => alice.get(`/api/v1/conversations/${c.id}/messages?leaf=nope`)],
        [
          "blank edit",
          () => alice.post(`/api/v1/conversations/${c.id}/messages/${c.id}/edit`, { content: " " }),
        ],
        [
          "edit of a malformed id",
          () => alice.post(`/api/v1/conversations/${c.id}/messages/x/edit`, { content: "a" }),
        ],
        ["checkout without messageId", () => alice.post(`/api/v1/conversations/${c.id}/checkout`, {})],
        [
          "regenerate with a body",
          () => alice.post(`/api/v1/conversations/${c.id}/messages/${c.id}/regenerate`, { content: "a" }),
        ],
        ["unknown field", () => alice.patch(`/api/v1/conversations/${id}`, { titel: "typo" })],
      ];
      for (const [name, attempt] of cases) {
        const res = await attempt();
        expect(res.status, name).to.equal(400);
        expect((res.body as ErrorBody).error.code, name).to.equal("validation_failed");
      }
      const big = await alice.post<ErrorBody>(`/api/v1/conversations/${c.id}/messages`, {
        content: "x",
        metadata: { blob: "y".repeat(200_000) },
      });
      expect(big.status).to.equal(413);
      expect(big.body.error.code).to.equal("payload_too_large");
      const unknownRoute = await alice.get<ErrorBody>("/api/v1/nothing-here");
      expect(unknownRoute.status).to.equal(404);
      expect(unknownRoute.body.error.code).to.equal("not_found");
      expect((await alice.get("/api/v1/me")).status).to.equal(200);
    });
  });

  it("answers /healthz and /readyz", async () => {
    expect((await rest(server.url).get("/healthz")).status).to.equal(200);
    const ready = await rest(server.url).get("/readyz");
    expect(ready.status).to.equal(200);
    expect(ready.body).to.deep.include({ status: "ready" });
  });
});
