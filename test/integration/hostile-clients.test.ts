// Covers: src/validation.ts, src/protocol/ (metadata, text), src/http/ (body parsing, error-middleware.ts),
// src/auth/token-verifier.ts, src/admin/admin-service.ts (erasure while answers are written),
// src/realtime/event-limit.ts, src/limits/rate-limits.ts, src/realtime/admin-namespace.ts (token expiry),
// src/tokens/token-counter.ts (counting that does not hold the node).
import { gzipSync } from "node:zlib";
import { expect } from "chai";
import type { ConversationResource, MessageResource } from "../../src/conversations/resources.js";
import {
  call,
  connect,
  connectAdmin,
  disconnection,
  nextEvent,
  observeAnswer,
  refusal,
  request,
} from "../support/clients.js";
import { createConversation, DEMO_AGENT_ID, newConversation } from "../support/conversations.js";
import { queryDatabase } from "../support/database.js";
import { FakeChatModel } from "../support/fake-chat-model.js";
import { captureLogs } from "../support/logs.js";
import { pollHealthz, rest, type ErrorBody } from "../support/rest.js";
import { startTestServer, type TestServer } from "../support/test-server.js";
import { waitUntil } from "../support/waiting.js";

describe("input that once answered 500", () => {
  let server: TestServer;
  const logs = captureLogs("debug");
  let api: ReturnType<typeof rest>;
  let conversationId: string;

  before(async () => {
    server = await startTestServer({ logger: logs.logger });
    api = rest(server.url, server.token("hostile"));
    conversationId = (await createConversation(api)).id;
  });
  after(async () => {
    await server.close();
  });

  /** Sends a raw JSON body, exactly as written. */
  const raw = (method: string, path: string, body: string, headers: Record<string, string> = {}) =>
    fetch(`${server.url}${path}`, {
      method,
      headers: {
        authorization: `Bearer ${server.token("hostile")}`,
        "content-type": "application/json",
        ...headers,
      },
      body,
    }).then(async (res) => ({ status: res.status, body: (await res.json()) as ErrorBody }));

  const expectRefused = (res: { status: number; body: ErrorBody }, what: string, status = 400) => {
    expect(res.status, what).to.equal(status);
    expect(res.body.error.code, what).to.equal("validation_failed");
  };

  it("refuses metadata nested 15,000 levels deep, of objects or of arrays, on every route and event", async () => {
    const objects = `${'{"a":'.repeat(15_000)}1${"}".repeat(15_000)}`;
    const arrays = `{"a":${"[".repeat(15_000)}${"]".repeat(15_000)}}`;
    const c = `/api/v1/conversations/${conversationId}`;
    for (const deep of [objects, arrays]) {
      expectRefused(await raw("PATCH", c, `{"metadata":${deep}}`), "patch");
      expectRefused(
        await raw("POST", "/api/v1/conversations", `{"agentId":"${DEMO_AGENT_ID}","metadata":${deep}}`),
        "create",
      );
      expectRefused(await raw("POST", `${c}/messages`, `{"content":"hi","metadata":${deep}}`), "message");
    }
    // Socket.IO's own client cannot even encode 15,000 levels; 1,000 is as refused.
    let nested: unknown = 1;
    for (let i = 0; i < 1000; i++) nested = { a: nested };
    const socket = await connect(server.url, server.token("hostile"));
    const ack = await request(socket, "message:send", { conversationId, content: "hi", metadata: nested });
    expect(ack.ok === false && ack.error.code).to.equal("validation_failed");
    socket.close();
  });

  it("refuses a lone surrogate in metadata keys and values, titles, tags and content", async () => {
    const c = `/api/v1/conversations/${conversationId}`;
    expectRefused(await raw("PATCH", c, '{"metadata":{"k\\ud800":1}}'), "metadata key");
    expectRefused(await raw("PATCH", c, '{"metadata":{"k":["\\udc00"]}}'), "metadata value");
    expectRefused(await raw("PATCH", c, '{"title":"a\\ud800b"}'), "title");
    expectRefused(await raw("PATCH", c, '{"tags":["ok","\\ud83d"]}'), "tag");
    expectRefused(await raw("POST", `${c}/messages`, '{"content":"hello \\ud800"}'), "content");
    expectRefused(await raw("POST", `${c}/messages`, '{"content":"hi","clientMessageId":"\\udfff"}'), "id");
    const socket = await connect(server.url, server.token("hostile"));
    const ack = await request(socket, "message:send", { conversationId, content: "x\ud800" });
    expect(ack.ok === false && ack.error.code).to.equal("validation_failed");
    socket.close();
    // A well-formed pair is text like any other.
    const ok = await api.patch<ConversationResource>(c, { title: "emoji 😀" });
    expect(ok.body.title).to.equal("emoji 😀");
  });

  it("refuses the key __proto__ and numbers that cannot round-trip, and stores what it accepts unchanged", async () => {
    const c = `/api/v1/conversations/${conversationId}`;
    expectRefused(await raw("PATCH", c, '{"metadata":{"__proto__":{"admin":true}}}'), "top-level __proto__");
    expectRefused(await raw("PATCH", c, '{"metadata":{"a":[{"__proto__":1}]}}'), "nested __proto__");
    expectRefused(await raw("PATCH", c, '{"metadata":{"n":1e400}}'), "infinite number");
    // The 16 KB are measured on what is stored: a __proto__ key can no longer escape them.
    const big = "x".repeat(16 * 1024);
    expectRefused(await raw("PATCH", c, `{"metadata":{"__proto__":"${big}"}}`), "__proto__ of 16 KB");
    const metadata = { nested: { list: [1, "two", null, true, { deep: "ü😀" }] }, constructor: "fine" };
    const saved = await api.patch<ConversationResource>(c, { metadata });
    expect(saved.status).to.equal(200);
    expect((await api.get<ConversationResource>(c)).body.metadata).to.deep.equal(metadata);
  });

  it("answers a broken percent-encoding in a path and a body that is not what its encoding says with 4xx", async () => {
    const broken = await fetch(`${server.url}/api/v1/conversations/%E0%A4%A`, {
      headers: { authorization: `Bearer ${server.token("hostile")}` },
    });
    expect(broken.status).to.equal(400);
    expect(((await broken.json()) as ErrorBody).error.code).to.equal("validation_failed");
    const surrogate = await fetch(`${server.url}/api/v1/admin/users/%ED%A0%80`, {
      method: "DELETE",
      headers: { authorization: `Bearer ${server.token("ops", { role: "admin" })}` },
    });
    expect(surrogate.status).to.equal(400);

    const notGzip = await raw("POST", "/api/v1/conversations", `{"agentId":"${DEMO_AGENT_ID}"}`, {
      "content-encoding": "gzip",
    });
    expect(notGzip.status).to.equal(400);
    expect(notGzip.body.error.code).to.equal("validation_failed");
    const unknown = await raw("POST", "/api/v1/conversations", `{"agentId":"${DEMO_AGENT_ID}"}`, {
      "content-encoding": "br-unknown",
    });
    expect(unknown.status).to.equal(415);
    expect(unknown.body.error.code).to.equal("validation_failed");
    // A body that really is gzip is read.
    const gzipped = await fetch(`${server.url}/api/v1/conversations`, {
      method: "POST",
      headers: {
        authorization: `Bearer ${server.token("hostile")}`,
        "content-type": "application/json",
        "content-encoding": "gzip",
      },
      body: gzipSync(JSON.stringify({ agentId: DEMO_AGENT_ID, title: "zipped" })),
    });
    expect(gzipped.status).to.equal(201);
  });

  it("logs none of these refusals as an error", () => {
    const errors = logs.lines().filter((line) => (JSON.parse(line) as { level: number }).level >= 50);
    expect(errors).to.deep.equal([]);
  });
});

