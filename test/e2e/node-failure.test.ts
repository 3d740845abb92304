// Covers: src/chat/ (recovery.ts, answer-leases.ts, local-answers.ts checkpoints, shutdown), src/main.ts
// (signals), src/realtime/ (presence-store.ts: the users of a dead node go offline).
import { randomBytes } from "node:crypto";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { expect } from "chai";
import { TokenSigner } from "../../src/auth/token-signer.js";
import type { MessageResource } from "../../src/conversations/resources.js";
import { call, nextEvent, seenText, Tabs, type ChatClient } from "../support/clients.js";
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
  afterEach(async () => {
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
});
