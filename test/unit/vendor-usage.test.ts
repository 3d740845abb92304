import { expect } from "chai";
import { convertAnthropicUsage } from "../../src/providers/anthropic/index.js";
import { convertGroqUsage } from "../../src/providers/groq/index.js";
import { convertOpenAIUsage } from "../../src/providers/openai/index.js";

describe("converting the vendors' usage", () => {
  it("takes OpenAI's prompt and completion tokens, or nothing", () => {
    expect(convertOpenAIUsage({ prompt_tokens: 21, completion_tokens: 3 })).to.deep.equal({
      inputTokens: 21,
      outputTokens: 3,
    });
    expect(convertOpenAIUsage(null)).to.equal(undefined);
    expect(convertOpenAIUsage({ prompt_tokens: 21 })).to.equal(undefined);
  });

  it("takes Groq's prompt and completion tokens, or nothing", () => {
    expect(convertGroqUsage({ prompt_tokens: 42, completion_tokens: 7 })).to.deep.equal({
      inputTokens: 42,
      outputTokens: 7,
    });
    expect(convertGroqUsage(undefined)).to.equal(undefined);
  });

  it("adds Anthropic's cached prompt tokens back into the input, output from message_delta", () => {
    expect(
      convertAnthropicUsage(
        { input_tokens: 25, cache_creation_input_tokens: 100, cache_read_input_tokens: 2000 },
        { output_tokens: 12 },
      ),
    ).to.deep.equal({ inputTokens: 2125, outputTokens: 12 });
    expect(
      convertAnthropicUsage({ input_tokens: 25, cache_creation_input_tokens: null }, { output_tokens: 1 }),
    ).to.deep.equal({ inputTokens: 25, outputTokens: 1 });
    expect(convertAnthropicUsage(undefined, { output_tokens: 12 })).to.equal(undefined);
  });
});