describe("a token whose sub is not well-formed Unicode", () => {
  it("is refused with token_invalid, and cannot read the user whose sub PostgreSQL would confuse it with", async () => {
    const server = await startTestServer();
    try {
      const victim = rest(server.url, server.token("x\ufffdy"));
      const mine = await victim.post<ConversationResource>("/api/v1/conversations", {
        agentId: DEMO_AGENT_ID,
        title: "private",
      });
      expect(mine.status).to.equal(201);
      const forged = server.token("x\ud800y");
      const res = await rest(server.url, forged).get<{
        error: { code: string; details: { reason: string } };
      }>("/api/v1/conversations");
      expect(res.status).to.equal(401);
      expect(res.body.error.details.reason).to.equal("token_invalid");
      expect(await refusal(server.url, forged)).to.deep.equal({
        message: "unauthorized",
        code: "token_invalid",
      });
      const stillMine = await victim.get<{ conversations: ConversationResource[] }>("/api/v1/conversations");
      expect(stillMine.body.conversations.map((c) => c.title)).to.deep.equal(["private"]);
    } finally {
      await server.close();
    }
  });
});

describe("erasing a user while their answers are being written", () => {
  it("stops the answers, lets them be stored, then erases everything and closes the sockets: 204", async () => {
    const model = new FakeChatModel({ chunks: Array.from({ length: 400 }, (_, i) => `w${i} `), delayMs: 1 });
    const server = await startTestServer({ chatModels: { demo: model } });
    try {
      const sub = "doomed";
      const api = rest(server.url, server.token(sub));
      const socket = await connect(server.url, server.token(sub));
      const ids: string[] = [];
      for (let i = 0; i < 8; i++) {
        ids.push((await createConversation(api)).id);
      }
      const answers = ids.map((id) => observeAnswer(socket, id));
      const writing = ids.map((id) => nextEvent(socket, "assistant:delta", (e) => e.conversationId === id));
      for (const id of ids)
        await call(socket, "message:send", { conversationId: id, content: "write a lot" });
      await Promise.all(writing);
      const disconnected = disconnection(socket);

      const erased = await rest(server.url, server.token("ops", { role: "admin" })).delete<ErrorBody>(
        `/api/v1/admin/users/${sub}`,
      );
      expect(erased.status, JSON.stringify(erased.body)).to.equal(204);
      for (const answer of await Promise.all(answers)) {
        expect(answer.end.kind).to.equal("done");
        expect(answer.end.message.status).to.equal("cancelled");
      }
      await disconnected;
      const [left] = await queryDatabase(
        server.database,
        `SELECT (SELECT count(*) FROM users WHERE id = $1) AS users,
                (SELECT count(*) FROM conversations WHERE user_id = $1) AS conversations,
                (SELECT count(*) FROM messages WHERE conversation_id = ANY($2::uuid[])) AS messages`,
        [sub, ids],
      );
      expect(left).to.deep.equal({ users: "0", conversations: "0", messages: "0" });
    } finally {
      await server.close();
    }
  });
});

