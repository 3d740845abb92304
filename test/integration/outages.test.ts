// Covers: src/chat/ (local-answers.ts checkpoints, answer-leases.ts, recovery.ts, answers stored after an
// outage), src/realtime/other-nodes.ts, src/redis/redis-connection.ts, src/http/readiness.ts,
// src/observability/outage-log.ts, src/errors.ts (a lost database connection answers 503).
import { randomBytes } from "node:crypto";
import { expect } from "chai";
import type { MessageResource } from "../../src/conversations/resources.js";
import { call, connect, nextEvent, observeAnswer, request, type ChatClient } from "../support/clients.js";
import { DEMO_AGENT_ID, newConversation } from "../support/conversations.js";
import { createTestDatabase, queryDatabase, storedMessage } from "../support/database.js";
import { FakeChatModel } from "../support/fake-chat-model.js";
import { captureLogs } from "../support/logs.js";
import { PrivateRedis } from "../support/private-redis.js";
import { rest, waitUntilReady, type ErrorBody } from "../support/rest.js";
import { startServerBehindProxy } from "../support/server-behind-proxy.js";
import { startTestServer } from "../support/test-server.js";
import { quietPeriod, waitFor } from "../support/waiting.js";

/** What a refused turn tells of the answer it had started. */
interface TurnDetails {
  messageId?: string;
  status?: string;
}

/** The leases and the recovery sweep of these tests: short, so that an expiry comes within a test. */
const LEASE_MS = 2000;
const SWEEP_MS = 500;

/**
 * Two nodes on one fresh database and the machine's Redis: the writer, with `model`, reaches
 * PostgreSQL through a proxy the test can cut or freeze; the other directly, and keeps sweeping.
 */
async function writerBehindProxy(model: FakeChatModel) {
  const env = {
    REDIS_URL: "redis://127.0.0.1:6379",
    REDIS_KEY_PREFIX: `confab-test-${randomBytes(4).toString("hex")}`,
    GENERATION_LEASE_MS: String(LEASE_MS),
    RECOVERY_INTERVAL_MS: String(SWEEP_MS),
    CHECKPOINT_MS: "200",
  };
  const behind = await startServerBehindProxy({ chatModels: { demo: model }, env });
  const other = await startTestServer({ database: behind.database, env });
  return {
    database: behind.database,
    proxy: behind.proxy,
    writer: behind.server,
    other,
    async close() {
      await other.close();
      await behind.close();
    },
  };
}

describe("a PostgreSQL outage when an answer ends", () => {
  it("keeps the answer, tells every tab it is being saved, and stores it whole when the database is back, though another node's recovery ran meanwhile", async () => {
    const chunks = Array.from({ length: 40 }, (_, i) => `word${i} `);
    const model = new FakeChatModel({ chunks, usage: { inputTokens: 12, outputTokens: 40 } });
    const nodes = await writerBehindProxy(model);
    const { database, proxy, writer, other } = nodes;
    const sockets: ChatClient[] = [];
    try {
      const conversationId = await newConversation(writer, "patient");
      const here = await connect(writer.url, writer.token("patient"));
      const there = await connect(other.url, other.token("patient"));
      sockets.push(here, there);
      for (const s of sockets) await call(s, "conversation:join", { conversationId });
      const saving = sockets.map((s) => nextEvent(s, "assistant:saving"));
      const answers = sockets.map((s) => observeAnswer(s, conversationId));

      model.hold(10);
      const paused = model.paused();
      const sent = await call(here, "message:send", { conversationId, content: "tell me forty words" });
      await paused;
      await waitFor(
        "a checkpoint of the first ten words",
        () => storedMessage(database, sent.assistantMessageId!),
        (stored) => stored.content === chunks.slice(0, 10).join(""),
      );
      proxy.cut();
      model.release();

      for (const event of await Promise.all(saving)) {
        expect(event).to.deep.equal({
          conversationId,
          messageId: sent.assistantMessageId,
          status: "complete",
        });
      }
      // Proves that the other node, sweeping all the while, does not take the answer for dead once
      // its lease in the database has run out.
      await quietPeriod(LEASE_MS + 3 * SWEEP_MS);
      expect((await storedMessage(database, sent.assistantMessageId!)).status).to.equal("streaming");

      proxy.restore();
      const observed = await Promise.all(answers);
      const whole = chunks.join("");
      for (const o of observed) {
        expect(o.end.kind).to.equal("done");
        expect(o.text).to.equal(whole);
        expect(o.end.message).to.include({
          status: "complete",
          content: whole,
          inputTokens: 12,
          outputTokens: 40,
        });
      }
      expect(await storedMessage(database, sent.assistantMessageId!)).to.deep.equal({
        status: "complete",
        content: whole,
      });
    } finally {
      for (const s of sockets) s.close();
      await nodes.close();
    }
  });

  it("answers a REST turn 503 with the answer's id at once, and stores the answer when the database is back", async () => {
    const model = new FakeChatModel({ chunks: ["all ", "of ", "it"] });
    const node = await startServerBehindProxy({
      chatModels: { demo: model },
      env: { GENERATION_LEASE_MS: String(LEASE_MS), RECOVERY_INTERVAL_MS: String(SWEEP_MS) },
    });
    const { server, proxy, database } = node;
    try {
      const conversationId = await newConversation(server, "rest-patient");
      model.hold(1);
      const paused = model.paused();
      const turn = rest(server.url, server.token("rest-patient")).post<ErrorBody<TurnDetails>>(
        `/api/v1/conversations/${conversationId}/messages`,
        { content: "go" },
      );
      await paused;
      proxy.cut();
      model.release();
      const refused = await turn;
      expect(refused.status).to.equal(503);
      expect(refused.body.error.code).to.equal("unavailable");
      const messageId = refused.body.error.details?.messageId;
      expect(messageId).to.be.a("string");
      expect(refused.body.error.details?.status).to.equal("complete");

      // Proves that the node's own sweep, running meanwhile, leaves the answer to it however old its
      // checkpoint.
      await quietPeriod(LEASE_MS + 2 * SWEEP_MS);
      proxy.restore();
      const stored = await waitFor(
        "the answer to be stored once the database is back",
        () => storedMessage(database, messageId!),
        (m) => m.status !== "streaming",
      );
      expect(stored).to.deep.equal({ status: "complete", content: "all of it" });
      const detail = await rest(server.url, server.token("rest-patient")).get<{
        totalTokensUsed: number;
        messages: MessageResource[];
      }>(`/api/v1/conversations/${conversationId}`);
      expect(detail.body.messages.at(-1)).to.include({ status: "complete", content: "all of it" });
      expect(detail.body.totalTokensUsed).to.be.greaterThan(0);
    } finally {
      await node.close();
    }
  });
});

