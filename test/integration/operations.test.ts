// Covers: src/admin/admin-service.ts, src/http/routes/admin-routes.ts, src/observability/ (metrics, logs),
// src/http/ (request-log.ts, readiness.ts, origin-policy.ts, openapi.ts), src/realtime/admin-namespace.ts,
// src/db/repositories/maintenance-repository.ts.
import { expect } from "chai";
import type { ConversationResource, MessageResource } from "../../src/conversations/resources.js";
import { OPERATIONS } from "../../src/http/openapi.js";
import {
  call,
  connect,
  connectAdmin,
  disconnection,
  nextActivity,
  observeAnswer,
  refusal,
} from "../support/clients.js";
import { createConversation, DEMO_AGENT_ID } from "../support/conversations.js";
import { FakeChatModel } from "../support/fake-chat-model.js";
import { captureLogs } from "../support/logs.js";
import { rest, waitUntilReady, type ErrorBody } from "../support/rest.js";
import { waitFor } from "../support/waiting.js";
import { startServerBehindProxy } from "../support/server-behind-proxy.js";
import { startTestServer, type TestServer } from "../support/test-server.js";

describe("operating Confab", () => {
  let server: TestServer;
  const logs = captureLogs("info");
  const model = new FakeChatModel({
    chunks: ["secret ", "answer ", "text"],
    usage: { inputTokens: 7, outputTokens: 3 },
  });
  let admin: ReturnType<typeof rest>;

  before(async () => {
    server = await startTestServer({ chatModels: { demo: model }, logger: logs.logger });
    admin = rest(server.url, server.token("operator", { role: "admin" }));
  });
  after(async () => {
    await server.close();
  });

  async function turn(sub: string, content = "hello"): Promise<string> {
    const api = rest(server.url, server.token(sub));
    const c = await api.post<ConversationResource>("/api/v1/conversations", {
      agentId: DEMO_AGENT_ID,
      title: "t",
    });
    await api.post(`/api/v1/conversations/${c.body.id}/messages`, { content });
    return c.body.id;
  }

  it("refuses every admin route to users with forbidden", async () => {
    const user = rest(server.url, server.token("plain"));
    const id = "8a6e0804-2691-4b4a-b0a3-8a1e5d8b1d9f";
    const attempts = [
      user.get<ErrorBody>("/api/v1/admin/stats"),
      user.get<ErrorBody>("/api/v1/admin/users"),
      user.delete<ErrorBody>("/api/v1/admin/users/someone"),
      user.get<ErrorBody>("/api/v1/admin/conversations"),
      user.get<ErrorBody>(`/api/v1/admin/conversations/${id}`),
      user.post<ErrorBody>("/api/v1/admin/maintenance/purge", { olderThanDays: 0 }),
    ];
    for (const res of await Promise.all(attempts)) {
      expect(res.status).to.equal(403);
      expect(res.body.error.code).to.equal("forbidden");
    }
  });

  it("gives admins totals, users with their counts, and any user's conversations", async () => {
    const conversationId = await turn("stats-user");
    const stats = await admin.get<{
      users: number;
      conversations: { active: number };
      messages: number;
      tokens: { total: number; byModel: { provider: string; model: string; totalTokens: number }[] };
      activeGenerations: number;
      connectedSockets: number;
    }>("/api/v1/admin/stats");
    expect(stats.status).to.equal(200);
    expect(stats.body.users).to.be.greaterThan(0);
    expect(stats.body.conversations.active).to.be.greaterThan(0);
    expect(stats.body.messages).to.be.greaterThan(1);
    expect(stats.body.tokens.byModel.find((m) => m.provider === "demo")?.totalTokens).to.be.greaterThan(9);
    expect(stats.body.activeGenerations).to.equal(0);

    const socket = await connect(server.url, server.token("stats-user"));
    const withSocket = await admin.get<{ connectedSockets: number }>("/api/v1/admin/stats");
    expect(withSocket.body.connectedSockets).to.equal(1);
    socket.close();

    const users = await admin.get<{
      users: { id: string; conversations: number; totalTokensUsed: number }[];
      total: number;
    }>("/api/v1/admin/users?limit=100");
    expect(users.body.users.find((u) => u.id === "stats-user")).to.deep.include({
      conversations: 1,
      totalTokensUsed: 10,
    });
    const listed = await admin.get<{ conversations: ConversationResource[] }>(
      "/api/v1/admin/conversations?userId=stats-user",
    );
    expect(listed.body.conversations.map((c) => c.id)).to.deep.equal([conversationId]);
    const one = await admin.get<ConversationResource & { messages: MessageResource[] }>(
      `/api/v1/admin/conversations/${conversationId}`,
    );
    expect(one.body.messages).to.have.length(2);
  });

  it("erases a user: nothing of theirs remains in any table, and their tabs are disconnected", async () => {
    const conversationId = await turn("leaving", "my private words");
    const tab = await connect(server.url, server.token("leaving"));
    const disconnected = disconnection(tab);
    expect((await admin.delete("/api/v1/admin/users/leaving")).status).to.equal(204);
    await disconnected;
    const { sequelize } = server.confab.db;
    const [rows] = await sequelize.query(
      `SELECT (SELECT count(*) FROM users WHERE id = 'leaving') AS users,
              (SELECT count(*) FROM conversations WHERE user_id = 'leaving' OR id = :id) AS conversations,
              (SELECT count(*) FROM messages WHERE conversation_id = :id OR content = 'my private words') AS messages`,
      { replacements: { id: conversationId } },
    );
    expect(rows).to.deep.equal([{ users: "0", conversations: "0", messages: "0" }]);
    expect((await admin.delete("/api/v1/admin/users/leaving")).status).to.equal(404);
  });

  it("purges only the conversations soft-deleted before the cutoff", async () => {
    const api = rest(server.url, server.token("purger"));
    const ids: string[] = [];
    for (let i = 0; i < 3; i++) {
      ids.push((await createConversation(api)).id);
    }
    await api.delete(`/api/v1/conversations/${ids[0]}`);
    await api.delete(`/api/v1/conversations/${ids[1]}`);
    const { Conversation } = server.confab.db.models;
    await Conversation.update(
      { deletedAt: new Date(Date.now() - 100 * 86_400_000) },
      { where: { id: ids[0]! } },
    );
    await Conversation.update(
      { deletedAt: new Date(Date.now() - 10 * 86_400_000) },
      { where: { id: ids[1]! } },
    );
    const purged = await admin.post<{ purged: number }>("/api/v1/admin/maintenance/purge", {
      olderThanDays: 90,
    });
    expect(purged.body).to.deep.equal({ purged: 1 });
    const left = await Conversation.findAll({ where: { id: ids }, attributes: ["id"] });
    expect(left.map((c) => c.id).sort()).to.deep.equal([ids[1]!, ids[2]!].sort());
    const invalid = await admin.post<ErrorBody>("/api/v1/admin/maintenance/purge", { olderThanDays: -1 });
    expect(invalid.body.error.code).to.equal("validation_failed");
  });

  it("runs the daily purge once per day however many nodes look", async () => {
    const { admin: service } = server.confab;
    await server.confab.db.sequelize.query(`UPDATE maintenance_jobs SET last_run_at = '-infinity'`);
    const runs = await Promise.all([service.purgeIfDue(90, 86_400_000), service.purgeIfDue(90, 86_400_000)]);
    expect(runs.filter((r) => r !== null)).to.have.length(1);
    expect(await service.purgeIfDue(90, 86_400_000)).to.equal(null);
  });

  it("counts a turn in /metrics", async () => {
    const before = await (await fetch(`${server.url}/metrics`)).text();
    const completed = { name: "confab_generations_total", labels: ['outcome="complete"', 'provider="demo"'] };
    const outputTokens = { name: "confab_tokens_total", labels: ['kind="output"', 'provider="demo"'] };
    await turn("metered");
    const res = await fetch(`${server.url}/metrics`);
    expect(res.headers.get("content-type")).to.match(/^text\/plain/);
    const after = await res.text();
    expect(metricValue(after, completed) - metricValue(before, completed)).to.equal(1);
    expect(metricValue(after, outputTokens) - metricValue(before, outputTokens)).to.equal(3);
    expect(
      metricValue(after, { name: "confab_time_to_first_token_seconds_count", labels: ['provider="demo"'] }),
    ).to.be.greaterThan(0);
    expect(
      metricValue(after, {
        name: "confab_http_requests_total",
        labels: ['method="POST"', 'route="/api/v1/conversations/:id/messages"', 'status="201"'],
      }),
    ).to.be.greaterThan(0);
    expect(after).to.include("confab_process_resident_memory_bytes");
    expect(after).to.include("confab_connected_sockets");
  });

  it("answers with a request id, security headers and CORS, and logs no token or content", async () => {
    const token = server.token("logged");
    const res = await fetch(`${server.url}/api/v1/me`, {
      headers: {
        authorization: `Bearer ${token}`,
        "x-request-id": "trace-123",
        origin: "http://widget.example",
      },
    });
    expect(res.headers.get("x-request-id")).to.equal("trace-123");
    expect(res.headers.get("x-content-type-options")).to.equal("nosniff");
    expect(res.headers.get("access-control-allow-origin")).to.equal("http://widget.example");
    await turn("logged", "content that must stay out of the logs");
    expect(logs.text()).to.include('"requestId":"trace-123"');
    expect(logs.text()).to.not.include(token);
    expect(logs.text()).to.not.include("content that must stay out of the logs");
    expect(logs.text()).to.not.include("secret answer text");
  });

  it("publishes an OpenAPI document listing every route Express serves", async () => {
    const doc = await rest(server.url).get<{
      openapi: string;
      paths: Record<string, Record<string, unknown>>;
    }>("/api/v1/openapi.json");
    expect(doc.status).to.equal(200);
    expect(doc.body.openapi).to.match(/^3\./);
    const documented = Object.entries(doc.body.paths)
      .flatMap(([p, methods]) =>
        Object.keys(methods).map((m) => `${m.toUpperCase()} ${p.replace(/\{(\w+)\}/g, ":$1")}`),
      )
      .sort();
    const served = servedRoutes(server).sort();
    expect(documented).to.deep.equal(served);
    expect(OPERATIONS.length).to.equal(served.length);
    const post = doc.body.paths["/conversations/{id}/messages"]!.post as {
      requestBody: {
        content: { "application/json": { schema: { properties: Record<string, { maxLength?: number }> } } };
      };
    };
    expect(post.requestBody.content["application/json"].schema.properties.content?.maxLength).to.equal(
      10_000,
    );
  });
});

