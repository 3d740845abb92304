// Covers: src/chat/ (recovery.ts, answer-leases.ts, local-answers.ts checkpoints, shutdown), src/main.ts
// (signals), src/realtime/ (presence-store.ts: the users of a dead node go offline; node-bus.ts and
// other-nodes.ts: a frozen node costs a join or a stop on another node at most the bound).
import { randomBytes } from "node:crypto";
import { createServer, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { expect } from "chai";
import { TokenSigner } from "../../src/auth/token-signer.js";
import type { MessageResource } from "../../src/conversations/resources.js";
import type { AssistantDeltaEvent, ToolPart } from "../../src/protocol/index.js";
import { call, nextEvent, request, seenText, Tabs, type ChatClient } from "../support/clients.js";
import { REDIS_URL } from "../support/cluster.js";
import { createConversation } from "../support/conversations.js";
import { createTestDatabase, storedMessage, type TestDatabase } from "../support/database.js";
import { rest } from "../support/rest.js";
import { startServerProcess, type ServerProcess } from "../support/server-process.js";
import { waitFor } from "../support/waiting.js";

const JWT_SECRET = "e2e-secret-that-is-long-enough-for-hs256!!";
const signer = new TokenSigner(JWT_SECRET, "HS256");

describe("nodes that die or are stopped mid-answer", () => {
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
      REDIS_KEY_PREFIX: `confab-e2e-${randomBytes(4).toString("hex")}`,
      JWT_SECRET,
      DATA_DIR: dataDir,
      DEMO_WORD_DELAY_MS: "60",
      GENERATION_LEASE_MS: "2000",
      RECOVERY_INTERVAL_MS: "500",
    };
  });
  let receiver: Server | undefined;
  afterEach(async () => {
    receiver?.closeAllConnections();
    receiver?.close();
    receiver = undefined;
    openTabs.closeAll();
    for (const p of processes.splice(0)) await p.stop("SIGKILL");
    await database.drop();
    await rm(dataDir, { recursive: true, force: true });
  });

  async function node(extra: Record<string, string> = {}): Promise<ServerProcess> {
    const p = await startServerProcess({ ...env, ...extra });
    processes.push(p);
    return p;
  }
  const tab = (p: ServerProcess): Promise<ChatClient> =>
    openTabs.connect(p.url, signer.mint({ sub: "dana" }));
  const conversationOn = async (p: ServerProcess): Promise<string> =>
    (await createConversation(rest(p.url, signer.mint({ sub: "dana" })), { title: "Mid-answer" })).id;
  /** Waits until the answer's text has been checkpointed: stored while it is still being written. */
  const checkpointed = (messageId: string) =>
    waitFor(
      "a checkpoint of the answer",
      () => storedMessage(database, messageId),
      (stored) => stored.status === "streaming" && stored.content !== "",
      { everyMs: 100 },
    );

  it("marks the answer of a node killed with SIGKILL interrupted, with its checkpointed text, and tells the tabs on another node", async () => {
    const [writerNode, otherNode] = [await node(), await node()];
    const conversationId = await conversationOn(otherNode);
    const watcher = await tab(otherNode);
    await call(watcher, "conversation:join", { conversationId });
    const seen = seenText(watcher, 60);
    const failed = nextEvent(watcher, "assistant:error");

    const writer = await tab(writerNode);
    const sent = await call(writer, "message:send", { conversationId, content: "a long answer, please" });
    await seen.reached;
    await checkpointed(sent.assistantMessageId!);
    await writerNode.stop("SIGKILL");

    const event = await failed;
    expect(event.messageId).to.equal(sent.assistantMessageId!);
    expect(event.error.code).to.equal("interrupted");
    expect(event.message.status).to.equal("interrupted");
    expect(event.message.content).to.not.equal("");
    expect(seen.text().startsWith(event.message.content)).to.equal(true);
    const stored = await storedMessage(database, sent.assistantMessageId!);
    expect(stored).to.deep.equal({ status: "interrupted", content: event.message.content });

    // The conversation takes new turns again.
    const next = await call(watcher, "message:send", { conversationId, content: "still there?" });
    expect(next.message.seq).to.equal(3);
  });

  it("lets the next start of a lone node mark its own dead answer interrupted", async () => {
    const only = await node();
    const conversationId = await conversationOn(only);
    const socket = await tab(only);
    const seen = seenText(socket, 30);
    const sent = await call(socket, "message:send", { conversationId, content: "then crash" });
    await seen.reached;
    await checkpointed(sent.assistantMessageId!);
    await only.stop("SIGKILL");
    expect((await storedMessage(database, sent.assistantMessageId!)).status).to.equal("streaming");

    const restarted = await node();
    const api = rest(restarted.url, signer.mint({ sub: "dana" }));
    const answer = await waitFor(
      "the restarted node to store its dead answer",
      async () =>
        (
          await api.get<{ messages: MessageResource[] }>(`/api/v1/conversations/${conversationId}/messages`)
        ).body.messages.find((m) => m.id === sent.assistantMessageId!),
      (m) => m?.status !== "streaming",
      { timeoutMs: 20_000, everyMs: 200 },
    );
    expect(answer?.status).to.equal("interrupted");
    expect(answer?.error?.code).to.equal("interrupted");
    expect(seen.text().startsWith(answer!.content)).to.equal(true);
  });

  it("on SIGTERM, stores an answer that outlasts the grace period as interrupted with its text, and exits 0", async () => {
    const stopping = await node({ SHUTDOWN_GRACE_MS: "200" });
    const conversationId = await conversationOn(stopping);
    const socket = await tab(stopping);
    const seen = seenText(socket, 20);
    const ended = nextEvent(socket, "assistant:error");
    const sent = await call(socket, "message:send", { conversationId, content: "talk until I stop you" });
    await seen.reached;
    const exit = stopping.stop("SIGTERM");
    const event = await ended;
    expect(await exit).to.equal(0);
    expect(event.error.code).to.equal("interrupted");
    expect(event.message.content).to.equal(seen.text());
    expect(await storedMessage(database, sent.assistantMessageId!)).to.deep.equal({
      status: "interrupted",
      content: seen.text(),
    });
  });

  it("on SIGTERM, lets an answer finish within the grace period, then exits 0", async () => {
    const stopping = await node({ SHUTDOWN_GRACE_MS: "20000" });
    const conversationId = await conversationOn(stopping);
    const socket = await tab(stopping);
    const seen = seenText(socket, 20);
    const done = nextEvent(socket, "assistant:done");
    const sent = await call(socket, "message:send", { conversationId, content: "finish this one" });
    await seen.reached;
    const exit = stopping.stop("SIGTERM");
    const event = await done;
    expect(event.message.status).to.equal("complete");
    expect(await exit).to.equal(0);
    expect((await storedMessage(database, sent.assistantMessageId!)).status).to.equal("complete");
  });

  it("takes the users of a node killed with SIGKILL offline within the presence lifetime", async () => {
    // A short lifetime, so the test is quick; with the default (45 s, renewed every 15 s) the bound is a minute.
    const presence = { PRESENCE_TTL_MS: "3000" };
    const [doomed, survivor] = [await node(presence), await node(presence)];
    const conversationId = await conversationOn(survivor);
    await rest(survivor.url, signer.mint({ sub: "dana" })).post(
      `/api/v1/conversations/${conversationId}/members`,
      {
        userId: "emil",
        role: "participant",
      },
    );
    const dana = await tab(survivor);
    await call(dana, "conversation:join", { conversationId });
    const emil = await openTabs.connect(doomed.url, signer.mint({ sub: "emil", name: "Emil" }));
    const comes = nextEvent(dana, "presence:update", (e) => e.online.some((u) => u.userId === "emil"));
    await call(emil, "conversation:join", { conversationId });
    await comes;

    const goes = nextEvent(dana, "presence:update", (e) => !e.online.some((u) => u.userId === "emil"));
    await doomed.stop("SIGKILL");
    // Nobody tells the survivor: Emil's entries expire, and its renewal sweep notices.
    const update = await goes;
    expect(update.online.map((u) => u.userId)).to.deep.equal(["dana"]);
    const members = await rest(survivor.url, signer.mint({ sub: "dana" })).get<{
      members: { userId: string; online: boolean }[];
    }>(`/api/v1/conversations/${conversationId}/members`);
    expect(members.body.members.map((m) => [m.userId, m.online])).to.deep.equal([
      ["dana", true],
      ["emil", false],
    ]);
  });

  it("keeps an answer waiting for approval through its node's death: a decision on another node goes on with it", async () => {
    const [writerNode, otherNode] = [await node(), await node()];
    const conversationId = await conversationOn(otherNode);
    const watcher = await tab(otherNode);
    await call(watcher, "conversation:join", { conversationId });
    const asked = nextEvent(
      watcher,
      "assistant:part",
      (e) => e.part.type === "tool" && e.part.state === "approval-requested",
    );
    const writer = await tab(writerNode);
    await call(writer, "message:send", { conversationId, content: "open a ticket, the node will die" });
    const ask = await asked;
    await writerNode.stop("SIGKILL");

    const done = nextEvent(watcher, "assistant:done");
    const decided = await call(watcher, "tool:decide", {
      conversationId,
      messageId: ask.messageId,
      toolCallId: (ask.part as ToolPart).toolCallId,
      approved: true,
    });
    expect(decided.part.state).to.equal("approved");
    const { message } = await done;
    expect(message.status).to.equal("complete");
    expect(message.parts.find((p) => p.type === "tool")).to.include({ state: "output-available" });
  });

  it("ends a tool call running on a node that dies as an error, the answer interrupted", async () => {
    const hung: ServerResponse[] = [];
    const called = new Promise<void>((resolve) => {
      receiver = createServer((_req, res) => {
        hung.push(res);
        resolve();
      });
    });
    await new Promise<void>((resolve) => receiver!.listen(0, "127.0.0.1", resolve));
    const url = `http://127.0.0.1:${(receiver!.address() as AddressInfo).port}/tool`;
    const [writerNode, otherNode] = [await node(), await node()];
    // The demo model asks for current_time: an admin points that tool at a webhook that never answers.
    const admin = rest(otherNode.url, signer.mint({ sub: "root", role: "admin" }));
    const { body } = await admin.get<{ tools: { id: string; name: string }[] }>("/api/v1/admin/tools");
    const clock = body.tools.find((t) => t.name === "current_time")!;
    const patched = await admin.patch(`/api/v1/admin/tools/${clock.id}`, {
      execution: { type: "webhook", url },
    });
    expect(patched.status, JSON.stringify(patched.body)).to.equal(200);

    const conversationId = await conversationOn(otherNode);
    const watcher = await tab(otherNode);
    await call(watcher, "conversation:join", { conversationId });
    const failed = nextEvent(watcher, "assistant:error");
    const writer = await tab(writerNode);
    await call(writer, "message:send", { conversationId, content: "what time is it?" });
    await called;
    await writerNode.stop("SIGKILL");
    const { message } = await failed;
    expect(message.status).to.equal("interrupted");
    expect(message.parts.find((p) => p.type === "tool")).to.include({
      state: "output-error",
      error: "the answer was interrupted",
    });
    for (const res of hung) res.destroy();
  });

  describe("a frozen node (SIGSTOP), with sharded Redis delivery", () => {
    // Long leases: a frozen writer is not yet declared dead by the others' recovery.
    const sharded = { REDIS_ADAPTER: "sharded", GENERATION_LEASE_MS: "20000", DEMO_WORD_DELAY_MS: "40" };
    /** An answer of the demo agent under way on `writer`, its tab there having seen some of it. */
    async function answering(writer: ServerProcess) {
      const conversationId = await conversationOn(writer);
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
      const [writer, joiner, frozen] = [await node(sharded), await node(sharded), await node(sharded)];
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
      const [writer, joiner] = [await node(sharded), await node(sharded)];
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
});
