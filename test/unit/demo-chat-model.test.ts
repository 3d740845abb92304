import { expect } from "chai";
import type { ChatRequest, ChatStreamPart } from "../../src/providers/chat-model.js";
import { DemoChatModel } from "../../src/providers/demo/demo-chat-model.js";
import { imageFile, objectStreamPdf, textFile } from "../support/prompt-files.js";

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

  describe("with files", () => {
    const textOf = (parts: ChatStreamPart[]) =>
      parts.map((p) => (p.type === "text-delta" ? p.delta : "")).join("");

    it("says what it was sent: each file's name, type and size, an image's width and height", async () => {
      const photo = imageFile("photo.png", 640, 480);
      const notes = textFile("notes.txt", "x".repeat(1200));
      const parts = await collect(model, request([{ role: "user", content: "", files: [photo, notes] }]));
      const text = textOf(parts);
      const size = photo.size.toLocaleString("en-US");
      expect(text).to.match(
        new RegExp(
          `^You sent 2 files: photo\\.png \\(image/png, ${size} bytes, 640×480 pixels\\), notes\\.txt \\(text/plain, 1,200 bytes\\)\\.`,
        ),
      );
      expect(text).to.not.include("You said");
    });

    it("streams that answer word by word, a PDF's pages in it, then quotes the text", async () => {
      const data = objectStreamPdf(3);
      const report = { name: "Q3 report.pdf", mediaType: "application/pdf", size: data.length, data };
      const parts = await collect(
        model,
        request([
          { role: "user", content: "Hello" },
          { role: "assistant", content: "Hi." },
          { role: "user", content: "What is in this report?", files: [report] },
        ]),
      );
      const deltas = parts.filter((p) => p.type === "text-delta");
      expect(deltas.length).to.be.greaterThan(10);
      expect(textOf(parts)).to.match(
        /^You sent 1 file: Q3 report\.pdf \(application\/pdf, \d+ bytes, 3 pages\)\. You said: "What is in this report\?"\./,
      );
      expect(parts.at(-1)?.type).to.equal("finish");
    });

    it("measures an image that came without its size in pixels from its bytes", async () => {
      const unsized = imageFile("scan.png", 33, 21, false);
      const parts = await collect(model, request([{ role: "user", content: "", files: [unsized] }]));
      expect(textOf(parts)).to.include("scan.png (image/png, ");
      expect(textOf(parts)).to.include(" bytes, 33×21 pixels)");
    });

    it("counts the files in the input tokens it reports", async () => {
      const withoutFiles = await collect(model, request([{ role: "user", content: "Look" }]));
      const withFiles = await collect(
        model,
        request([{ role: "user", content: "Look", files: [imageFile("big.png", 1024, 1024)] }]),
      );
      const inputOf = (parts: ChatStreamPart[]) => {
        const finish = parts.at(-1);
        return finish?.type === "finish" ? (finish.usage?.inputTokens ?? 0) : 0;
      };
      // A 1024 × 1024 image is 765 tokens by OpenAI's rule, which the demo model follows.
      expect(inputOf(withFiles) - inputOf(withoutFiles)).to.equal(765);
    });
  });
});
