import { expect } from "chai";
import { chatOnFakes, eventually, LEASE_MS } from "./fakes/chat-parts.js";
import { principal } from "./fakes/records.js";

describe("recovering a dead node's answers", () => {
  let parts: ReturnType<typeof chatOnFakes>;
  beforeEach(() => (parts = chatOnFakes()));
  afterEach(() => parts.close());

  /** An answer left streaming with `content` as its last checkpoint, `ageMs` ago. */
  function orphan(content: string, ageMs = LEASE_MS + 1000) {
    const { store } = parts;
    const { answer: row } = store.seedTurn("ana", {
      status: "streaming",
      content,
      modelUsed: "demo-1",
      llmProvider: "demo",
    });
    store.messageRows.set(row.id, { ...row, updatedAt: new Date(store.now - ageMs) });
    return row;
  }

  it("stores it as interrupted with its checkpointed text, and tells its room and the operators once", async () => {
    const row = orphan("half an answ");
    expect(await parts.recovery.sweep()).to.equal(1);
    expect(parts.store.message(row.id)).to.include({ status: "interrupted", content: "half an answ" });
    await eventually(() => parts.notifier.of("activity").length > 0, "the operators' feed");
    expect(await parts.recovery.sweep()).to.equal(0);
    const errors = parts.notifier.of("assistantError");
    expect(errors.map((n) => [n.message.id, n.message.status, n.error.code])).to.deep.equal([
      [row.id, "interrupted", "interrupted"],
    ]);
    expect(parts.notifier.of("activity").map((n) => n.event.type)).to.deep.equal(["generation.failed"]);
    expect(parts.leases.released.map((a) => a.messageId)).to.deep.equal([row.id]);
  });

  it("leaves an answer whose lease has not run out", async () => {
    const row = orphan("fresh", LEASE_MS - 1000);
    expect(await parts.recovery.sweep()).to.equal(0);
    expect(parts.store.message(row.id)?.status).to.equal("streaming");
  });

  it("never takes an answer this node writes, however old its checkpoint", async () => {
    const { store, model } = parts;
    const conversation = store.conversation("ana");
    const paused = model.pauseAfter(1);
    const turn = await parts.chat.send(principal("ana"), { conversationId: conversation.id, content: "hi" });
    await paused;
    store.now += 10 * LEASE_MS;
    expect(await parts.recovery.sweep()).to.equal(0);
    model.release();
    expect((await turn.answer)?.status).to.equal("complete");
  });

  it("leaves an answer whose writer still renews its lease in the shared store", async () => {
    const row = orphan("alive elsewhere");
    parts.leases.held.add(row.id);
    expect(await parts.recovery.sweep()).to.equal(0);
    expect(parts.store.message(row.id)?.status).to.equal("streaming");
  });

  it("goes by the checkpoints alone when the shared store cannot be read", async () => {
    const row = orphan("nobody knows");
    parts.leases.held.add(row.id);
    parts.leases.unreadable = true;
    expect(await parts.recovery.sweep()).to.equal(1);
    expect(parts.store.message(row.id)?.status).to.equal("interrupted");
  });
});
