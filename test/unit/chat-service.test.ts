import { expect } from "chai";
import type { OtherNodesOfChat, TurnStart } from "../../src/chat/chat-service.js";
import type { MessageResource } from "../../src/protocol/index.js";
import { chatOnFakes, LEASE_MS, refusal } from "./fakes/chat-parts.js";
import { principal } from "./fakes/records.js";

const ana = principal("ana");

/** Another node, as the adapter reaches it: it writes the answers named in `writing`. */
class OtherNode implements OtherNodesOfChat {
  readonly stops: { conversationId: string; settle: boolean }[] = [];
  constructor(private readonly writing: Map<string, string>) {}

  stop(conversationId: string, settle: boolean): Promise<boolean> {
    this.stops.push({ conversationId, settle });
    return Promise.resolve(this.writing.has(conversationId));
  }

  snapshot(conversationId: string) {
    const content = this.writing.get(conversationId);
    return Promise.resolve(
      content === undefined ? null : { messageId: "theirs", seq: 1, content, parts: [] },
    );
  }
}

/** The stored answer of a turn that started one. */
async function ended(turn: TurnStart): Promise<MessageResource> {
  const answer = await turn.answer;
  if (!answer) throw new Error("the turn started no answer");
  return answer;
}

describe("a turn, as the transports see it", () => {
  let parts: ReturnType<typeof chatOnFakes>;
  beforeEach(() => (parts = chatOnFakes()));
  afterEach(() => parts.close());

  it("lets the sender in before anything is told, then tells the question, the answer's start, its deltas and its end", async () => {
    const conversation = parts.store.conversation("ana");
    let toldBeforeAllowed = -1;
    const turn = await parts.chat.send(
      ana,
      { conversationId: conversation.id, content: "hello" },
      { onAllowed: () => void (toldBeforeAllowed = parts.notifier.notices.length) },
    );
    const answer = await ended(turn);
    expect(toldBeforeAllowed).to.equal(0);
    expect(answer).to.include({ status: "complete", content: "Hello there", id: turn.assistantMessageId });
    expect(parts.notifier.kinds({ deltas: true })).to.deep.equal([
      "messageCreated",
      "assistantStart",
      "conversationUpdated",
      "activity",
      "assistantDelta",
      "assistantDelta",
      "assistantDone",
      "conversationUpdated",
      "activity",
    ]);
    expect(parts.notifier.of("assistantDelta").map((n) => [n.event.seq, n.event.delta])).to.deep.equal([
      [1, "Hello"],
      [2, " there"],
    ]);
    expect(parts.store.message(answer.id)).to.include({ status: "complete", content: "Hello there" });
  });

  it("stores a stopped answer as cancelled with the text written so far, and finds nothing more to stop", async () => {
    const conversation = parts.store.conversation("ana");
    const paused = parts.model.pauseAfter(1);
    const turn = await parts.chat.send(ana, { conversationId: conversation.id, content: "tell me" });
    await paused;
    expect(await parts.chat.stop(ana, conversation.id)).to.equal(true);
    expect(await parts.chat.stop(ana, conversation.id)).to.equal(false);
    const answer = await ended(turn);
    expect(answer).to.include({ status: "cancelled", content: "Hello", finishReason: "cancelled" });
    expect(parts.store.message(answer.id)).to.include({ status: "cancelled", content: "Hello" });
    expect(parts.notifier.of("assistantDone").map((n) => n.message.status)).to.deep.equal(["cancelled"]);
    expect(await parts.chat.stop(ana, conversation.id)).to.equal(false);
  });

  it("refuses a viewer's send and stop, telling nobody and asking no model", async () => {
    const conversation = parts.store.conversation("ana");
    parts.store.member(conversation.id, "vic", "viewer");
    const vic = principal("vic");
    expect(await refusal(parts.chat.send(vic, { conversationId: conversation.id, content: "hi" }))).to.equal(
      "forbidden",
    );
    expect(await refusal(parts.chat.stop(vic, conversation.id))).to.equal("forbidden");
    expect(parts.notifier.notices).to.deep.equal([]);
    expect(parts.model.requests).to.deep.equal([]);
  });

  it("answers a repeated send with the first turn's answer, asking the model once", async () => {
    const conversation = parts.store.conversation("ana");
    const input = { conversationId: conversation.id, content: "once", clientMessageId: "tab:1" };
    const first = await parts.chat.send(ana, input);
    const stored = await first.answer;
    const again = await parts.chat.send(ana, input);
    expect(again).to.include({ duplicate: true, assistantMessageId: first.assistantMessageId });
    expect(again.message.id).to.equal(first.message.id);
    expect(await again.answer).to.deep.equal(stored);
    expect(parts.model.requests).to.have.length(1);
    expect(parts.store.messagesOf(conversation.id)).to.have.length(2);
  });

  it("refuses a turn over the token budget before any model is asked", async () => {
    const agent = parts.store.agent({ maxConversationTokens: 100 });
    const conversation = parts.store.conversation("ana", { totalTokensUsed: 100 }, agent);
    const code = await refusal(parts.chat.send(ana, { conversationId: conversation.id, content: "more" }));
    expect(code).to.equal("token_limit_reached");
    expect(parts.model.requests).to.deep.equal([]);
    expect(parts.notifier.notices).to.deep.equal([]);
  });

  it("ends a turn that asks no answer at once, telling the room of the message only", async () => {
    const conversation = parts.store.conversation("ana", { assistantMode: "manual" });
    const turn = await parts.chat.send(ana, { conversationId: conversation.id, content: "among us" });
    expect(turn.assistantMessageId).to.equal(null);
    expect(await turn.answer).to.equal(null);
    expect(parts.notifier.kinds()).to.deep.equal(["messageCreated", "conversationUpdated"]);
    expect(parts.model.requests).to.deep.equal([]);
  });

  it("tells the room once of a dead node's answer that a send found", async () => {
    const { store } = parts;
    const { conversation, answer: orphan } = store.seedTurn("ana", {
      status: "streaming",
      content: "cut sh",
    });
    store.now += LEASE_MS + 1;
    const turn = await parts.chat.send(ana, { conversationId: conversation.id, content: "again" });
    await turn.answer;
    await parts.chat
      .send(ana, { conversationId: conversation.id, content: "and again" })
      .then((t) => t.answer);
    const errors = parts.notifier.of("assistantError");
    expect(errors.map((n) => [n.message.id, n.message.content, n.error.code])).to.deep.equal([
      [orphan.id, "cut sh", "interrupted"],
    ]);
  });

  it("refuses turns once shutdown begins, and stores an answer still running after the grace as interrupted", async () => {
    const conversation = parts.store.conversation("ana");
    const paused = parts.model.pauseAfter(1);
    const turn = await parts.chat.send(ana, { conversationId: conversation.id, content: "long one" });
    await paused;
    await parts.chat.shutdown(10);
    const answer = await ended(turn);
    expect(answer).to.include({ status: "interrupted", content: "Hello" });
    expect(parts.notifier.of("assistantError").map((n) => n.error.code)).to.deep.equal(["interrupted"]);
    const other = parts.store.conversation("ana");
    expect(await refusal(parts.chat.send(ana, { conversationId: other.id, content: "late" }))).to.equal(
      "unavailable",
    );
  });

  it("gives a joining tab the text its answer's deltas cover", async () => {
    const conversation = parts.store.conversation("ana");
    const paused = parts.model.pauseAfter(1);
    const turn = await parts.chat.send(ana, { conversationId: conversation.id, content: "go" });
    await paused;
    expect(await parts.chat.snapshot(conversation.id, true)).to.deep.equal({
      messageId: turn.assistantMessageId,
      seq: 1,
      content: "Hello",
      parts: [{ type: "text", text: "Hello" }],
    });
    parts.model.release();
    await turn.answer;
    expect(await parts.chat.snapshot(conversation.id, false)).to.equal(null);
  });

  it("reaches the node that writes an answer to stop it or to read it, and no node when none is written", async () => {
    parts.close();
    const theirs = new Map([["elsewhere", "Half"]]);
    const otherNode = new OtherNode(theirs);
    parts = chatOnFakes({ otherNodes: otherNode });
    const { store } = parts;
    const conversation = store.conversation("ana");
    expect(await parts.chat.stopAnywhere(conversation.id)).to.equal(false);
    expect(otherNode.stops).to.deep.equal([]);

    theirs.set(conversation.id, "Half");
    store.seed({ conversationId: conversation.id, seq: 1, role: "assistant", status: "streaming" });
    expect(await parts.chat.stopAnywhere(conversation.id, { settle: true })).to.equal(true);
    expect(otherNode.stops).to.deep.equal([{ conversationId: conversation.id, settle: true }]);
    expect(await parts.chat.snapshot(conversation.id, true)).to.deep.equal({
      messageId: "theirs",
      seq: 1,
      content: "Half",
      parts: [],
    });
  });
});