/** The value of the sample of a metric whose labels include all of these (Prometheus text format). */
function metricValue(text: string, metric: { name: string; labels: string[] }): number {
  for (const line of text.split("\n")) {
    if (!line.startsWith(`${metric.name}{`)) continue;
    if (metric.labels.every((l) => line.includes(l))) return Number(line.slice(line.lastIndexOf(" ") + 1));
  }
  return 0;
}

/** Every `METHOD /path` mounted under /api/v1, read from Express's own router. */
function servedRoutes(server: TestServer): string[] {
  type Layer = {
    route?: { path: string; methods: Record<string, boolean> };
    handle?: { stack?: Layer[] };
    matchers?: ((path: string) => unknown)[];
  };
  const app = server.confab.app as unknown as { router: { stack: Layer[] } };
  const out: string[] = [];
  const prefixOf = (layer: Layer): string => {
    // Express 5 keeps the mount path only in its matcher: probe the known mounts.
    for (const p of ["/api/v1", "/conversations", "/admin"]) if (layer.matchers?.[0]?.(`${p}/x`)) return p;
    return "";
  };
  const walk = (stack: Layer[], prefix: string) => {
    for (const layer of stack) {
      if (layer.route) {
        for (const method of Object.keys(layer.route.methods))
          out.push(`${method.toUpperCase()} ${prefix}${layer.route.path}`);
      } else if (layer.handle?.stack) {
        walk(layer.handle.stack, prefix + prefixOf(layer));
      }
    }
  };
  walk(app.router.stack, "");
  return out
    .filter((r) => r.includes(" /api/v1/"))
    .map((r) => r.replace(" /api/v1", " "))
    .map((r) => r.replace("  ", " ").replace(/(.)\/$/, "$1"));
}

