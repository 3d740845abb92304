// Covers: src/realtime/node-bus.ts (questions between nodes, bounded), src/realtime/other-nodes.ts,
// src/realtime/sharded-adapter.ts and src/redis/redis-channels.ts (sharded Pub/Sub, a join's snapshot
// asked once the room's subscription is in effect).
import { randomBytes } from "node:crypto";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { expect } from "chai";
import { TokenSigner } from "../../src/auth/token-signer.js";
import type { AssistantDeltaEvent } from "../../src/protocol/index.js";
import { call, nextEvent, request, seenText, Tabs, type ChatClient } from "../support/clients.js";
import { REDIS_URL } from "../support/cluster.js";
import { createConversation } from "../support/conversations.js";
import { createTestDatabase, storedMessage, type TestDatabase } from "../support/database.js";
import { rest } from "../support/rest.js";
import { startServerProcess, type ServerProcess } from "../support/server-process.js";

const JWT_SECRET = "e2e-secret-that-is-long-enough-for-hs256!!";
const signer = new TokenSigner(JWT_SECRET, "HS256");

describe("a frozen node (SIGSTOP) among nodes sharing rooms through sharded Redis", () => {
  let database: TestDatabase;
  let dataDir: string;
  const processes: ServerProcess[] = [];
  const openTabs = new Tabs();
  let env: Record<string, string>;

  beforeEach(async () => {
    database = await createTestDatabase();
    dataDir = await mkdtemp(path.join(tmpdir(), "confab-e2e-"));
    env = {
      DATABASE_URL: database.url,
      REDIS_URL,
      REDIS_ADAPTER: "sharded",
      REDIS_KEY_PREFIX: `confab-e2e-${randomBytes(4).toString("hex")}`,
      JWT_SECRET,
      DATA_DIR: dataDir,
      DEMO_WORD_DELAY_MS: "40",
    };
  });
  afterEach(async () => {
    openTabs.closeAll();
    for (const p of processes.splice(0)) {
      p.child.kill("SIGCONT");
      await p.stop("SIGKILL");
    }
    await database.drop();
    await rm(dataDir, { recursive: true, force: true });
  });

  async function node(): Promise<ServerProcess> {
    const p = await startServerProcess(env);
    processes.push(p);
    return p;
  }
  const tab = (p: ServerProcess): Promise<ChatClient> =>
    openTabs.connect(p.url, signer.mint({ sub: "dana" }));
  /** An answer of the demo agent under way on `writer`, its tab there having seen some of it. */
  async function answering(writer: ServerProcess) {
    const conversationId = (
      await createConversation(rest(writer.url, signer.mint({ sub: "dana" })), { title: "Frozen" })
    ).id;
    const here = await tab(writer);
    await call(here, "conversation:join", { conversationId });
    const seen = seenText(here, 20);
    const done = nextEvent(here, "assistant:done");
    await call(here, "message:send", {
      conversationId,
      content: "Tell me about the lighthouse keeper and the long winter storm.",
    });
    await seen.reached;
    return { conversationId, done };
  }

  it("still gives a tab joining on another node the answer so far, and still stops it from there", async () => {
    const [writer, joiner, frozen] = [await node(), await node(), await node()];
    const { conversationId, done } = await answering(writer);
    frozen.child.kill("SIGSTOP");

    const there = await tab(joiner);
    const later: AssistantDeltaEvent[] = [];
    there.on("assistant:delta", (d) => later.push(d));
    const joined = await call(there, "conversation:join", { conversationId });
    // The writer answered; the frozen node, which holds nothing, was not waited for beyond the bound.
    const generation = joined.generation!;
    expect(generation.content).to.have.length.greaterThan(0);

    const stopped = await call(there, "generation:stop", { conversationId });
    expect(stopped).to.deep.equal({ stopped: true });
    const { message } = await done;
    expect(message.status).to.equal("cancelled");
    // What the joining tab holds, the snapshot then every later delta, is the stored answer exactly.
    const after = later.filter((d) => d.messageId === generation.messageId && d.seq > generation.seq);
    expect(generation.content + after.map((d) => d.delta).join("")).to.equal(
      (await storedMessage(database, generation.messageId)).content,
    );
  });

  it("answers a join `unavailable` while the node writing the answer is frozen, and the snapshot once it is back", async () => {
    const [writer, joiner] = [await node(), await node()];
    const { conversationId, done } = await answering(writer);
    writer.child.kill("SIGSTOP");
    const there = await tab(joiner);
    const refused = await request(there, "conversation:join", { conversationId });
    expect(refused.ok === false && refused.error.code).to.equal("unavailable");
    writer.child.kill("SIGCONT");
    const joined = await call(there, "conversation:join", { conversationId });
    expect(joined.generation?.content).to.have.length.greaterThan(0);
    expect((await done).message.status).to.equal("complete");
  });
});
