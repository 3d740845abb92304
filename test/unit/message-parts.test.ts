// Covers: sdk/parts.ts, sdk/conversation-stream.ts (parts, by seq), sdk/ui-chunks.ts (the AI SDK's chunks) — an answer's parts as a tab builds them and as useChat receives them.
import { readUIMessageStream, type UIMessage, type UIMessageChunk } from "ai";
import { expect } from "chai";
import type { JoinResult, MessagePart, MessageResource, ToolPart } from "../../src/protocol/index.js";
import { ConversationStream, type MessageView } from "../../sdk/conversation-stream.js";
import { applyDecision, applyPartsEvent } from "../../sdk/parts.js";
import { UIChunkMapper, uiParts } from "../../sdk/ui-chunks.js";

const tool = (state: ToolPart["state"], extra: Partial<ToolPart> = {}): ToolPart => ({
  type: "tool",
  toolCallId: "call-1",
  toolName: "open_ticket",
  input: { title: "Printer" },
  state,
  ...extra,
});

const alice = { decidedBy: { id: "alice", name: "Alice" }, decidedAt: "2026-01-01T00:00:00.000Z" };

describe("an answer's parts, from its events", () => {
  it("appends text and reasoning to the last part of their kind, else starts a new one", () => {
    let parts: MessagePart[] = [];
    parts = applyPartsEvent(parts, { type: "reasoning", delta: "Let me " });
    parts = applyPartsEvent(parts, { type: "reasoning", delta: "think." });
    parts = applyPartsEvent(parts, { type: "text", delta: "Opening " });
    parts = applyPartsEvent(parts, { type: "text", delta: "a ticket." });
    parts = applyPartsEvent(parts, { type: "part", index: 2, part: tool("input-available") });
    parts = applyPartsEvent(parts, { type: "part", index: 2, part: tool("approval-requested") });
    parts = applyPartsEvent(parts, { type: "text", delta: "Done" });
    expect(parts).to.deep.equal([
      { type: "reasoning", text: "Let me think." },
      { type: "text", text: "Opening a ticket." },
      tool("approval-requested"),
      { type: "text", text: "Done" },
    ]);
  });

  it("never changes the parts it was given (a face compares them by reference)", () => {
    const before: MessagePart[] = [{ type: "text", text: "a" }];
    const after = applyPartsEvent(before, { type: "text", delta: "b" });
    expect(before).to.deep.equal([{ type: "text", text: "a" }]);
    expect(after).to.not.equal(before);
  });

  it("takes a decision's ack only over a pending request, never over a later state", () => {
    const approved = tool("approved", { approval: { ...alice, approved: true } });
    expect(applyDecision([tool("approval-requested")], approved)).to.deep.equal([approved]);
    const ran = [tool("output-available", { output: { id: 7 } })];
    expect(applyDecision(ran, approved)).to.deep.equal(ran);
  });
});

/** A stream that records what it was told, and a stored answer to feed it. */
function streamOf(): { stream: ConversationStream; answer: () => MessageView | undefined } {
  const stream = new ConversationStream("c", { changed: () => {}, removed: () => {}, pathChanged: () => {} });
  return { stream, answer: () => stream.find("a1") };
}

const joinWith = (seq: number, parts: MessagePart[], status: MessageResource["status"]): JoinResult =>
  ({
    conversation: { id: "c", headId: "a1", role: "owner", status: "active", toolApproval: "participant" },
    messages: [{ ...stored(parts, status), parentId: null }],
    hasMore: false,
    generation: { messageId: "a1", seq, content: "", parts },
    presence: [],
  }) as unknown as JoinResult;

function stored(parts: MessagePart[], status: MessageResource["status"]): MessageResource {
  const content = parts.flatMap((p) => (p.type === "text" ? [p.text] : [])).join("");
  return {
    id: "a1",
    conversationId: "c",
    seq: 2,
    parentId: "q1",
    branch: { index: 1, count: 1 },
    role: "assistant",
    author: null,
    content,
    parts,
    status,
    error: null,
    createdAt: "2026-01-01T00:00:00.000Z",
  } as MessageResource;
}

const ev = (seq: number) => ({ conversationId: "c", messageId: "a1", seq });