describe("a database outage", () => {
  it("answers unavailable and /readyz 503 while PostgreSQL is unreachable, keeps sockets, and recovers", async () => {
    const node = await startServerBehindProxy();
    const { server, proxy } = node;
    try {
      const api = rest(server.url, server.token("patient"));
      const c = await api.post<ConversationResource>("/api/v1/conversations", { agentId: DEMO_AGENT_ID });
      const socket = await connect(server.url, server.token("patient"));
      await call(socket, "conversation:join", { conversationId: c.body.id });

      proxy.cut();
      const ready = await rest(server.url).get<{ status: string; checks: Record<string, string> }>("/readyz");
      expect(ready.status).to.equal(503);
      expect(ready.body.checks.database).to.equal("unavailable");
      const list = await api.get<ErrorBody>("/api/v1/conversations");
      expect(list.status).to.equal(503);
      expect(list.body.error.code).to.equal("unavailable");
      const join = await new Promise<{ ok: boolean; error?: { code: string } }>((resolve) =>
        (
          socket.emit as (
            e: string,
            p: unknown,
            a: (x: { ok: boolean; error?: { code: string } }) => void,
          ) => void
        )("conversation:join", { conversationId: c.body.id }, resolve),
      );
      expect(join.error?.code).to.equal("unavailable");
      expect(socket.connected).to.equal(true);

      proxy.restore();
      await waitUntilReady([server.url]);
      expect((await api.get("/api/v1/conversations")).status).to.equal(200);
      const done = observeAnswer(socket, c.body.id);
      await call(socket, "message:send", { conversationId: c.body.id, content: "back?" });
      expect((await done).end.message.status).to.equal("complete");
      socket.close();
    } finally {
      await node.close();
    }
  });
});

