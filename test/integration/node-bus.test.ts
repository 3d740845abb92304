// Covers: src/realtime/node-bus.ts (questions and notices between nodes, bounded), src/redis/redis-channels.ts
// (sharded and classic Pub/Sub on the adapter's connections, `settled`), src/redis/redis-connection.ts.
import { randomBytes } from "node:crypto";
import { expect } from "chai";
import { Redis } from "ioredis";
import { createLogger } from "../../src/observability/logger.js";
import { NodeBus } from "../../src/realtime/node-bus.js";
import { RedisChannels } from "../../src/redis/redis-channels.js";
import { connectRedis, type RedisConnection, type RedisMode } from "../../src/redis/redis-connection.js";
import { REDIS_URL } from "../support/cluster.js";
import { TcpProxy } from "../support/tcp-proxy.js";
import { waitUntil } from "../support/waiting.js";

const logger = createLogger("silent");

for (const mode of ["sharded", "classic"] as const satisfies readonly RedisMode[]) {
  describe(`questions between nodes (${mode} Pub/Sub)`, () => {
    const connections: RedisConnection[] = [];
    const raw: Redis[] = [];
    let prefix: string;

    beforeEach(() => {
      prefix = `bus-test-${randomBytes(4).toString("hex")}`;
    });
    afterEach(async () => {
      for (const c of connections.splice(0)) await c.close();
      for (const r of raw.splice(0)) r.disconnect();
    });

    /** A node's bus on connections of its own, answering snapshots with `snapshot`. */
    async function node(snapshot: string | null = null, timeoutMs = 2000) {
      const redis = await connectRedis(REDIS_URL, mode, logger);
      connections.push(redis);
      const channels = new RedisChannels(redis);
      const bus = new NodeBus({ channels, prefix, logger, timeoutMs });
      await bus.start();
      bus.answer("answer:snapshot", () =>
        snapshot === null ? null : { messageId: snapshot, seq: 1, content: snapshot, parts: [] },
      );
      bus.answer("sockets:count", () => 2);
      return { redis, channels, bus };
    }

    /** A node that got the question and never answers, as a frozen (SIGSTOPped) one. */
    async function frozenNode() {
      const sub = new Redis(REDIS_URL);
      raw.push(sub);
      if (mode === "sharded") await sub.ssubscribe(`${prefix}#nodes#`);
      else await sub.subscribe(`${prefix}#nodes#`);
    }

    it("gathers every other node's answer, and tells them without waiting", async () => {
      const asking = await node();
      await node();
      const third = await node();
      expect(await asking.bus.ask("sockets:count", {})).to.deep.equal({ answers: [2, 2], complete: true });

      const heard: string[] = [];
      third.bus.on("user:erased", ({ userId }) => heard.push(userId));
      await asking.bus.tell("user:erased", { userId: "gone" });
      await waitUntil("the notice to arrive", () => heard.length === 1);
      expect(heard).to.deep.equal(["gone"]);
    });

    it("settles with the writer's snapshot without waiting for a frozen node", async () => {
      const asking = await node(null, 60_000);
      await node("written here");
      await frozenNode();
      const { answers } = await asking.bus.ask(
        "answer:snapshot",
        { conversationId: "c" },
        { enough: (a) => a !== null },
      );
      expect(answers.map((a) => a?.content)).to.deep.equal(["written here"]);
    });

    it("gives up on a frozen node at its bound, with the answers that came, incomplete", async () => {
      const asking = await node(null, 1500);
      await node();
      await frozenNode();
      expect(await asking.bus.ask("sockets:count", {})).to.deep.equal({ answers: [2], complete: false });
    });

    it("asks only once a subscription asked for just before is in effect", async () => {
      const writer = await node();
      // The asking node's subscribing connection is slow (through a proxy that holds what it is sent
      // for a moment); its publishing connection is not.
      const proxy = await TcpProxy.start("127.0.0.1", Number(new URL(REDIS_URL).port || 6379));
      const pub = new Redis(REDIS_URL);
      const sub = new Redis(proxy.urlThrough(REDIS_URL));
      raw.push(pub, sub);
      const channels = new RedisChannels({ mode, pub, sub });
      const asking = new NodeBus({ channels, prefix, logger });
      await asking.start();
      // The writer publishes the room's next delta the moment it has answered.
      const room = `${prefix}#room#`;
      writer.bus.answer("answer:snapshot", () => {
        queueMicrotask(() => void writer.channels.publish(room, "next delta"));
        return { messageId: "m", seq: 1, content: "so far", parts: [] };
      });
      try {
        proxy.freeze();
        const received: string[] = [];
        // As a join does: the room's subscription is asked for, and not awaited.
        void channels.subscribe(room, (payload) => received.push(payload.toString()));
        const asked = asking.ask(
          "answer:snapshot",
          { conversationId: "c" },
          { enough: (a) => a !== null, afterSubscriptions: true },
        );
        setTimeout(() => proxy.thaw(), 100);
        expect((await asked).answers.map((a) => a?.content)).to.deep.equal(["so far"]);
        await waitUntil("the delta published after the snapshot", () => received.length > 0);
        expect(received).to.deep.equal(["next delta"]);
      } finally {
        await proxy.close();
      }
    });
  });
}