describe("erasing a user whose answer another node writes", () => {
  it("stops it there and lets it be stored before the erasure: 204, nothing left", async () => {
    const { startCluster } = await import("../support/cluster.js");
    const model = new FakeChatModel({ chunks: Array.from({ length: 300 }, (_, i) => `v${i} `), delayMs: 2 });
    const cluster = await startCluster(2, { chatModels: (i) => (i === 0 ? { demo: model } : {}) });
    try {
      const [writer, other] = cluster.nodes as [TestServer, TestServer];
      const c = await newConversation(writer, "far");
      const socket = await connect(writer.url, writer.token("far"));
      const answer = observeAnswer(socket, c);
      const writing = nextEvent(socket, "assistant:delta");
      await call(socket, "message:send", { conversationId: c, content: "long" });
      await writing;
      const erased = await rest(other.url, other.token("ops", { role: "admin" })).delete(
        `/api/v1/admin/users/far`,
      );
      expect(erased.status).to.equal(204);
      expect((await answer).end.message.status).to.equal("cancelled");
      const [left] = await queryDatabase(
        writer.database,
        "SELECT (SELECT count(*) FROM conversations WHERE user_id = 'far') AS c, (SELECT count(*) FROM messages WHERE conversation_id = $1) AS m",
        [c],
      );
      expect(left).to.deep.equal({ c: "0", m: "0" });
      socket.close();
    } finally {
      await cluster.close();
    }
  });
});

