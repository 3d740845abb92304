// Covers: src/chat/ (the statements and Redis commands of one turn, batched checkpoints),
// src/db/ (an exhausted pool).
import { expect } from "chai";
import { Redis } from "ioredis";
import type { ConversationResource } from "../../src/protocol/index.js";
import { call, connect, observeAnswer, request } from "../support/clients.js";
import { createConversation, DEMO_AGENT_ID } from "../support/conversations.js";
import { FakeChatModel } from "../support/fake-chat-model.js";
import { PrivateRedis } from "../support/private-redis.js";
import { rest } from "../support/rest.js";
import { startTestServer } from "../support/test-server.js";

/** Commands Redis has processed so far, from its own statistics. */
async function redisCommands(url: string): Promise<number> {
  const client = new Redis(url);
  try {
    return Number(/total_commands_processed:(\d+)/.exec(await client.info("stats"))?.[1] ?? 0);
  } finally {
    await client.quit();
  }
}

const isCheckpoint = (sql: string) => /UPDATE messages m SET content[\s\S]*unnest/.test(sql);

describe("what a turn costs", () => {
  it("sends at most 8 SQL statements besides the batched checkpoints, and no more than 1.5 Redis commands per delta", async () => {
    const redis = await PrivateRedis.start();
    const chunks = Array.from({ length: 300 }, (_, i) => `c${i} `);
    const model = new FakeChatModel({ chunks, delayMs: 3 });
    const server = await startTestServer({
      chatModels: { demo: model },
      env: { REDIS_URL: redis.url, REDIS_KEY_PREFIX: "cost", STREAM_FLUSH_MS: "0", CHECKPOINT_MS: "200" },
    });
    try {
      const api = rest(server.url, server.token("thrifty"));
      const c = (await createConversation(api, { title: "t" })).id;
      const tab = await connect(server.url, server.token("thrifty"));
      await call(tab, "conversation:join", { conversationId: c });
      const first = observeAnswer(tab, c);
      await call(tab, "message:send", { conversationId: c, content: "warm up" });
      await first;

      const statements: string[] = [];
      server.confab.db.sequelize.addHook("afterQuery", "cost", (_options, query) => {
        const sql = (query as unknown as { sql?: unknown }).sql;
        statements.push(typeof sql === "string" ? sql : "");
      });
      const commandsBefore = await redisCommands(redis.url);
      const started = performance.now();
      const answer = observeAnswer(tab, c);
      await call(tab, "message:send", { conversationId: c, content: "how much?" });
      const observed = await answer;
      const seconds = (performance.now() - started) / 1000;
      const commands = (await redisCommands(redis.url)) - commandsBefore - 1; // the INFO itself
      server.confab.db.sequelize.removeHook("afterQuery", "cost");

      expect(observed.end.message.status).to.equal("complete");
      expect(observed.deltas).to.have.length(chunks.length);
      const perTurn = statements.filter((s) => !isCheckpoint(s));
      const checkpoints = statements.filter(isCheckpoint);
      expect(perTurn.length, perTurn.join("\n---\n")).to.be.at.most(8);
      // One batched checkpoint per interval (200 ms) at the most, whatever the number of deltas.
      expect(checkpoints.length).to.be.at.most(Math.ceil(seconds / 0.2) + 1);
      expect(commands / observed.deltas.length).to.be.at.most(1.5);
      tab.close();
    } finally {
      await server.close();
      await redis.kill();
    }
  });

  it("fails no answer when the pool is exhausted: answers wait for a connection, refused sends are unavailable", async () => {
    const model = new FakeChatModel({ chunks: Array.from({ length: 20 }, (_, i) => `p${i} `), delayMs: 5 });
    const server = await startTestServer({
      chatModels: { demo: model },
      env: { DATABASE_POOL_MAX: "2", CHECKPOINT_MS: "100" },
    });
    try {
      const users = Array.from({ length: 40 }, (_, i) => `crowd-${i}`);
      const conversations = await Promise.all(
        users.map(async (u) => {
          const res = await rest(server.url, server.token(u)).post<ConversationResource>(
            "/api/v1/conversations",
            {
              agentId: DEMO_AGENT_ID,
              title: "crowd",
            },
          );
          return res.body.id;
        }),
      );
      const tabs = await Promise.all(users.map((u) => connect(server.url, server.token(u))));
      const answers = tabs.map((t, i) => observeAnswer(t, conversations[i]!));
      const acks = await Promise.all(
        tabs.map((t, i) =>
          request(t, "message:send", { conversationId: conversations[i]!, content: "all at once" }),
        ),
      );
      const refused = acks.filter((a) => !a.ok);
      for (const r of refused) expect(r.ok === false && r.error.code).to.equal("unavailable");
      const ended = await Promise.all(answers.filter((_, i) => acks[i]!.ok));
      for (const e of ended) expect(e.end.message.status).to.equal("complete");
      expect(ended.length).to.be.greaterThan(20);
      for (const t of tabs) t.close();
    } finally {
      await server.close();
    }
  });
});
