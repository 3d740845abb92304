import { expect } from "chai";
import { Answer } from "../../src/chat/answer.js";
import { LocalAnswers } from "../../src/chat/local-answers.js";
import { AppError } from "../../src/errors.js";
import { createLogger } from "../../src/observability/logger.js";
import { FakeChatStore } from "./fakes/chat-store.js";
import { eventually } from "./fakes/chat-parts.js";
import { MemoryLeases } from "./fakes/leases.js";

describe("the answers a node writes", () => {
  let store: FakeChatStore;
  let leases: MemoryLeases;
  let answers: LocalAnswers;

  function localAnswers(intervalMs: number): LocalAnswers {
    return new LocalAnswers({ messages: store.messages, leases, intervalMs, logger: createLogger("silent") });
  }

  /** An answer being written, stored as streaming, holding `text`. */
  function writing(text: string): Answer {
    const conversation = store.conversation("ana");
    const row = store.seed({
      conversationId: conversation.id,
      seq: 1,
      role: "assistant",
      status: "streaming",
    });
    const answer = new Answer({
      conversationId: conversation.id,
      messageId: row.id,
      flushMs: 1000,
      emit: () => undefined,
    });
    answer.append(text);
    answers.add(answer);
    return answer;
  }

  beforeEach(() => {
    store = new FakeChatStore();
    leases = new MemoryLeases();
  });
  afterEach(() => answers.close());

  it("saves the text of every answer being written in one call a checkpoint, leaving out those that ended", async () => {
    answers = localAnswers(5);
    const one = writing("one");
    const two = writing("two");
    const ended = writing("ended");
    ended.end();
    await eventually(() => store.checkpointCalls.length > 0, "a checkpoint");
    expect(store.checkpointCalls[0]).to.deep.equal([
      { id: one.messageId, content: "one", parts: [{ type: "text", text: "one" }], seq: 1 },
      { id: two.messageId, content: "two", parts: [{ type: "text", text: "two" }], seq: 1 },
    ]);
    expect(store.message(two.messageId)?.content).to.equal("two");
  });

  it("stops an answer that another node already stored as interrupted, and only that one", async () => {
    answers = localAnswers(5);
    const mine = writing("mine");
    const recovered = writing("taken");
    const row = store.message(recovered.messageId)!;
    store.messageRows.set(row.id, { ...row, status: "interrupted" });
    await eventually(() => store.checkpointCalls.length > 0, "a checkpoint");
    expect(recovered.stopped).to.equal(true);
    expect(mine.stopped).to.equal(false);
  });

  it("keeps writing while checkpoints fail, and checkpoints again once the database answers", async () => {
    answers = localAnswers(5);
    store.checkpointFailures.push(new AppError("unavailable", "the database is unavailable"));
    const answer = writing("still here");
    await eventually(() => store.checkpointCalls.length > 1, "a second checkpoint");
    expect(answer.stopped).to.equal(false);
    expect(store.message(answer.messageId)?.content).to.equal("still here");
  });

  it("renews the lease of every answer it holds, ended ones still to be stored too, in one call", async () => {
    answers = localAnswers(5);
    const one = writing("one");
    const ended = writing("ended");
    ended.end();
    await eventually(() => leases.renewals.length > 0, "a renewal");
    expect(leases.renewals[0]!.map((a) => a.messageId)).to.deep.equal([one.messageId, ended.messageId]);
  });

  it("stops at once an answer that starts after shutdown stopped the others", () => {
    answers = localAnswers(3_600_000);
    const before = writing("before");
    answers.stopAll();
    const after = writing("after");
    expect([before.stopReason, after.stopReason]).to.deep.equal(["shutdown", "shutdown"]);
  });

  it("forgets an answer only while it is still its conversation's", () => {
    answers = localAnswers(3_600_000);
    const old = writing("old");
    const next = new Answer({
      conversationId: old.conversationId,
      messageId: "next",
      flushMs: 0,
      emit: () => undefined,
    });
    answers.add(next);
    answers.remove(old);
    expect(answers.get(old.conversationId)).to.equal(next);
    answers.remove(next);
    expect(answers.get(old.conversationId)).to.equal(undefined);
  });
});
