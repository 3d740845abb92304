import { expect } from "chai";
import { mapAnthropicFinishReason } from "../../src/providers/anthropic/index.js";
import { mapGroqFinishReason } from "../../src/providers/groq/index.js";
import { mapOpenAIFinishReason } from "../../src/providers/openai/index.js";

describe("mapping the vendors' finish reasons", () => {
  it("maps OpenAI's (and compatible servers') reasons", () => {
    expect(mapOpenAIFinishReason("stop")).to.equal("stop");
    expect(mapOpenAIFinishReason("length")).to.equal("length");
    expect(mapOpenAIFinishReason("content_filter")).to.equal("content_filter");
    expect(mapOpenAIFinishReason("tool_calls")).to.equal("tool_calls");
    expect(mapOpenAIFinishReason("function_call")).to.equal("tool_calls");
    expect(mapOpenAIFinishReason("eos")).to.equal("other");
    expect(mapOpenAIFinishReason(null)).to.equal("other");
  });

  it("maps Anthropic's stop reasons", () => {
    expect(mapAnthropicFinishReason("end_turn")).to.equal("stop");
    expect(mapAnthropicFinishReason("stop_sequence")).to.equal("stop");
    expect(mapAnthropicFinishReason("max_tokens")).to.equal("length");
    expect(mapAnthropicFinishReason("model_context_window_exceeded")).to.equal("length");
    expect(mapAnthropicFinishReason("tool_use")).to.equal("tool_calls");
    expect(mapAnthropicFinishReason("refusal")).to.equal("content_filter");
    expect(mapAnthropicFinishReason("pause_turn")).to.equal("other");
    expect(mapAnthropicFinishReason(undefined)).to.equal("other");
  });

  it("maps Groq's reasons", () => {
    expect(mapGroqFinishReason("stop")).to.equal("stop");
    expect(mapGroqFinishReason("length")).to.equal("length");
    expect(mapGroqFinishReason("tool_calls")).to.equal("tool_calls");
    expect(mapGroqFinishReason("function_call")).to.equal("tool_calls");
    expect(mapGroqFinishReason(null)).to.equal("other");
  });
});
