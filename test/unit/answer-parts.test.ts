import { expect } from "chai";
import { Answer } from "../../src/chat/answer.js";
import { buildPrompt, type PromptHistory } from "../../src/chat/prompt.js";
import { parseToolInput, stepMessages, textAfterLastStep } from "../../src/chat/tool-steps.js";
import type { AssistantPartEvent, MessagePart, ToolPart } from "../../src/protocol/index.js";

type Event =
  | { kind: "delta" | "reasoning"; seq: number; delta: string }
  | { kind: "part"; seq: number; index: number; part: MessagePart };

function answerRecording(resumeFrom?: { seq: number; parts: MessagePart[] }) {
  const events: Event[] = [];
  const g = new Answer({
    conversationId: "c",
    messageId: "m",
    flushMs: 0,
    emit: (e) => events.push({ kind: "delta", seq: e.seq, delta: e.delta }),
    emitReasoning: (e) => events.push({ kind: "reasoning", seq: e.seq, delta: e.delta }),
    emitPart: (e: AssistantPartEvent) =>
      events.push({ kind: "part", seq: e.seq, index: e.index, part: e.part }),
    now: () => 0,
    ...(resumeFrom ? { resumeFrom } : {}),
  });
  return { g, events };
}

/** What a tab that joined with `snapshot` shows after applying the later events in `seq` order. */
function applied(snapshot: { seq: number; parts: MessagePart[] }, events: Event[]): MessagePart[] {
  const parts = structuredClone(snapshot.parts);
  for (const e of events.filter((x) => x.seq > snapshot.seq).sort((a, b) => a.seq - b.seq)) {
    if (e.kind === "part") parts[e.index] = e.part;
    else {
      const type = e.kind === "delta" ? "text" : "reasoning";
      const last = parts.at(-1);
      if (last?.type === type) last.text += e.delta;
      else parts.push({ type, text: e.delta });
    }
  }
  return parts;
}

const call = (state: ToolPart["state"], extra: Partial<ToolPart> = {}): ToolPart => ({
  type: "tool",
  toolCallId: "call_1",
  toolName: "current_time",
  input: {},
  state,
  approval: null,
  ...extra,
});

describe("an answer's parts", () => {
  it("numbers text, reasoning and parts on one seq, and a tab joining at any point ends with the same parts", () => {
    const { g, events } = answerRecording();
    const snapshots = [g.snapshot()];
    g.appendReasoning("thinking ");
    g.appendReasoning("hard");
    snapshots.push(g.snapshot());
    g.append("Let me look. ");
    const index = g.setPart(call("input-available"));
    snapshots.push(g.snapshot());
    g.setPart(call("output-available", { output: { iso: "now" } }), index);
    g.append("It is now.");
    g.end();
    expect(events.map((e) => e.seq)).to.deep.equal([1, 2, 3, 4, 5, 6]);
    const final = g.currentParts();
    expect(final.map((p) => p.type)).to.deep.equal(["reasoning", "text", "tool", "text"]);
    expect(g.text).to.equal("Let me look. It is now.");
    for (const snapshot of snapshots) expect(applied(snapshot, events)).to.deep.equal(final);
  });

  it("holds an approval request back until it is released, keeping its seq", () => {
    const { g, events } = answerRecording();
    g.append("Asking. ");
    g.setPart(call("approval-requested"), undefined, true);
    expect(events.map((e) => e.kind)).to.deep.equal(["delta"]);
    expect(g.snapshot().seq).to.equal(2);
    g.releaseHeld();
    expect(events.map((e) => [e.kind, e.seq])).to.deep.equal([
      ["delta", 1],
      ["part", 2],
    ]);
  });

  it("goes on from a stored seq and parts after a decision", () => {
    const stored: MessagePart[] = [{ type: "text", text: "Asking. " }, call("approved")];
    const { g, events } = answerRecording({ seq: 3, parts: stored });
    g.setPart(call("output-available", { output: 1 }), 1);
    g.append("Done.");
    expect(events.map((e) => e.seq)).to.deep.equal([4, 5]);
    expect(g.text).to.equal("Asking. Done.");
  });
});

describe("the steps of an answer, as the model is sent them again", () => {
  const parts: MessagePart[] = [
    { type: "reasoning", text: "hidden" },
    { type: "text", text: "Let me look. " },
    call("output-available", { output: { iso: "now" } }),
    call("denied", {
      toolCallId: "call_2",
      toolName: "open_ticket",
      approval: { decidedBy: { id: "p", name: "Pete" }, decidedAt: "t", approved: false, reason: "no" },
    }),
    { type: "text", text: "Done." },
  ];

  it("sends each step's text and calls, then one result per call; never the reasoning", () => {
    expect(stepMessages(parts)).to.deep.equal([
      {
        role: "assistant",
        content: "Let me look. ",
        toolCalls: [
          { id: "call_1", name: "current_time", input: {} },
          { id: "call_2", name: "open_ticket", input: {} },
        ],
      },
      { role: "tool", toolCallId: "call_1", toolName: "current_time", content: '{"iso":"now"}' },
      {
        role: "tool",
        toolCallId: "call_2",
        toolName: "open_ticket",
        isError: true,
        content: "The call was denied by the people in the conversation: no.",
      },
    ]);
    expect(textAfterLastStep(parts)).to.equal("Done.");
  });

  it("reads the model's input: JSON, nothing as {}, and anything else as text that no schema accepts", () => {
    expect(parseToolInput('{"a":1}')).to.deep.equal({ input: { a: 1 }, parsed: true });
    expect(parseToolInput("")).to.deep.equal({ input: {}, parsed: true });
    expect(parseToolInput("{oops")).to.deep.equal({ input: "{oops", parsed: false });
  });

  it("gives an earlier answer that called tools back to the model as its steps, in the history", async () => {
    const history: PromptHistory = {
      window: () =>
        Promise.resolve({
          messages: [
            {
              id: "q",
              seq: 1,
              role: "user",
              content: "time?",
              contentTokens: 2,
              status: "complete",
              authorId: null,
              authorName: null,
            },
            {
              id: "a",
              seq: 2,
              role: "assistant",
              content: "Let me look. Done.",
              contentTokens: 5,
              status: "complete",
              authorId: null,
              authorName: null,
              parts,
            },
          ],
          reachedStart: true,
          tokens: 7,
        }),
      onPath: () => Promise.resolve(false),
    };
    const prompt = await buildPrompt(
      history,
      { systemPrompt: "", contextTokens: 1000, conversationMemoryEnabled: true },
      { summary: null, summaryThroughId: null, summaryThroughSeq: 0 },
      { id: "q2", parentId: "a", seq: 3, content: "thanks", contentTokens: 1 },
    );
    expect(prompt.messages.map((m) => m.role)).to.deep.equal([
      "user",
      "assistant",
      "tool",
      "tool",
      "assistant",
      "user",
    ]);
    expect(prompt.messages[4]).to.deep.equal({ role: "assistant", content: "Done." });
  });
});