describe("the /admin namespace", () => {
  it("refuses users with forbidden and streams the activity of turns made on any node", async () => {
    const { startCluster } = await import("../support/cluster.js");
    const cluster = await startCluster(2, {
      chatModels: () => ({ demo: new FakeChatModel({ chunks: ["ok"] }) }),
    });
    try {
      const [a, b] = cluster.nodes as [TestServer, TestServer];
      const refused = await refusal(b.url, b.token("nobody"), "/admin");
      expect(refused.message).to.equal("forbidden");
      expect(refused.code).to.equal("forbidden");

      const feed = await connectAdmin(b.url, b.token("ops", { role: "admin" }));
      const events: { type: string; conversationId: string; usage?: { totalTokens: number } }[] = [];
      feed.on("activity", (e) => events.push(e));
      const finished = nextActivity(feed, "generation.finished");
      const api = rest(a.url, a.token("actor"));
      const c = await api.post<ConversationResource>("/api/v1/conversations", {
        agentId: DEMO_AGENT_ID,
        title: "x",
      });
      await api.post(`/api/v1/conversations/${c.body.id}/messages`, { content: "hi" });
      await finished;
      const deleted = nextActivity(feed, "conversation.deleted");
      await api.delete(`/api/v1/conversations/${c.body.id}`);
      await deleted;
      const mine = events.filter((e) => e.conversationId === c.body.id);
      expect(mine.map((e) => e.type)).to.deep.equal([
        "conversation.created",
        "generation.started",
        "generation.finished",
        "conversation.deleted",
      ]);
      expect(mine[2]?.usage?.totalTokens).to.be.a("number");
      // Only the node holding an admin socket reads the feed; once it has none, no node does.
      const listening = () =>
        a.confab.redis!.client.call("PUBSUB", "SHARDNUMSUB", `${cluster.prefix}#/admin#admin:activity#`);
      expect(await listening()).to.deep.equal([`${cluster.prefix}#/admin#admin:activity#`, 1]);
      feed.close();
      await waitFor("the feed's last listener to leave", listening, (l) => (l as unknown[])[1] === 0, {
        everyMs: 20,
      });
    } finally {
      await cluster.close();
    }
  });
});

describe("CORS_ORIGINS", () => {
  it("lets only the listed origins call REST and open sockets", async () => {
    const server = await startTestServer({ env: { CORS_ORIGINS: "https://allowed.example" } });
    try {
      const ask = (origin: string) =>
        fetch(`${server.url}/api/v1/me`, {
          method: "OPTIONS",
          headers: {
            origin,
            "access-control-request-method": "GET",
            "access-control-request-headers": "authorization",
          },
        });
      expect((await ask("https://allowed.example")).headers.get("access-control-allow-origin")).to.equal(
        "https://allowed.example",
      );
      expect((await ask("https://evil.example")).headers.get("access-control-allow-origin")).to.equal(null);

      const { io } = await import("socket.io-client");
      const handshake = (origin: string) =>
        new Promise<boolean>((resolve) => {
          const s = io(`${server.url}/chat`, {
            auth: { token: server.token("cors") },
            transports: ["websocket"],
            extraHeaders: { origin },
            forceNew: true,
            reconnection: false,
          });
          s.once("connect", () => {
            s.close();
            resolve(true);
          });
          s.once("connect_error", () => {
            s.close();
            resolve(false);
          });
        });
      expect(await handshake("https://allowed.example")).to.equal(true);
      expect(await handshake("https://evil.example")).to.equal(false);
    } finally {
      await server.close();
    }
  });
});
