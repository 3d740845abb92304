// Covers: src/providers/compatible-messages.ts, compatible-tool-calls.ts, openai-compatible-stream.ts,
// src/providers/openai/, src/providers/groq/, src/providers/anthropic/ (tools and reasoning).
import { expect } from "chai";
import { AppError } from "../../src/errors.js";
import { AnthropicChatModel } from "../../src/providers/anthropic/index.js";
import type { ChatModel, ChatRequest, ChatStreamPart, ToolSpec } from "../../src/providers/chat-model.js";
import { GroqChatModel } from "../../src/providers/groq/index.js";
import { OpenAIChatModel } from "../../src/providers/openai/index.js";
import { type ScriptedToolCall, type Vendor, VendorServer } from "../support/vendor-server.js";

/**
 * Tool calls and reasoning through each vendor's official SDK, against a local server that streams
 * them in the vendor's own format: the calls arrive in pieces and then whole, the results go back in
 * the vendor's own messages, and reasoning comes out as reasoning deltas (and Anthropic's signature).
 */

const KEY = "sk-test-0a1b2c3d4e5f60718293a4b5c6d7e8f9";

interface VendorCase {
  vendor: Vendor;
  model: string;
  create(server: VendorServer): ChatModel;
}

const CASES: VendorCase[] = [
  {
    vendor: "openai",
    model: "gpt-4.1-mini",
    create: (server) => new OpenAIChatModel({ apiKey: KEY, baseURL: server.baseURL }),
  },
  {
    vendor: "anthropic",
    model: "claude-sonnet-5-5",
    create: (server) => new AnthropicChatModel({ apiKey: KEY, baseURL: server.baseURL }),
  },
  {
    vendor: "groq",
    model: "openai/gpt-oss-120b",
    create: (server) => new GroqChatModel({ apiKey: KEY, baseURL: server.baseURL }),
  },
];

const WEATHER_SCHEMA = {
  type: "object",
  properties: { city: { type: "string" } },
  required: ["city"],
};

const TOOLS: ToolSpec[] = [
  { name: "get_weather", description: "The weather in a city now.", inputSchema: WEATHER_SCHEMA },
  { name: "get_time", description: "The time now.", inputSchema: { type: "object", properties: {} } },
];

const CALLS: ScriptedToolCall[] = [
  { id: "call_weather_1", name: "get_weather", argumentsChunks: ['{"ci', 'ty": "Par', 'is"}'] },
  { id: "call_time_2", name: "get_time", argumentsChunks: [] },
];

const QUESTION = "What's the weather in Paris, and what time is it?";

/** The prompt of the step after the calls: the assistant's calls, then their results. */
const AFTER_CALLS: ChatRequest["messages"] = [
  { role: "system", content: "You are Confab's helpful assistant." },
  { role: "user", content: QUESTION },
  {
    role: "assistant",
    content: "Let me look.",
    toolCalls: [
      { id: "call_weather_1", name: "get_weather", input: { city: "Paris" } },
      { id: "call_time_2", name: "get_time", input: {} },
    ],
  },
  { role: "tool", content: '{"celsius":18}', toolCallId: "call_weather_1", toolName: "get_weather" },
  {
    role: "tool",
    content: "The members of the conversation denied this call.",
    toolCallId: "call_time_2",
    toolName: "get_time",
    isError: true,
  },
];

function request(model: string, overrides: Partial<ChatRequest> = {}): ChatRequest {
  return {
    model,
    messages: [
      { role: "system", content: "You are Confab's helpful assistant." },
      { role: "user", content: QUESTION },
    ],
    temperature: 0.3,
    maxOutputTokens: 256,
    abortSignal: new AbortController().signal,
    ...overrides,
  };
}

async function collect(model: ChatModel, req: ChatRequest): Promise<ChatStreamPart[]> {
  const parts: ChatStreamPart[] = [];
  for await (const part of model.stream(req)) parts.push(part);
  return parts;
}

function ofType<T extends ChatStreamPart["type"]>(parts: ChatStreamPart[], type: T) {
  return parts.filter((p): p is Extract<ChatStreamPart, { type: T }> => p.type === type);
}

