import { expect } from "chai";
import { answerOutcome, type StreamResult } from "../../src/chat/answer-outcome.js";
import { AppError } from "../../src/errors.js";

const base: StreamResult = {
  text: "Hello there",
  textTokens: 2,
  promptTokens: 30,
  usage: { inputTokens: 40, outputTokens: 3 },
  finishReason: "stop",
  modelUsed: "model-1",
  failure: undefined,
  stopReason: undefined,
  startedAt: 1000,
  firstTokenAt: 1250,
  endedAt: 3000,
};

describe("an answer's outcome", () => {
  it("is complete with the vendor's usage, reason and timings when the stream finished", () => {
    expect(answerOutcome(base)).to.deep.equal({
      content: "Hello there",
      status: "complete",
      contentTokens: 2,
      inputTokens: 40,
      outputTokens: 3,
      totalTokens: 43,
      metadata: {},
      modelUsed: "model-1",
      responseTimeMs: 2000,
      timeToFirstTokenMs: 250,
      finishReason: "stop",
      error: null,
    });
  });

  it("is cancelled when a person stopped it, charged the tokenizer's counts (marked estimated)", () => {
    const row = answerOutcome({ ...base, usage: undefined, finishReason: undefined, stopReason: "stop" });
    expect(row).to.include({
      status: "cancelled",
      finishReason: "cancelled",
      inputTokens: 30,
      outputTokens: 2,
    });
    expect(row.metadata).to.deep.equal({ usageEstimated: true });
    expect(row.error).to.equal(null);
  });

  it("is interrupted, with the shutdown's error, when the server stopped it", () => {
    const row = answerOutcome({ ...base, usage: undefined, finishReason: undefined, stopReason: "shutdown" });
    expect(row.status).to.equal("interrupted");
    expect(row.error?.code).to.equal("interrupted");
  });

  it("is an error carrying the provider's failure, and costs nothing when no token came", () => {
    const failure = new AppError("provider_error", "openai rejected the key");
    const row = answerOutcome({
      ...base,
      text: "",
      textTokens: 0,
      usage: undefined,
      finishReason: undefined,
      failure,
      firstTokenAt: undefined,
    });
    expect(row).to.include({
      status: "error",
      finishReason: "error",
      inputTokens: null,
      outputTokens: null,
      totalTokens: null,
      timeToFirstTokenMs: null,
    });
    expect(row.error).to.deep.equal({ code: "provider_error", message: "openai rejected the key" });
  });

  it("takes a failure over a stop, and stores an estimated usage as estimated", () => {
    const failure = new AppError("provider_error", "cut off");
    expect(answerOutcome({ ...base, failure, stopReason: "stop" }).status).to.equal("error");
    const estimated = answerOutcome({ ...base, usage: { inputTokens: 5, outputTokens: 1, estimated: true } });
    expect(estimated).to.include({ inputTokens: 5, outputTokens: 1, totalTokens: 6 });
    expect(estimated.metadata).to.deep.equal({ usageEstimated: true });
  });
});