describe("the answer being written, as a tab holds its parts", () => {
  it("applies each event once, in seq order, whatever arrives twice or late", () => {
    const { stream, answer } = streamOf();
    stream.handle({
      type: "start",
      event: { ...ev(0), parentId: null, agentId: "x", provider: "demo", model: "m" },
    });
    stream.handle({ type: "reasoning", event: { ...ev(1), delta: "Hmm." } });
    stream.handle({ type: "delta", event: { ...ev(2), delta: "Let me check. " } });
    stream.handle({ type: "delta", event: { ...ev(2), delta: "Let me check. " } });
    stream.handle({ type: "part", event: { ...ev(3), index: 2, part: tool("input-available") } });
    stream.handle({ type: "reasoning", event: { ...ev(1), delta: "Hmm." } });
    stream.handle({
      type: "part",
      event: { ...ev(4), index: 2, part: tool("output-available", { output: 1 }) },
    });
    stream.handle({ type: "part", event: { ...ev(3), index: 2, part: tool("input-available") } });
    stream.handle({ type: "delta", event: { ...ev(5), delta: "Done." } });
    expect(answer()?.parts).to.deep.equal([
      { type: "reasoning", text: "Hmm." },
      { type: "text", text: "Let me check. " },
      tool("output-available", { output: 1 }),
      { type: "text", text: "Done." },
    ]);
    expect(answer()?.content).to.equal("Let me check. Done.");
    expect(answer()?.status).to.equal("streaming");
  });

  it("starts from the join's snapshot and applies only the later events, buffered or not", () => {
    const { stream, answer } = streamOf();
    stream.beginJoin();
    // Arrived while the join was under way: the first two are in the snapshot already.
    stream.handle({ type: "delta", event: { ...ev(2), delta: "Opening" } });
    stream.handle({ type: "part", event: { ...ev(3), index: 1, part: tool("input-available") } });
    stream.handle({ type: "part", event: { ...ev(4), index: 1, part: tool("approval-requested") } });
    const snapshot: MessagePart[] = [{ type: "text", text: "Opening" }, tool("input-available")];
    stream.applyJoin(joinWith(3, snapshot, "streaming"), true);
    expect(answer()?.parts).to.deep.equal([{ type: "text", text: "Opening" }, tool("approval-requested")]);
    expect(answer()?.status).to.equal("awaiting_approval");
    const approved = tool("approved", { approval: { ...alice, approved: true } });
    stream.handle({ type: "part", event: { ...ev(5), index: 1, part: approved } });
    expect(answer()?.status).to.equal("streaming");
    stream.handle({ type: "delta", event: { ...ev(6), delta: "Opened." } });
    expect(answer()?.parts.at(-1)).to.deep.equal({ type: "text", text: "Opened." });
  });

  it("shows an answer waiting for a decision from the join alone, then its stored end", () => {
    const { stream, answer } = streamOf();
    const waiting = [{ type: "text" as const, text: "Shall I?" }, tool("approval-requested")];
    stream.beginJoin();
    stream.applyJoin(joinWith(4, waiting, "awaiting_approval"), true);
    expect(answer()?.status).to.equal("awaiting_approval");
    expect(stream.streaming()?.id).to.equal("a1");
    stream.applyDecided("a1", tool("denied", { approval: { ...alice, approved: false } }));
    expect((answer()?.parts[1] as ToolPart).state).to.equal("denied");
    const final = [waiting[0]!, tool("denied", { approval: { ...alice, approved: false } })];
    stream.handle({ type: "done", message: stored(final, "complete") });
    // A late event of the ended answer changes nothing.
    stream.handle({ type: "delta", event: { ...ev(9), delta: "late" } });
    expect(answer()?.parts).to.deep.equal(final);
    expect(answer()?.status).to.equal("complete");
  });
});

/** The UI message `ai` builds from these chunks (its own reader, as `useChat` uses it). */
async function read(chunks: UIMessageChunk[], message?: UIMessage): Promise<UIMessage> {
  const stream = new ReadableStream<UIMessageChunk>({
    start(controller) {
      for (const chunk of chunks) controller.enqueue(chunk);
      controller.close();
    },
  });
  let last: UIMessage | undefined;
  const errors: unknown[] = [];
  for await (const m of readUIMessageStream({
    stream,
    onError: (e) => errors.push(e),
    ...(message ? { message } : {}),
  }))
    last = m;
  expect(errors).to.deep.equal([]);
  // As JSON: what useChat keeps and sends (the reader leaves undefined fields about).
  return JSON.parse(JSON.stringify(last)) as UIMessage;
}

/** The chunks for a list of snapshots of an answer's parts, as the transport sends them. */
function chunksFor(snapshots: MessagePart[][], mapper = new UIChunkMapper("a1")): UIMessageChunk[] {
  const chunks: UIMessageChunk[] = [{ type: "start", messageId: "a1" }];
  for (const parts of snapshots) chunks.push(...mapper.update(parts));
  return [...chunks, ...mapper.end(), { type: "finish", finishReason: "stop" }];
}