describe("limits on what one client may ask", () => {
  it("refuses a flood of joins from one socket with rate_limited and retryAfterMs, serving the others", async () => {
    const server = await startTestServer({ env: { RATE_LIMIT_SOCKET_EVENTS_PER_SECOND: "10" } });
    try {
      const api = rest(server.url, server.token("flood"));
      const c = (await createConversation(api)).id;
      const flooder = await connect(server.url, server.token("flood"));
      const calm = await connect(server.url, server.token("flood"));
      const acks = await Promise.all(
        Array.from({ length: 300 }, () => request(flooder, "conversation:join", { conversationId: c })),
      );
      const served = acks.filter((a) => a.ok).length;
      const refused = acks.filter((a) => !a.ok);
      expect(served).to.be.within(10, 20);
      expect(refused).to.have.length(300 - served);
      for (const a of refused) {
        expect(a.ok === false && a.error.code).to.equal("rate_limited");
        expect(a.ok === false && a.error.retryAfterMs).to.be.within(1, 1000);
      }
      expect((await request(calm, "conversation:join", { conversationId: c })).ok).to.equal(true);
      // The flooder is served again once its second is over.
      await waitUntil(
        "the flooder's join to be served again",
        async () => (await request(flooder, "conversation:join", { conversationId: c })).ok,
        { everyMs: 100 },
      );
      flooder.close();
      calm.close();
    } finally {
      await server.close();
    }
  });

  it("counts a summary like a message, and not a send refused while an answer is written", async () => {
    const model = new FakeChatModel({ chunks: ["ok"] });
    const server = await startTestServer({
      chatModels: { demo: model },
      env: { RATE_LIMIT_MESSAGES_PER_MINUTE: "3" },
    });
    try {
      const api = rest(server.url, server.token("thrifty"));
      const c = (await createConversation(api)).id;
      const socket = await connect(server.url, server.token("thrifty"));
      model.hold(0);
      const paused = model.paused();
      const first = observeAnswer(socket, c);
      await call(socket, "message:send", { conversationId: c, content: "one" }); // 1 of 3
      await paused;
      for (let i = 0; i < 5; i++) {
        const busy = await request(socket, "message:send", { conversationId: c, content: "again?" });
        expect(busy.ok === false && busy.error.code).to.equal("generation_in_progress");
      }
      model.release();
      await first;
      expect((await api.post(`/api/v1/conversations/${c}/summary`)).status).to.equal(200); // 2 of 3
      const second = observeAnswer(socket, c);
      await call(socket, "message:send", { conversationId: c, content: "two" }); // 3 of 3
      await second;
      const summary = await api.post<ErrorBody>(`/api/v1/conversations/${c}/summary`);
      expect(summary.status).to.equal(429);
      expect(summary.body.error.code).to.equal("rate_limited");
      socket.close();
    } finally {
      model.release();
      await server.close();
    }
  });

  it("gives back at most twice the message limit a minute of refused sends, so they cannot be spammed for free", async () => {
    const model = new FakeChatModel({ chunks: ["ok"] });
    const server = await startTestServer({
      chatModels: { demo: model },
      env: { RATE_LIMIT_MESSAGES_PER_MINUTE: "2" },
    });
    try {
      const c = await newConversation(server, "spammer");
      const socket = await connect(server.url, server.token("spammer"));
      model.hold(0);
      const paused = model.paused();
      await call(socket, "message:send", { conversationId: c, content: "one" }); // 1 of 2
      await paused;
      const codes: (string | false)[] = [];
      for (let i = 0; i < 6; i++) {
        const busy = await request(socket, "message:send", { conversationId: c, content: "again" });
        codes.push(busy.ok === false && busy.error.code);
      }
      // Four refusals are given back (twice the limit of 2); the fifth takes the last message, and
      // the sixth finds none left.
      expect(codes).to.deep.equal([
        "generation_in_progress",
        "generation_in_progress",
        "generation_in_progress",
        "generation_in_progress",
        "generation_in_progress",
        "rate_limited",
      ]);
      socket.close();
    } finally {
      model.release();
      await server.close();
    }
  });
});

