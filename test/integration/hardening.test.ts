// Covers: src/tokens/token-counter.ts (special tokens as text), src/protocol/text.ts (NUL),
// src/limits/rate-limits.ts (connections, requests), src/chat/ (shutdown; an answer written without Redis
// and its snapshot), src/observability/logger.ts (what errors log).
import { expect } from "chai";
import type { ConversationResource, MessageResource } from "../../src/conversations/resources.js";
import { call, connect, observeAnswer, refusal, request, seenText } from "../support/clients.js";
import { DEMO_AGENT_ID, newConversation } from "../support/conversations.js";
import { FakeChatModel } from "../support/fake-chat-model.js";
import { captureLogs } from "../support/logs.js";
import { rest, type ErrorBody } from "../support/rest.js";
import { TcpProxy } from "../support/tcp-proxy.js";
import { startTestServer, type TestServer } from "../support/test-server.js";
import { within } from "../support/waiting.js";

describe("input that once broke things", () => {
  let server: TestServer;
  const model = new FakeChatModel();

  before(async () => {
    server = await startTestServer({ chatModels: { demo: model } });
  });
  after(async () => {
    await server.close();
  });

  it("treats special tokens in a message or an answer as plain text", async () => {
    const api = rest(server.url, server.token("tokens"));
    const c = await api.post<ConversationResource>("/api/v1/conversations", {
      agentId: DEMO_AGENT_ID,
      title: "t",
    });
    model.script = { chunks: ["Here: ", "<|endoftext|>", " <|im_start|>"] };
    const res = await api.post<{ assistantMessage: MessageResource }>(
      `/api/v1/conversations/${c.body.id}/messages`,
      {
        content: "What is <|endoftext|>?",
      },
    );
    expect(res.status).to.equal(201);
    expect(res.body.assistantMessage).to.include({
      status: "complete",
      content: "Here: <|endoftext|> <|im_start|>",
    });
    const next = await api.post(`/api/v1/conversations/${c.body.id}/messages`, { content: "and again" });
    expect(next.status).to.equal(201);
  });

  it("refuses the NUL character everywhere with validation_failed", async () => {
    const api = rest(server.url, server.token("nul"));
    const c = await api.post<ConversationResource>("/api/v1/conversations", { agentId: DEMO_AGENT_ID });
    const attempts = [
      api.post<ErrorBody>("/api/v1/conversations", { agentId: DEMO_AGENT_ID, title: "a\u0000b" }),
      api.post<ErrorBody>(`/api/v1/conversations/${c.body.id}/messages`, { content: "a\u0000b" }),
      api.post<ErrorBody>(`/api/v1/conversations/${c.body.id}/messages`, {
        content: "ok",
        clientMessageId: "\u0000",
      }),
      api.patch<ErrorBody>(`/api/v1/conversations/${c.body.id}`, { tags: ["a\u0000"] }),
      api.patch<ErrorBody>(`/api/v1/conversations/${c.body.id}`, { metadata: { k: "v\u0000" } }),
    ];
    for (const res of await Promise.all(attempts)) {
      expect(res.status).to.equal(400);
      expect(res.body.error.code).to.equal("validation_failed");
    }
    const socket = await connect(server.url, server.token("nul"));
    const answer = await request(socket, "message:send", { conversationId: c.body.id, content: "x\u0000" });
    expect(answer.ok === false && answer.error.code).to.equal("validation_failed");
    socket.close();
  });

  it("refuses turns in the owner's deleted conversation with conversation_not_active", async () => {
    const api = rest(server.url, server.token("deleter"));
    const c = await api.post<ConversationResource>("/api/v1/conversations", { agentId: DEMO_AGENT_ID });
    await api.delete(`/api/v1/conversations/${c.body.id}`);
    const viaRest = await api.post<ErrorBody>(`/api/v1/conversations/${c.body.id}/messages`, {
      content: "hello?",
    });
    expect(viaRest.status).to.equal(409);
    expect(viaRest.body.error.code).to.equal("conversation_not_active");
    const socket = await connect(server.url, server.token("deleter"));
    const viaSocket = await request(socket, "message:send", { conversationId: c.body.id, content: "hello?" });
    expect(viaSocket.ok === false && viaSocket.error.code).to.equal("conversation_not_active");
    const stranger = await rest(server.url, server.token("stranger")).post<ErrorBody>(
      `/api/v1/conversations/${c.body.id}/messages`,
      { content: "mine?" },
    );
    expect(stranger.body.error.code).to.equal("not_found");
    socket.close();
  });
});

