import { expect } from "chai";
import type { TurnBeginning } from "../../src/chat/turn-starter.js";
import { TurnStarter } from "../../src/chat/turn-starter.js";
import { ConversationPolicy } from "../../src/conversations/conversation-policy.js";
import type { Tx } from "../../src/db/records.js";
import { chatOnFakes, LEASE_MS, refusal } from "./fakes/chat-parts.js";
import { principal } from "./fakes/records.js";

const ana = principal("ana");

function started(beginning: TurnBeginning) {
  if (beginning.kind !== "started") throw new Error(`expected a started turn, got ${beginning.kind}`);
  return beginning;
}

describe("starting a turn", () => {
  let parts: ReturnType<typeof chatOnFakes>;
  afterEach(() => parts.close());

  /** A conversation of Ana's with one ended turn (question, answer) on its path. */
  function conversationWithOneTurn(overrides: Parameters<typeof parts.store.conversation>[1] = {}) {
    return parts.store.seedTurn(
      "ana",
      { status: "complete", content: "an answer", contentTokens: 2 },
      overrides,
    );
  }

  beforeEach(() => (parts = chatOnFakes()));

  it("stores the question after the head and an empty streaming answer after it, and moves the head to the answer", async () => {
    const { conversation, answer: head } = conversationWithOneTurn();
    parts.store.member(conversation.id, "ana", "owner", "Ana");
    const { turn } = started(
      await parts.starter.begin(ana, {
        kind: "send",
        input: { conversationId: conversation.id, content: "next?" },
      }),
    );
    expect(turn.newQuestion).to.include({
      seq: 3,
      parentId: head.id,
      content: "next?",
      authorId: "ana",
      authorName: "Ana",
    });
    expect(turn.assistant).to.include({
      seq: 4,
      parentId: turn.newQuestion!.id,
      status: "streaming",
      content: "",
    });
    expect(parts.store.conversationRows.get(conversation.id)).to.include({
      headId: turn.assistant.id,
      totalMessages: 4,
    });
  });

  it("refuses a second answer while one is written, storing nothing", async () => {
    const { conversation } = conversationWithOneTurn();
    const send = { conversationId: conversation.id, content: "first" };
    await parts.starter.begin(ana, { kind: "send", input: send });
    const stored = parts.store.messagesOf(conversation.id).length;
    const code = await refusal(
      parts.starter.begin(ana, { kind: "send", input: { ...send, content: "second" } }),
    );
    expect(code).to.equal("generation_in_progress");
    expect(parts.store.messagesOf(conversation.id)).to.have.length(stored);
  });

  it("stores a dead node's answer as interrupted and goes on with the turn", async () => {
    const { conversation, answer } = conversationWithOneTurn();
    const { store } = parts;
    const question = store.seed({
      conversationId: conversation.id,
      seq: 3,
      role: "user",
      status: "complete",
    });
    const orphan = store.seed({
      conversationId: conversation.id,
      seq: 4,
      role: "assistant",
      status: "streaming",
      parentId: question.id,
      content: "half an ans",
    });
    store.now += LEASE_MS + 1000;
    const beginning = started(
      await parts.starter.begin(ana, {
        kind: "regenerate",
        conversationId: conversation.id,
        messageId: answer.id,
      }),
    );
    expect(beginning.interrupted.map((m) => m.id)).to.deep.equal([orphan.id]);
    expect(store.message(orphan.id)).to.include({ status: "interrupted", content: "half an ans" });
    expect(beginning.turn.assistant.status).to.equal("streaming");
  });

  it("answers a repeated clientMessageId with the first message, and stores it once", async () => {
    const { conversation } = conversationWithOneTurn();
    const input = { conversationId: conversation.id, content: "once", clientMessageId: "tab-1:7" };
    const first = started(await parts.starter.begin(ana, { kind: "send", input }));
    const stored = parts.store.messagesOf(conversation.id).length;
    const again = await parts.starter.begin(ana, { kind: "send", input });
    expect(again.kind).to.equal("repeat");
    expect(again.kind === "repeat" && again.first.id).to.equal(first.turn.newQuestion!.id);
    expect(parts.store.messagesOf(conversation.id)).to.have.length(stored);
  });

  it("answers as a repeat when another node stored the same clientMessageId while this send was under way", async () => {
    const { store } = parts;
    const { conversation, answer } = conversationWithOneTurn();
    const theirs = store.seed({
      conversationId: conversation.id,
      seq: 3,
      role: "user",
      status: "complete",
      parentId: answer.id,
      clientMessageId: "tab-1:8",
    });
    // This send's read ran before the other node committed: only the unique index sees the repeat.
    const starter = new TurnStarter({
      repositories: {
        conversations: {
          lock: store.conversations.lock,
          turnContext: async (...args) => ({
            ...(await store.conversations.turnContext(...args)),
            duplicateId: null,
          }),
        },
        messages: store.messages,
        transaction: <T>(work: (tx: Tx) => Promise<T>) => store.transaction(work),
      },
      policy: new ConversationPolicy({ conversations: store.conversations }),
      recovery: parts.recovery,
      leaseMs: LEASE_MS,
    });
    const beginning = await starter.begin(ana, {
      kind: "send",
      input: { conversationId: conversation.id, content: "once", clientMessageId: "tab-1:8" },
    });
    expect(beginning.kind === "repeat" && beginning.first.id).to.equal(theirs.id);
    expect(store.messagesOf(conversation.id)).to.have.length(3);
  });

  it("refuses a viewer (forbidden) and a stranger (not found) before anything is stored or allowed", async () => {
    const { conversation } = conversationWithOneTurn();
    parts.store.member(conversation.id, "vic", "viewer");
    const input = { conversationId: conversation.id, content: "may I?" };
    let allowed = 0;
    const onAllowed = () => void (allowed += 1);
    expect(await refusal(parts.starter.begin(principal("vic"), { kind: "send", input }, onAllowed))).to.equal(
      "forbidden",
    );
    expect(await refusal(parts.starter.begin(principal("sam"), { kind: "send", input }, onAllowed))).to.equal(
      "not_found",
    );
    expect(allowed).to.equal(0);
    expect(parts.store.messagesOf(conversation.id)).to.have.length(2);
  });

  it("lets a participant edit only the messages they wrote", async () => {
    const { store } = parts;
    const { conversation, answer } = conversationWithOneTurn();
    store.member(conversation.id, "ben", "participant");
    const anas = store.seed({
      conversationId: conversation.id,
      seq: 3,
      role: "user",
      status: "complete",
      parentId: answer.id,
      authorId: "ana",
    });
    const edit = { conversationId: conversation.id, messageId: anas.id, content: "changed" };
    expect(await refusal(parts.starter.begin(principal("ben"), { kind: "edit", input: edit }))).to.equal(
      "forbidden",
    );
    const { turn } = started(await parts.starter.begin(ana, { kind: "edit", input: edit }));
    // Beside the edited question: same parent, a new version.
    expect(turn.newQuestion).to.include({ parentId: answer.id, content: "changed" });
    expect(turn.newQuestion!.branch).to.deep.equal({ index: 2, count: 2 });
  });

  it("refuses an answer once the conversation has used its token budget, but stores a message that asks for none", async () => {
    const { store } = parts;
    const agent = store.agent({ maxConversationTokens: 500 });
    const conversation = store.conversation("ana", { totalTokensUsed: 500 }, agent);
    const input = { conversationId: conversation.id, content: "more?" };
    expect(await refusal(parts.starter.begin(ana, { kind: "send", input }))).to.equal("token_limit_reached");
    expect(store.messagesOf(conversation.id)).to.have.length(0);

    store.conversationRows.set(conversation.id, { ...conversation, assistantMode: "manual" });
    const stored = await parts.starter.begin(ana, { kind: "send", input });
    expect(stored.kind).to.equal("stored");
    expect(store.messagesOf(conversation.id).map((m) => m.role)).to.deep.equal(["user"]);
  });

  it("takes the rate limit before counting the message's tokens", async () => {
    parts.close();
    parts = chatOnFakes({ messagesPerMinute: 1 });
    const { conversation } = conversationWithOneTurn({ assistantMode: "off" });
    const input = { conversationId: conversation.id, content: "a long message" };
    await parts.starter.begin(ana, { kind: "send", input });
    const code = await refusal(
      parts.starter.begin(ana, { kind: "send", input: { ...input, content: "again" } }),
    );
    expect(code).to.equal("rate_limited");
    expect(parts.counted).to.deep.equal(["a long message"]);
    expect(parts.store.transactions).to.equal(1);
  });

  it("gives back the message of a send refused as busy or repeated, so that it costs nothing", async () => {
    parts.close();
    parts = chatOnFakes({ messagesPerMinute: 2 });
    const { conversation } = conversationWithOneTurn();
    const input = { conversationId: conversation.id, content: "hi", clientMessageId: "c-1" };
    const { turn } = started(await parts.starter.begin(ana, { kind: "send", input }));
    const busy = { ...input, clientMessageId: "c-2" };
    expect(await refusal(parts.starter.begin(ana, { kind: "send", input: busy }))).to.equal(
      "generation_in_progress",
    );
    expect((await parts.starter.begin(ana, { kind: "send", input })).kind).to.equal("repeat");
    const row = parts.store.message(turn.assistant.id)!;
    parts.store.messageRows.set(row.id, { ...row, status: "complete" });
    // Two messages a minute: the first send and this one; the busy send and the repeat cost nothing.
    const next = await parts.starter.begin(ana, {
      kind: "send",
      input: { ...input, clientMessageId: "c-3" },
    });
    expect(next.kind).to.equal("started");
    const over = { ...input, clientMessageId: "c-4" };
    expect(await refusal(parts.starter.begin(ana, { kind: "send", input: over }))).to.equal("rate_limited");
  });

  it("refuses a turn in a deleted or archived conversation, or with an inactive agent, as not active", async () => {
    const { store } = parts;
    for (const overrides of [{ status: "deleted" as const }, { status: "archived" as const }]) {
      const conversation = store.conversation("ana", overrides);
      const input = { conversationId: conversation.id, content: "hello?" };
      expect(await refusal(parts.starter.begin(ana, { kind: "send", input }))).to.equal(
        "conversation_not_active",
      );
    }
    const conversation = store.conversation("ana", {}, store.agent({ active: false }));
    const input = { conversationId: conversation.id, content: "hello?" };
    expect(await refusal(parts.starter.begin(ana, { kind: "send", input }))).to.equal(
      "conversation_not_active",
    );
  });

  it("puts a regenerated answer beside the old one, and refuses to regenerate a question or with the assistant off", async () => {
    const { conversation, question, answer } = conversationWithOneTurn();
    const regenerate = (messageId: string) =>
      parts.starter.begin(ana, { kind: "regenerate", conversationId: conversation.id, messageId });
    expect(await refusal(regenerate(question.id))).to.equal("validation_failed");
    const { turn } = started(await regenerate(answer.id));
    expect(turn.newQuestion).to.equal(null);
    expect(turn.question.id).to.equal(question.id);
    expect(turn.assistant).to.include({ parentId: question.id, seq: 3 });
    expect(turn.assistant.branch).to.deep.equal({ index: 2, count: 2 });

    const off = conversationWithOneTurn({ assistantMode: "off" });
    const code = await refusal(
      parts.starter.begin(ana, {
        kind: "regenerate",
        conversationId: off.conversation.id,
        messageId: off.answer.id,
      }),
    );
    expect(code).to.equal("validation_failed");
  });
});