describe("the /admin feed's tokens", () => {
  let server: TestServer;
  before(async () => {
    server = await startTestServer();
  });
  after(async () => {
    await server.close();
  });

  it("warns with auth:expiring and disconnects with auth:expired when the admin's token runs out", async () => {
    let expiring!: Promise<{ expiresAt: string }>;
    let expired!: Promise<unknown>;
    let disconnected!: Promise<unknown>;
    const token = server.token("ops", { role: "admin", expiresInSeconds: 2 });
    const socket = await connectAdmin(server.url, token, (s) => {
      expiring = new Promise((r) => s.once("auth:expiring", r));
      expired = new Promise((r) => s.once("auth:expired", r));
      disconnected = disconnection(s);
    });
    expect(new Date((await expiring).expiresAt).getTime()).to.be.closeTo(Date.now() + 2000, 2500);
    await expired;
    await disconnected;
    expect(socket.connected).to.equal(false);
  });

  it("renews with auth:refresh, refusing a token without the admin role", async () => {
    const socket = await connectAdmin(
      server.url,
      server.token("ops", { role: "admin", expiresInSeconds: 40 }),
    );
    const refresh = (token: string) =>
      new Promise<{ ok: boolean; data?: { expiresAt: string }; error?: { code: string } }>((resolve) =>
        socket.emit("auth:refresh", { token }, resolve),
      );
    const demoted = await refresh(server.token("ops", { role: "user", expiresInSeconds: 7200 }));
    expect(demoted.error?.code).to.equal("forbidden");
    const renewed = await refresh(server.token("ops", { role: "admin", expiresInSeconds: 7200 }));
    expect(new Date(renewed.data!.expiresAt).getTime()).to.be.greaterThan(Date.now() + 3600_000);
    socket.close();
  });
});

describe("another client while the slowest texts are counted", () => {
  it("gets /healthz served promptly while people send 10,000 Hangul syllables and a vendor streams a 2 MB token", async () => {
    const { HUGE_SINGLE_TOKEN, WORST_TEXTS } = await import("../support/worst-texts.js");
    const model = new FakeChatModel({ chunks: [HUGE_SINGLE_TOKEN], usage: null });
    const server = await startTestServer({ chatModels: { demo: model } });
    try {
      const healthz = pollHealthz(server.url);
      const heavy = [WORST_TEXTS["Hangul, one syllable repeated"]!, WORST_TEXTS["Thai, no spaces"]!];
      const turns: Promise<MessageResource>[] = [];
      for (let i = 0; i < 6; i++) {
        const api = rest(server.url, server.token(`writer-${i}`));
        const c = (await createConversation(api)).id;
        turns.push(
          api
            .post<{ assistantMessage: MessageResource }>(`/api/v1/conversations/${c}/messages`, {
              content: heavy[i % 2],
            })
            .then((res) => res.body.assistantMessage),
        );
      }
      const answers = await Promise.all(turns);
      const waits = await healthz.stop();
      for (const answer of answers) {
        expect(answer.status).to.equal("complete");
        expect(answer.content.length).to.equal(HUGE_SINGLE_TOKEN.length);
        expect(answer.outputTokens).to.equal(HUGE_SINGLE_TOKEN.length / 8);
        expect(answer.metadata.usageEstimated).to.equal(true);
      }
      // Counting these held the node for seconds before (the 2 MB token for hours): now no other
      // request waits more than a fraction of a second.
      expect(waits.length).to.be.greaterThan(10);
      expect(Math.max(...waits)).to.be.below(250);
    } finally {
      await server.close();
    }
  });
});
