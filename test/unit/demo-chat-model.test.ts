import { expect } from "chai";
import type { ChatRequest, ChatStreamPart } from "../../src/providers/chat-model.js";
import { DemoChatModel } from "../../src/providers/demo/demo-chat-model.js";

async function collect(model: DemoChatModel, request: ChatRequest): Promise<ChatStreamPart[]> {
  const parts: ChatStreamPart[] = [];
  for await (const part of model.stream(request)) parts.push(part);
  return parts;
}

const request = (messages: ChatRequest["messages"], signal = new AbortController().signal): ChatRequest => ({
  model: "demo-1",
  messages,
  temperature: 0.7,
  abortSignal: signal,
});

describe("the demo chat model", () => {
  const model = new DemoChatModel({ wordDelayMs: 0 });

  it("streams text deltas then one finish with usage, the same way every time", async () => {
    const r = request([{ role: "user", content: "Hello" }]);
    const first = await collect(model, r);
    const second = await collect(model, r);
    expect(first).to.deep.equal(second);
    const deltas = first.filter((p) => p.type === "text-delta");
    expect(deltas.length).to.be.greaterThan(5);
    const finish = first.at(-1);
    expect(finish?.type).to.equal("finish");
    if (finish?.type === "finish") {
      expect(finish.finishReason).to.equal("stop");
      expect(finish.usage?.outputTokens).to.be.greaterThan(0);
    }
  });

  it("refers back to earlier turns of the conversation", async () => {
    const parts = await collect(
      model,
      request([
        { role: "user", content: "My cat is called Tom" },
        { role: "assistant", content: "Nice." },
        { role: "user", content: "What did I tell you?" },
      ]),
    );
    const text = parts.map((p) => (p.type === "text-delta" ? p.delta : "")).join("");
    expect(text).to.include('You said: "What did I tell you?"');
    expect(text).to.include('earlier you said "My cat is called Tom"');
  });

  it("stops streaming when aborted", async () => {
    const controller = new AbortController();
    const slow = new DemoChatModel({ wordDelayMs: 5 });
    const parts: ChatStreamPart[] = [];
    for await (const part of slow.stream(request([{ role: "user", content: "Hello" }], controller.signal))) {
      parts.push(part);
      if (parts.length === 2) controller.abort();
    }
    expect(parts).to.have.length(2);
    expect(parts.every((p) => p.type === "text-delta")).to.equal(true);
  });
});