function sentBody(server: VendorServer): Record<string, unknown> {
  return server.requests.at(-1)!.body as Record<string, unknown>;
}

for (const c of CASES) {
  describe(`tools and reasoning with ${c.vendor}, through its official SDK`, () => {
    let server: VendorServer;

    before(async () => {
      server = await VendorServer.start(c.vendor);
    });
    afterEach(() => server.reset());
    after(() => server.close());

    describe("a step that calls tools", () => {
      it("offers the tools in the vendor's own format", async () => {
        await collect(c.create(server), request(c.model, { tools: TOOLS }));
        const body = sentBody(server);
        if (c.vendor === "anthropic") {
          expect(body.tools).to.deep.equal([
            { name: "get_weather", description: "The weather in a city now.", input_schema: WEATHER_SCHEMA },
            {
              name: "get_time",
              description: "The time now.",
              input_schema: { type: "object", properties: {} },
            },
          ]);
        } else {
          expect(body.tools).to.deep.equal([
            {
              type: "function",
              function: {
                name: "get_weather",
                description: "The weather in a city now.",
                parameters: WEATHER_SCHEMA,
              },
            },
            {
              type: "function",
              function: {
                name: "get_time",
                description: "The time now.",
                parameters: { type: "object", properties: {} },
              },
            },
          ]);
        }
      });

      it("sends no `tools` when the model may call none", async () => {
        await collect(c.create(server), request(c.model, { tools: [] }));
        expect(sentBody(server)).not.to.have.property("tools");
        await collect(c.create(server), request(c.model));
        expect(sentBody(server)).not.to.have.property("tools");
      });

      it("streams each call in pieces, then whole, then finishes with tool_calls", async () => {
        server.answer({
          chunks: ["Let me look."],
          toolCalls: CALLS,
          usage: { inputTokens: 80, outputTokens: 30 },
        });
        const parts = await collect(c.create(server), request(c.model, { tools: TOOLS }));

        expect(ofType(parts, "text-delta")).to.deep.equal([{ type: "text-delta", delta: "Let me look." }]);
        expect(
          parts.filter((p) => p.type === "tool-input-start" || p.type === "tool-input-delta"),
        ).to.deep.equal([
          { type: "tool-input-start", toolCallId: "call_weather_1", toolName: "get_weather" },
          { type: "tool-input-delta", toolCallId: "call_weather_1", delta: '{"ci' },
          { type: "tool-input-delta", toolCallId: "call_weather_1", delta: 'ty": "Par' },
          { type: "tool-input-delta", toolCallId: "call_weather_1", delta: 'is"}' },
          { type: "tool-input-start", toolCallId: "call_time_2", toolName: "get_time" },
        ]);
        const calls = ofType(parts, "tool-call");
        expect(calls).to.deep.equal([
          {
            type: "tool-call",
            toolCallId: "call_weather_1",
            toolName: "get_weather",
            input: '{"city": "Paris"}',
          },
          { type: "tool-call", toolCallId: "call_time_2", toolName: "get_time", input: "" },
        ]);
        expect(JSON.parse(calls[0]!.input)).to.deep.equal({ city: "Paris" });
        // Each call comes whole after its last piece; the finish comes last.
        const lastPiece = parts.findLastIndex((p) => p.type === "tool-input-delta");
        expect(parts.findIndex((p) => p.type === "tool-call")).to.be.greaterThan(lastPiece);
        expect(parts.at(-1)).to.deep.include({
          type: "finish",
          finishReason: "tool_calls",
          usage: { inputTokens: 80, outputTokens: 30 },
        });
        expect(ofType(parts, "finish")).to.have.length(1);
      });

      it("a call cut off mid-input never arrives whole", async () => {
        server.answer({ chunks: [], toolCalls: CALLS, cutAfterChunks: 2 });
        const parts: ChatStreamPart[] = [];
        let error: unknown;
        try {
          for await (const part of c.create(server).stream(request(c.model, { tools: TOOLS })))
            parts.push(part);
        } catch (err) {
          error = err;
        }
        expect(error).to.be.instanceOf(AppError);
        expect((error as AppError).code).to.equal("provider_error");
        expect(ofType(parts, "tool-input-start")).to.have.length(1);
        expect(ofType(parts, "tool-call")).to.deep.equal([]);
        expect(ofType(parts, "finish")).to.deep.equal([]);
      });

      if (c.vendor !== "anthropic") {
        it("reports tool_calls when a compatible server says `stop` after calling tools", async () => {
          server.answer({ chunks: [], toolCalls: [CALLS[1]!], finishReason: "stop" });
          const parts = await collect(c.create(server), request(c.model, { tools: TOOLS }));
          expect(ofType(parts, "tool-call")).to.have.length(1);
          expect(parts.at(-1)).to.deep.include({ type: "finish", finishReason: "tool_calls" });
        });
      }
    });

    describe("the step after the calls", () => {
      it("sends the assistant's calls and their results in the vendor's own messages", async () => {
        await collect(c.create(server), request(c.model, { tools: TOOLS, messages: AFTER_CALLS }));
        const body = sentBody(server);
        if (c.vendor === "anthropic") {
          expect(body.system).to.equal("You are Confab's helpful assistant.");
          expect(body.messages).to.deep.equal([
            { role: "user", content: QUESTION },
            {
              role: "assistant",
              content: [
                { type: "text", text: "Let me look." },
                { type: "tool_use", id: "call_weather_1", name: "get_weather", input: { city: "Paris" } },
                { type: "tool_use", id: "call_time_2", name: "get_time", input: {} },
              ],
            },
            {
              role: "user",
              content: [
                { type: "tool_result", tool_use_id: "call_weather_1", content: '{"celsius":18}' },
                {
                  type: "tool_result",
                  tool_use_id: "call_time_2",
                  content: "The members of the conversation denied this call.",
                  is_error: true,
                },
              ],
            },
          ]);
        } else {
          expect(body.messages).to.deep.equal([
            { role: "system", content: "You are Confab's helpful assistant." },
            { role: "user", content: QUESTION },
            {
              role: "assistant",
              content: "Let me look.",
              tool_calls: [
                {
                  id: "call_weather_1",
                  type: "function",
                  function: { name: "get_weather", arguments: '{"city":"Paris"}' },
                },
                { id: "call_time_2", type: "function", function: { name: "get_time", arguments: "{}" } },
              ],
            },
            { role: "tool", tool_call_id: "call_weather_1", content: '{"celsius":18}' },
            {
              role: "tool",
              tool_call_id: "call_time_2",
              content: "The members of the conversation denied this call.",
            },
          ]);
        }
      });

      it("sends calls made without text, and a user message after the results, as the vendor takes them", async () => {
        const messages: ChatRequest["messages"] = [
          { role: "user", content: QUESTION },
          { role: "assistant", content: "", toolCalls: [{ id: "call_time_2", name: "get_time", input: {} }] },
          { role: "tool", content: '"12:00"', toolCallId: "call_time_2", toolName: "get_time" },
          { role: "user", content: "And in Tokyo?", name: "Ada" },
        ];
        await collect(c.create(server), request(c.model, { tools: TOOLS, messages }));
        const sent = sentBody(server).messages as unknown[];
        if (c.vendor === "anthropic") {
          expect(sent.slice(1)).to.deep.equal([
            {
              role: "assistant",
              content: [{ type: "tool_use", id: "call_time_2", name: "get_time", input: {} }],
            },
            {
              role: "user",
              content: [
                { type: "tool_result", tool_use_id: "call_time_2", content: '"12:00"' },
                { type: "text", text: "Ada: And in Tokyo?" },
              ],
            },
          ]);
        } else {
          expect(sent.slice(1)).to.deep.equal([
            {
              role: "assistant",
              content: null,
              tool_calls: [
                { id: "call_time_2", type: "function", function: { name: "get_time", arguments: "{}" } },
              ],
            },
            { role: "tool", tool_call_id: "call_time_2", content: '"12:00"' },
            { role: "user", content: "And in Tokyo?", name: "Ada" },
          ]);
        }
      });

      it("answers after the results with text and finishes with stop", async () => {
        server.answer({ chunks: ["It is 18 °C in Paris."] });
        const parts = await collect(
          c.create(server),
          request(c.model, { tools: TOOLS, messages: AFTER_CALLS }),
        );
        expect(ofType(parts, "tool-call")).to.deep.equal([]);
        expect(parts.at(-1)).to.deep.include({ type: "finish", finishReason: "stop" });
      });
    });

    describe("reasoning", () => {
      it("streams the model's reasoning as reasoning deltas before the text", async () => {
        server.answer({
          reasoningChunks: ["The user asks ", "about Tom."],
          reasoningSignature: "sig-Tm9tIGlzIHRocmVl",
          chunks: ["Tom is three."],
        });
        const parts = await collect(c.create(server), request(c.model));
        const expected: ChatStreamPart[] = [
          { type: "reasoning-delta", delta: "The user asks " },
          { type: "reasoning-delta", delta: "about Tom." },
          ...(c.vendor === "anthropic"
            ? [{ type: "reasoning-signature" as const, signature: "sig-Tm9tIGlzIHRocmVl" }]
            : []),
          { type: "text-delta", delta: "Tom is three." },
        ];
        expect(parts.slice(0, -1)).to.deep.equal(expected);
        expect(parts.at(-1)).to.deep.include({ type: "finish", finishReason: "stop" });
      });

      it("reasons, then calls a tool", async () => {
        server.answer({ reasoningChunks: ["I need the time."], chunks: [], toolCalls: [CALLS[1]!] });
        const parts = await collect(c.create(server), request(c.model, { tools: TOOLS }));
        expect(parts.map((p) => p.type)).to.deep.equal([
          "reasoning-delta",
          ...(c.vendor === "anthropic" ? ["reasoning-signature"] : []),
          "tool-input-start",
          "tool-call",
          "finish",
        ]);
        expect(parts.at(-1)).to.deep.include({ finishReason: "tool_calls" });
      });

      if (c.vendor === "anthropic") {
        it("asks for extended thinking with room for the answer beyond its budget", async () => {
          await collect(c.create(server), request(c.model, { reasoning: { budgetTokens: 2048 } }));
          expect(sentBody(server)).to.deep.include({
            thinking: { type: "enabled", budget_tokens: 2048 },
            max_tokens: 2048 + 1024,
          });
          await collect(
            c.create(server),
            request(c.model, { reasoning: { budgetTokens: 2048 }, maxOutputTokens: 8000 }),
          );
          expect(sentBody(server)).to.deep.include({ max_tokens: 8000 });
          // The API takes no budget under 1024.
          await collect(c.create(server), request(c.model, { reasoning: { budgetTokens: 100 } }));
          expect(sentBody(server)).to.deep.include({
            thinking: { type: "enabled", budget_tokens: 1024 },
            max_tokens: 2048,
          });
          await collect(c.create(server), request(c.model));
          expect(sentBody(server)).not.to.have.property("thinking");
        });

        it("sends the signed thinking back before the tool calls within the answer's steps", async () => {
          const messages = structuredClone(AFTER_CALLS);
          messages[2]!.thinking = [{ text: "I need the weather and the time.", signature: "sig-abc" }];
          await collect(
            c.create(server),
            request(c.model, { tools: TOOLS, messages, reasoning: { budgetTokens: 1024 } }),
          );
          const sent = sentBody(server).messages as { content: unknown }[];
          expect(sent[1]!.content).to.deep.equal([
            { type: "thinking", thinking: "I need the weather and the time.", signature: "sig-abc" },
            { type: "text", text: "Let me look." },
            { type: "tool_use", id: "call_weather_1", name: "get_weather", input: { city: "Paris" } },
            { type: "tool_use", id: "call_time_2", name: "get_time", input: {} },
          ]);
        });
      } else {
        it("sends no reasoning settings (the request's reasoning is Anthropic's)", async () => {
          await collect(c.create(server), request(c.model, { reasoning: { budgetTokens: 2048 } }));
          const body = sentBody(server);
          expect(body).not.to.have.property("thinking");
          expect(body).not.to.have.property("reasoning_effort");
        });
      }
    });
  });
}