describe("a PostgreSQL that stops answering (a partition: connections hang rather than close)", () => {
  it("keeps renewing the lease while its database calls hang, so another node's recovery leaves the answer alone", async () => {
    // Still writing for four seconds after the partition begins: its checkpoints hang meanwhile.
    const chunks = Array.from({ length: 40 }, (_, i) => `part${i} `);
    const model = new FakeChatModel({ chunks, delayMs: 100 });
    const nodes = await writerBehindProxy(model);
    const { database, proxy, writer, other } = nodes;
    const sockets: ChatClient[] = [];
    try {
      const conversationId = await newConversation(writer, "partitioned");
      const there = await connect(other.url, other.token("partitioned"));
      sockets.push(there);
      await call(there, "conversation:join", { conversationId });
      const answer = observeAnswer(there, conversationId);
      model.hold(2);
      const paused = model.paused();
      // Sent on the writer's node; its REST answer comes once the answer is stored.
      const turn = rest(writer.url, writer.token("partitioned")).post<{ assistantMessage: MessageResource }>(
        `/api/v1/conversations/${conversationId}/messages`,
        { content: "go on" },
      );
      await paused;
      proxy.freeze();
      model.release();
      // Proves that the other node, sweeping all the while, leaves the answer alone past its lease,
      // while the writer's checkpoints hang.
      await quietPeriod(LEASE_MS + 3 * SWEEP_MS);
      const [row] = await queryDatabase<{ status: string }>(
        database,
        "SELECT status FROM messages WHERE conversation_id = $1 AND role = 'assistant'",
        [conversationId],
      );
      expect(row?.status).to.equal("streaming");
      proxy.thaw();
      const observed = await answer;
      expect(observed.end.kind).to.equal("done");
      expect(observed.end.message).to.include({ status: "complete", content: chunks.join("") });
      expect((await turn).body.assistantMessage.status).to.equal("complete");
    } finally {
      for (const s of sockets) s.close();
      await nodes.close();
    }
  });
});