describe("an answer's parts as the AI SDK's UI message chunks", () => {
  it("gives useChat reasoning, text, a tool call with its streamed input and output, a source, by steps", async () => {
    const think = { type: "reasoning" as const, text: "The user wants the time." };
    const ask = { type: "text" as const, text: "Checking." };
    const call = (p: Partial<ToolPart>) => ({ ...tool("input-streaming"), toolName: "get_time", ...p });
    const chunks = chunksFor([
      [{ ...think, text: "The user" }],
      [think, { ...ask, text: "Check" }],
      [think, ask, call({ input: '{"zone": "U' })],
      [think, ask, call({ input: '{"zone": "UTC"}' })],
      [think, ask, call({ state: "input-available", input: { zone: "UTC" } })],
      [think, ask, call({ state: "output-available", input: { zone: "UTC" }, output: { time: "07:00" } })],
      [
        think,
        ask,
        call({ state: "output-available", input: { zone: "UTC" }, output: { time: "07:00" } }),
        { type: "text", text: "It is 07:00." },
        { type: "source", url: "https://time.example/", title: "Time" },
      ],
    ]);
    expect(chunks.filter((c) => c.type === "tool-input-delta")).to.have.length(2);
    const message = await read(chunks);
    expect(message.id).to.equal("a1");
    expect(message.parts).to.deep.equal([
      { type: "step-start" },
      { type: "reasoning", text: "The user wants the time.", state: "done", id: "a1:0" },
      { type: "text", text: "Checking.", state: "done" },
      {
        type: "dynamic-tool",
        toolCallId: "call-1",
        toolName: "get_time",
        state: "output-available",
        input: { zone: "UTC" },
        output: { time: "07:00" },
      },
      { type: "step-start" },
      { type: "text", text: "It is 07:00.", state: "done" },
      {
        type: "source-url",
        sourceId: "a1:4",
        url: "https://time.example/",
        title: "Time",
      },
    ]);
  });

  it("asks for approval with the tool call's id, then continues the same message with the outcome", async () => {
    const intro = { type: "text" as const, text: "I will open a ticket." };
    const first = await read(
      chunksFor([
        [intro, tool("input-available")],
        [intro, tool("approval-requested")],
      ]),
    );
    const requested = first.parts.find((p) => p.type === "dynamic-tool");
    expect(requested).to.include({ state: "approval-requested" });
    expect(requested).to.have.deep.property("approval", { id: "call-1" });
    // What addToolApprovalResponse does to the UI message before sendMessages continues it.
    const responded = {
      ...first,
      parts: first.parts.map((p) =>
        p.type === "dynamic-tool"
          ? { ...p, state: "approval-responded", approval: { id: "call-1", approved: true } }
          : p,
      ),
    } as UIMessage;
    const mapper = new UIChunkMapper("a1");
    mapper.seed([intro, tool("approval-requested")]);
    const approved = tool("approved", { approval: { ...alice, approved: true } });
    const done = tool("output-available", { approval: { ...alice, approved: true }, output: { ticket: 42 } });
    const next = await read(
      chunksFor(
        [
          [intro, approved],
          [intro, done],
          [intro, done, { type: "text", text: "Ticket 42." }],
        ],
        mapper,
      ),
      responded,
    );
    expect(next.parts.filter((p) => p.type === "text").map((p) => p.text)).to.deep.equal([
      "I will open a ticket.",
      "Ticket 42.",
    ]);
    expect(next.parts.find((p) => p.type === "dynamic-tool")).to.include({ state: "output-available" });
  });

  it("tells a denial and a failed tool as their own outcomes", async () => {
    const denied = tool("denied", { approval: { ...alice, approved: false, reason: "not now" } });
    const failed = { ...tool("output-error", { error: "timed out" }), toolCallId: "call-2" };
    const message = await read(chunksFor([[tool("approval-requested")], [denied, failed]]));
    const tools = message.parts.filter((p) => p.type === "dynamic-tool");
    expect(tools.map((p) => p.state)).to.deep.equal(["output-denied", "output-error"]);
    expect(tools[1]).to.include({ errorText: "timed out" });
  });

  it("gives a stored answer's parts as the UI parts useChat starts from", () => {
    const parts = uiParts([
      { type: "text", text: "Shall I?" },
      tool("approved", { approval: { ...alice, approved: true, reason: "ok" } }),
      tool("denied", { toolCallId: "call-2", approval: { ...alice, approved: false } }),
      { type: "text", text: "Done." },
    ]);
    expect(parts.map((p) => ("state" in p ? `${p.type}:${p.state}` : p.type))).to.deep.equal([
      "step-start",
      "text",
      "dynamic-tool:approval-responded",
      "dynamic-tool:output-denied",
      "step-start",
      "text",
    ]);
  });
});