describe("limits on connections and requests", () => {
  it("refuses handshakes past the per-IP limit with rate_limited and retryAfterMs", async () => {
    const server = await startTestServer({ env: { RATE_LIMIT_CONNECTIONS_PER_MINUTE: "3" } });
    try {
      for (let i = 0; i < 3; i++) (await connect(server.url, server.token("conn"))).close();
      const refused = await refusal(server.url, server.token("conn"));
      expect(refused.code).to.equal("rate_limited");
    } finally {
      await server.close();
    }
  });

  it("answers REST requests past the per-user limit with 429 and Retry-After, other users unaffected", async () => {
    const server = await startTestServer({ env: { RATE_LIMIT_REQUESTS_PER_MINUTE: "4" } });
    try {
      const api = rest(server.url, server.token("busy"));
      for (let i = 0; i < 4; i++) expect((await api.get("/api/v1/me")).status).to.equal(200);
      const refused = await api.get<ErrorBody>("/api/v1/me");
      expect(refused.status).to.equal(429);
      expect(refused.body.error.code).to.equal("rate_limited");
      expect(Number(refused.headers.get("retry-after"))).to.be.within(1, 60);
      expect((await rest(server.url, server.token("calm")).get("/api/v1/me")).status).to.equal(200);
    } finally {
      await server.close();
    }
  });
});

describe("shutting down", () => {
  it("refuses new turns with unavailable once shutdown has begun", async () => {
    const server = await startTestServer();
    try {
      const api = rest(server.url, server.token("late"));
      const c = await api.post<ConversationResource>("/api/v1/conversations", { agentId: DEMO_AGENT_ID });
      const stopping = server.confab.chat.shutdown(0);
      const res = await api.post<ErrorBody>(`/api/v1/conversations/${c.body.id}/messages`, {
        content: "now?",
      });
      expect(res.status).to.equal(503);
      expect(res.body.error.code).to.equal("unavailable");
      await stopping;
    } finally {
      await server.close();
    }
  });
});

describe("Redis becoming unreachable", () => {
  it("still finishes the answer and still gives a joining tab its text on the node that writes it", async () => {
    const proxy = await TcpProxy.start("127.0.0.1", 6379);
    const model = new FakeChatModel({ chunks: ["kept ", "going ", "without ", "redis"] });
    const server = await startTestServer({
      chatModels: { demo: model },
      env: {
        REDIS_URL: `redis://127.0.0.1:${proxy.port}`,
        REDIS_KEY_PREFIX: `confab-test-down-${Date.now()}`,
      },
    });
    try {
      const c = await newConversation(server, "offline");
      const writer = await connect(server.url, server.token("offline"));
      model.hold(2);
      const paused = model.paused();
      const done = observeAnswer(writer, c);
      const sentSoFar = seenText(writer, "kept going ".length);
      await call(writer, "message:send", { conversationId: c, content: "go" });
      await paused;
      await within("the writer's tab to be sent the two words before the pause", sentSoFar.reached);
      proxy.cut();
      const late = await connect(server.url, server.token("offline"));
      const joined = await call(late, "conversation:join", { conversationId: c });
      expect(joined.generation?.content).to.equal("kept going ");
      model.release();
      expect((await done).end.message).to.include({
        status: "complete",
        content: "kept going without redis",
      });
      writer.close();
      late.close();
    } finally {
      proxy.restore();
      await server.close();
      await proxy.close();
    }
  });
});

describe("the logs", () => {
  it("write errors without their SQL, parameters or the message text", () => {
    const { logger, text } = captureLogs("info");
    const err = Object.assign(new Error("insert failed"), {
      name: "SequelizeDatabaseError",
      sql: "INSERT INTO messages (content) VALUES ('my secret words')",
      parameters: ["my secret words"],
      original: { detail: "my secret words" },
    });
    logger.error({ err, content: "my secret words", token: "eyJ.secret" }, "failed");
    const out = text();
    expect(out).to.include("insert failed").and.include("SequelizeDatabaseError");
    expect(out).to.not.include("my secret words");
    expect(out).to.not.include("eyJ.secret");
  });
});