describe("PostgreSQL dropping the connections", () => {
  it("answers the first request after a dropped connection 503 unavailable, never 500, and recovers", async () => {
    const node = await startServerBehindProxy();
    const { server, proxy, database } = node;
    try {
      const api = rest(server.url, server.token("dropped"));
      const conversationId = await newConversation(server, "dropped");
      // Several connections open in the pool.
      const warm = () => Promise.all([1, 2, 3, 4, 5].map(() => api.get("/api/v1/conversations")));
      const requests = () => [
        () => api.get("/api/v1/me"),
        () => api.get("/api/v1/conversations"),
        () => api.get(`/api/v1/conversations/${conversationId}`),
        () => api.post("/api/v1/conversations", { agentId: DEMO_AGENT_ID }),
        () => api.get("/api/v1/stats"),
      ];
      const statusesOf = async () => {
        const statuses: number[] = [];
        for (const send of requests()) statuses.push((await send()).status);
        return statuses;
      };
      await warm();
      // Every open connection is closed under the pool (a restart, a failover); new ones are let in.
      proxy.cut();
      proxy.restore();
      const statuses = await statusesOf();
      expect(statuses).to.not.include(500);
      expect(statuses.every((s) => s === 200 || s === 201 || s === 503)).to.equal(true);
      expect((await api.get("/api/v1/conversations")).status).to.equal(200);

      // PostgreSQL itself terminating the server's connections.
      await warm();
      await queryDatabase(
        database,
        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()",
        [database.name],
      );
      const after = await statusesOf();
      expect(after).to.not.include(500);
      expect((await api.get("/api/v1/conversations")).status).to.equal(200);
    } finally {
      await node.close();
    }
  });
});

describe("a Redis outage", () => {
  it("answers stop and admin stats on a node that does not write the answer at once, and logs the outage once, not per delta", async () => {
    const redis = await PrivateRedis.start();
    const database = await createTestDatabase();
    const model = new FakeChatModel({ chunks: Array.from({ length: 30 }, (_, i) => `d${i} `) });
    const logs = captureLogs("info");
    const env = { REDIS_URL: redis.url, REDIS_KEY_PREFIX: "outage", STREAM_FLUSH_MS: "0" };
    const writer = await startTestServer({ database, env, chatModels: { demo: model }, logger: logs.logger });
    const other = await startTestServer({ database, env });
    const sockets: ChatClient[] = [];
    try {
      const admin = rest(other.url, other.token("ops", { role: "admin" }));
      const conversationId = await newConversation(writer, "rosa");
      const here = await connect(writer.url, writer.token("rosa"));
      const there = await connect(other.url, other.token("rosa"));
      sockets.push(here, there);
      await call(there, "conversation:join", { conversationId });
      const done = observeAnswer(here, conversationId);
      model.hold(3);
      const paused = model.paused();
      await call(here, "message:send", { conversationId, content: "count" });
      await paused;

      await redis.kill();
      // Everything below is answered while Redis is still down.
      const viaRest = await rest(other.url, other.token("rosa")).post<ErrorBody>(
        `/api/v1/conversations/${conversationId}/stop`,
      );
      expect(viaRest.status).to.equal(503);
      expect(viaRest.body.error.code).to.equal("unavailable");
      const viaSocket = await request(there, "generation:stop", { conversationId });
      expect(viaSocket.ok === false && viaSocket.error.code).to.equal("unavailable");
      const stats = await admin.get<{
        partial: boolean;
        connectedSockets: number;
      }>("/api/v1/admin/stats");
      expect(stats.status).to.equal(200);
      expect(stats.body.partial).to.equal(true);
      expect(stats.body.connectedSockets).to.equal(1);
      // Nothing is being written where nothing is streaming: that needs no other node.
      const quiet = await newConversation(other, "rosa");
      expect(
        (await rest(other.url, other.token("rosa")).post(`/api/v1/conversations/${quiet}/stop`)).body,
      ).to.deep.equal({ stopped: false });

      model.release();
      const answer = await done;
      expect(answer.end.message.status).to.equal("complete");
      expect(answer.deltas).to.have.length(30);
      // Nothing goes to Redis per delta any more; the leases' renewals log the outage once.
      const warnings = logs.lines().filter((l) => /answer leases|generation state/.test(l));
      expect(warnings.length).to.be.within(0, 1);

      await redis.restart();
      await waitUntilReady([writer.url, other.url]);
      // ioredis is ready a round trip before the adapter's channels are subscribed again: the other
      // node counts the writer's socket once the writer answers its requests through Redis again.
      await waitFor(
        "the nodes to answer each other's requests through Redis again",
        () => admin.get<{ partial: boolean; connectedSockets: number }>("/api/v1/admin/stats"),
        (stats) => stats.status === 200 && !stats.body.partial && stats.body.connectedSockets === 2,
        { everyMs: 100 },
      );
      model.hold(2);
      const pausedAgain = model.paused();
      const stopped = observeAnswer(here, conversationId);
      await call(here, "message:send", { conversationId, content: "again" });
      await pausedAgain;
      expect(await call(there, "generation:stop", { conversationId })).to.deep.equal({ stopped: true });
      expect((await stopped).end.message.status).to.equal("cancelled");
    } finally {
      model.release();
      for (const s of sockets) s.close();
      await writer.close();
      await other.close();
      await redis.kill();
      await database.drop();
    }
  });
});
