import { expect } from "chai";
import { anthropicMessages } from "../../src/providers/anthropic/anthropic-messages.js";
import type { ChatPromptMessage, ChatStreamPart } from "../../src/providers/chat-model.js";
import { argumentsText, compatibleMessages } from "../../src/providers/compatible-messages.js";
import { type CompatibleChunk, readCompatibleStream } from "../../src/providers/openai-compatible-stream.js";
import { mapOpenAIFinishReason, openAIFilePart } from "../../src/providers/openai/index.js";

const DIALECT = {
  vendor: "openai",
  usage: () => undefined,
  text: (choice: CompatibleChunk["choices"][number]) =>
    (choice.delta as { content?: string } | null)?.content,
  reasoning: (choice: CompatibleChunk["choices"][number]) =>
    (choice.delta as { reasoning_content?: string } | null)?.reasoning_content,
  finishReason: mapOpenAIFinishReason,
  isFirstToken: () => true,
};

async function read(chunks: CompatibleChunk[]): Promise<ChatStreamPart[]> {
  async function* stream() {
    for (const chunk of chunks) yield await Promise.resolve(chunk);
  }
  const parts: ChatStreamPart[] = [];
  for await (const part of readCompatibleStream(stream(), DIALECT, new AbortController().signal))
    parts.push(part);
  return parts;
}

const delta = (d: object, finish: string | null = null): CompatibleChunk => ({
  choices: [{ delta: d, finish_reason: finish }],
});

describe("the vendors' tool messages", () => {
  describe("chat completions (OpenAI, Groq)", () => {
    it("writes a call's input as JSON text, raw text as it was, nothing as {}", () => {
      expect(argumentsText({ city: "Paris" })).to.equal('{"city":"Paris"}');
      expect(argumentsText('{"city": "Par')).to.equal('{"city": "Par');
      expect(argumentsText(undefined)).to.equal("{}");
    });

    it("sends a tool message with no call id as an empty id rather than dropping it", () => {
      const messages: ChatPromptMessage[] = [{ role: "tool", content: "ok" }];
      expect(compatibleMessages(messages, openAIFilePart)).to.deep.equal([
        { role: "tool", content: "ok", tool_call_id: "" },
      ]);
    });

    it("gathers calls from servers that leave out the id, the index, or send the name late", async () => {
      const parts = await read([
        delta({ tool_calls: [{ function: { arguments: '{"a"' } }] }),
        delta({ tool_calls: [{ index: 0, function: { name: "late", arguments: ":1}" } }] }),
        delta({}, "tool_calls"),
      ]);
      const start = parts[0] as Extract<ChatStreamPart, { type: "tool-input-start" }>;
      expect(start.type).to.equal("tool-input-start");
      expect(start.toolCallId).to.match(/^call_[0-9a-f-]{36}$/);
      expect(parts.slice(1)).to.deep.equal([
        { type: "tool-input-delta", toolCallId: start.toolCallId, delta: '{"a"' },
        { type: "tool-input-delta", toolCallId: start.toolCallId, delta: ":1}" },
        { type: "tool-call", toolCallId: start.toolCallId, toolName: "late", input: '{"a":1}' },
        { type: "finish", finishReason: "tool_calls", usage: undefined },
      ]);
    });

    it("tells calls apart by their ids when the server gives no index", async () => {
      const parts = await read([
        delta({ tool_calls: [{ id: "a", function: { name: "first", arguments: "{" } }] }),
        delta({ tool_calls: [{ function: { arguments: "}" } }] }),
        delta({ tool_calls: [{ id: "b", function: { name: "second", arguments: "{}" } }] }),
        delta({}, "tool_calls"),
      ]);
      expect(parts.filter((p) => p.type === "tool-call")).to.deep.equal([
        { type: "tool-call", toolCallId: "a", toolName: "first", input: "{}" },
        { type: "tool-call", toolCallId: "b", toolName: "second", input: "{}" },
      ]);
    });

    it("gives parallel calls whole in index order, and reasoning as reasoning deltas", async () => {
      const parts = await read([
        delta({ reasoning_content: "Two calls." }),
        delta({ tool_calls: [{ index: 1, id: "b", function: { name: "second", arguments: "{}" } }] }),
        delta({ tool_calls: [{ index: 0, id: "a", function: { name: "first", arguments: "{}" } }] }),
        delta({}, "tool_calls"),
      ]);
      expect(parts[0]).to.deep.equal({ type: "reasoning-delta", delta: "Two calls." });
      expect(parts.filter((p) => p.type === "tool-call").map((p) => p.toolCallId)).to.deep.equal(["a", "b"]);
    });

    it("reports tool_calls arriving as something other than a list as malformed", async () => {
      let error: unknown;
      try {
        await read([delta({ tool_calls: "oops" }), delta({}, "tool_calls")]);
      } catch (err) {
        error = err;
      }
      expect(error).to.have.property("code", "provider_error");
      expect(error).to.have.property("message", "the openai stream sent malformed data");
    });
  });

  describe("Anthropic's Messages API", () => {
    it("merges consecutive tool results, and a user message after them, into one user message", () => {
      const sent = anthropicMessages([
        { role: "system", content: "Be brief." },
        { role: "user", content: "Hi" },
        {
          role: "assistant",
          content: "",
          toolCalls: [
            { id: "a", name: "first", input: { n: 1 } },
            { id: "b", name: "second", input: "not json {" },
          ],
        },
        { role: "tool", content: "1", toolCallId: "a", toolName: "first" },
        { role: "tool", content: "", toolCallId: "b", toolName: "second", isError: true },
        { role: "user", content: "Thanks" },
        { role: "assistant", content: "You're welcome." },
        { role: "user", content: "Bye" },
        { role: "user", content: "Really." },
      ]);
      expect(sent).to.deep.equal([
        { role: "user", content: "Hi" },
        {
          role: "assistant",
          content: [
            { type: "tool_use", id: "a", name: "first", input: { n: 1 } },
            // Anthropic takes only an object: raw text that was not JSON goes back as {}.
            { type: "tool_use", id: "b", name: "second", input: {} },
          ],
        },
        {
          role: "user",
          content: [
            { type: "tool_result", tool_use_id: "a", content: "1" },
            { type: "tool_result", tool_use_id: "b", is_error: true },
            { type: "text", text: "Thanks" },
          ],
        },
        { role: "assistant", content: "You're welcome." },
        // Plain user messages stay apart, as before.
        { role: "user", content: "Bye" },
        { role: "user", content: "Really." },
      ]);
    });

    it("sends signed thinking first, even with no tool calls", () => {
      const sent = anthropicMessages([
        { role: "assistant", content: "Done.", thinking: [{ text: "Hmm.", signature: "s1" }] },
      ]);
      expect(sent).to.deep.equal([
        {
          role: "assistant",
          content: [
            { type: "thinking", thinking: "Hmm.", signature: "s1" },
            { type: "text", text: "Done." },
          ],
        },
      ]);
    });
  });
});
