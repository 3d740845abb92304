import { expect } from "chai";
import type { TurnContext } from "../../src/chat/answer-writer.js";
import { AppError } from "../../src/errors.js";
import { chatOnFakes } from "./fakes/chat-parts.js";
import { principal } from "./fakes/records.js";

describe("an answer's end, stored and told", () => {
  let parts: ReturnType<typeof chatOnFakes>;
  beforeEach(() => (parts = chatOnFakes()));
  afterEach(() => parts.close());

  /** A turn started in a new conversation of Ana's, its answer not written yet. */
  async function turn(): Promise<TurnContext> {
    const conversation = parts.store.conversation("ana");
    const beginning = await parts.starter.begin(principal("ana"), {
      kind: "send",
      input: { conversationId: conversation.id, content: "What is up?" },
    });
    if (beginning.kind !== "started") throw new Error("the turn started no answer");
    return beginning.turn;
  }

  function write(ctx: TurnContext, saving: AppError[] = []) {
    return parts.writer.run(ctx, (err) => saving.push(err));
  }

  it("stores a finished answer complete with the vendor's usage, charges the conversation and tells the room once", async () => {
    const ctx = await turn();
    parts.model.script = { chunks: ["All", " fine"], usage: { inputTokens: 30, outputTokens: 4 } };
    const answer = await write(ctx);
    expect(answer).to.include({
      status: "complete",
      content: "All fine",
      totalTokens: 34,
      finishReason: "stop",
    });
    expect(parts.model.requests.at(-1)?.messages.at(-1)).to.deep.equal({
      role: "user",
      content: "What is up?",
    });
    expect(parts.store.message(answer.id)).to.include({ status: "complete", content: "All fine" });
    expect(parts.store.conversationRows.get(ctx.conversation.id)?.totalTokensUsed).to.equal(34);
    expect(parts.notifier.of("assistantDone").map((n) => n.message.id)).to.deep.equal([answer.id]);
    expect(parts.notifier.of("activity").map((n) => n.event.type)).to.deep.equal(["generation.finished"]);
    expect(parts.leases.released.map((a) => a.messageId)).to.deep.equal([answer.id]);
  });

  it("stores an answer the vendor broke off as an error, keeping the text it sent", async () => {
    const ctx = await turn();
    parts.model.script = { chunks: ["Half"], failWith: new Error("connection reset") };
    const answer = await write(ctx);
    expect(answer).to.include({ status: "error", content: "Half" });
    expect(answer.error?.code).to.equal("provider_error");
    expect(parts.notifier.of("assistantError").map((n) => n.error.code)).to.deep.equal(["provider_error"]);
    expect(parts.notifier.of("assistantDone")).to.deep.equal([]);
  });

  it("stores an answer whose stream ended without a finish as an error", async () => {
    const ctx = await turn();
    parts.model.script = { chunks: ["Cut"], cutOff: true };
    const answer = await write(ctx);
    expect(answer).to.include({ status: "error", content: "Cut" });
    expect(answer.error?.code).to.equal("provider_error");
  });

  it("stores an answer stopped by a person as cancelled, and one stopped by shutdown as interrupted", async () => {
    for (const [stop, status] of [
      [(conversationId: string) => parts.answers.get(conversationId)?.stop(), "cancelled"],
      [() => parts.answers.stopAll(), "interrupted"],
    ] as const) {
      const ctx = await turn();
      parts.model.script = { chunks: ["So far", " and more"] };
      const paused = parts.model.pauseAfter(1);
      const writing = write(ctx);
      await paused;
      stop(ctx.conversation.id);
      expect(await writing).to.include({ status, content: "So far" });
      expect(parts.store.message(ctx.assistant.id)).to.include({ status, content: "So far" });
    }
  });

  it("keeps an answer that ends while the database is away, says it is saving once, and stores it when it answers", async () => {
    const ctx = await turn();
    const away = new AppError("unavailable", "the database is unavailable");
    parts.store.finishFailures.push(away, away);
    const saving: AppError[] = [];
    const answer = await write(ctx, saving);
    expect(answer).to.include({ status: "complete", content: "Hello there" });
    expect(saving.map((e) => e.code)).to.deep.equal(["unavailable"]);
    expect(parts.notifier.kinds().slice(-4)).to.deep.equal([
      "assistantSaving",
      "assistantDone",
      "conversationUpdated",
      "activity",
    ]);
  });

  it("stores again, without a word to the room, an answer whose statement lost a deadlock", async () => {
    const ctx = await turn();
    parts.store.finishFailures.push(
      Object.assign(new Error("deadlock detected"), { parent: { code: "40P01" } }),
    );
    const answer = await write(ctx);
    expect(answer.status).to.equal("complete");
    expect(parts.notifier.of("assistantSaving")).to.deep.equal([]);
  });

  it("leaves to another node the word on an answer it recovered meanwhile", async () => {
    const ctx = await turn();
    const paused = parts.model.pauseAfter(1);
    const writing = write(ctx);
    await paused;
    await parts.store.messages.markInterrupted([ctx.assistant.id], { code: "interrupted", message: "taken" });
    parts.model.release();
    const answer = await writing;
    expect(answer).to.include({ id: ctx.assistant.id, status: "interrupted" });
    expect(parts.notifier.of("assistantDone")).to.deep.equal([]);
    expect(parts.notifier.of("assistantError")).to.deep.equal([]);
  });
});
