// Covers: src/providers/openai/, src/providers/anthropic/, src/providers/groq/,
// src/providers/openai-compatible-stream.ts, stream-guard.ts, provider-error.ts, vendor-client.ts.
import { expect } from "chai";
import { createServer } from "node:net";
import type { AddressInfo } from "node:net";
import { AppError } from "../../src/errors.js";
import { AnthropicChatModel } from "../../src/providers/anthropic/index.js";
import type { ChatModel, ChatRequest, ChatStreamPart } from "../../src/providers/chat-model.js";
import { GroqChatModel } from "../../src/providers/groq/index.js";
import { OpenAIChatModel } from "../../src/providers/openai/index.js";
import { type RecordedRequest, type Vendor, VendorServer } from "../support/vendor-server.js";
import { waitUntil, within } from "../support/waiting.js";

/**
 * The three vendor models, each through its real SDK client, against a local server that speaks the
 * vendor's wire format: what the vendor receives, what the model yields, and how every failure ends
 * as a provider_error (retried only before the first token).
 */

const KEY = "sk-test-7f3a9c2e1b4d6f8a0c2e4b6d8f0a1c3e";
const LIMIT_MS = 200;

interface ModelOptions {
  maxRetries?: number;
  firstTokenTimeoutMs?: number;
  stallTimeoutMs?: number;
  baseURL?: string;
}

interface VendorCase {
  vendor: Vendor;
  model: string;
  create(server: VendorServer, options?: ModelOptions): ChatModel;
  /** The vendor's own name for a "length" finish. */
  lengthReason: string;
  /** The status the vendor uses when overloaded. */
  overloadedStatus: number;
  overloadedMessage: string;
  streamErrorMessage: string;
}

const timeouts = { firstTokenTimeoutMs: LIMIT_MS, stallTimeoutMs: LIMIT_MS };

const CASES: VendorCase[] = [
  {
    vendor: "openai",
    model: "gpt-4.1-mini",
    create: (server, options) =>
      new OpenAIChatModel({ apiKey: KEY, baseURL: server.baseURL, ...timeouts, ...options }),
    lengthReason: "length",
    overloadedStatus: 503,
    overloadedMessage: "openai server error (503)",
    streamErrorMessage:
      "openai reported an error during the answer: The server had an error while processing your request. Sorry about that!",
  },
  {
    vendor: "anthropic",
    model: "claude-sonnet-5-5",
    create: (server, options) =>
      new AnthropicChatModel({ apiKey: KEY, baseURL: server.baseURL, ...timeouts, ...options }),
    lengthReason: "max_tokens",
    overloadedStatus: 529,
    overloadedMessage: "anthropic is overloaded (529)",
    streamErrorMessage: "anthropic reported an error during the answer: Overloaded",
  },
  {
    vendor: "groq",
    model: "llama-3.3-70b-versatile",
    create: (server, options) =>
      new GroqChatModel({ apiKey: KEY, baseURL: server.baseURL, ...timeouts, ...options }),
    lengthReason: "length",
    overloadedStatus: 503,
    overloadedMessage: "groq server error (503)",
    streamErrorMessage: "groq stopped the answer early: Service Unavailable: the model stopped responding",
  },
];

const MESSAGES: ChatRequest["messages"] = [
  { role: "system", content: "You are Confab's helpful assistant." },
  { role: "system", content: "Summary of earlier turns: the user has a cat called Tom." },
  { role: "user", content: "What is my cat called?" },
  { role: "assistant", content: "Your cat is called Tom." },
  { role: "user", content: "And how old is he?" },
];

function request(model: string, overrides: Partial<ChatRequest> = {}): ChatRequest {
  return {
    model,
    messages: MESSAGES,
    temperature: 0.3,
    maxOutputTokens: 256,
    abortSignal: new AbortController().signal,
    ...overrides,
  };
}

interface Outcome {
  parts: ChatStreamPart[];
  error: unknown;
}

async function run(model: ChatModel, req: ChatRequest): Promise<Outcome> {
  const parts: ChatStreamPart[] = [];
  try {
    for await (const part of model.stream(req)) parts.push(part);
    return { parts, error: undefined };
  } catch (error) {
    return { parts, error };
  }
}

function text(parts: ChatStreamPart[]): string {
  return parts.map((p) => (p.type === "text-delta" ? p.delta : "")).join("");
}

function expectProviderError(outcome: Outcome, message: string): AppError {
  expect(outcome.error, "the stream should have thrown").to.be.instanceOf(AppError);
  const error = outcome.error as AppError;
  expect(error.code).to.equal("provider_error");
  expect(error.message).to.equal(message);
  expect(error.message).not.to.include(KEY);
  expect(outcome.parts.filter((p) => p.type === "finish")).to.have.length(0);
  return error;
}

/** Resolves once the vendor has seen its connection close, or fails the test after a while. */
async function closedWithin(record: RecordedRequest | undefined, ms = 2000): Promise<void> {
  expect(record, "the vendor should have received the request").to.not.equal(undefined);
  await within("the vendor's request to be closed", record!.closed, ms);
  expect(record!.closedByClient, "the client should have closed the request").to.equal(true);
}

function authHeaderOf(record: RecordedRequest): string {
  const { authorization, "x-api-key": apiKey } = record.headers;
  return [authorization, apiKey].filter((v) => typeof v === "string").join(" ");
}

for (const c of CASES) {
  describe(`the ${c.vendor} chat model against a local ${c.vendor} server`, () => {
    let server: VendorServer;

    before(async () => {
      server = await VendorServer.start(c.vendor);
    });
    afterEach(() => server.reset());
    after(() => server.close());

    describe("a normal answer", () => {
      it("sends the vendor the request it expects", async () => {
        const outcome = await run(c.create(server), request(c.model));
        expect(outcome.error).to.equal(undefined);
        expect(server.requests).to.have.length(1);
        const received = server.requests[0]!;
        expect(received.method).to.equal("POST");
        expect(received.path).to.equal(server.path);
        expect(authHeaderOf(received)).to.include(KEY);
        const body = received.body as Record<string, unknown>;
        expect(body.model).to.equal(c.model);
        expect(body.stream).to.equal(true);

        if (c.vendor === "anthropic") {
          expect(received.headers["anthropic-version"]).to.be.a("string");
          // Both system messages, joined, in the `system` field; none of them in `messages`.
          expect(body.system).to.equal(
            "You are Confab's helpful assistant.\n\nSummary of earlier turns: the user has a cat called Tom.",
          );
          expect(body.messages).to.deep.equal([
            { role: "user", content: "What is my cat called?" },
            { role: "assistant", content: "Your cat is called Tom." },
            { role: "user", content: "And how old is he?" },
          ]);
          expect(body.max_tokens).to.equal(256);
          // API version 2026-10-21 (sent by @anthropic-ai/sdk 1.x) rejects any temperature.
          expect(body).not.to.have.property("temperature");
        } else {
          expect(body.messages).to.deep.equal(MESSAGES);
          expect(body.temperature).to.equal(0.3);
          if (c.vendor === "openai") {
            // A compatible server (here: a baseURL that is not api.openai.com) gets max_tokens.
            expect(body.max_tokens).to.equal(256);
            expect(body).not.to.have.property("max_completion_tokens");
            expect(body.stream_options).to.deep.equal({ include_usage: true });
          } else {
            expect(body.max_completion_tokens).to.equal(256);
          }
        }
      });

      if (c.vendor === "anthropic") {
        it("asks for 1024 tokens when the request sets no maximum, as the API requires one", async () => {
          await run(c.create(server), request(c.model, { maxOutputTokens: undefined }));
          expect((server.requests[0]!.body as Record<string, unknown>).max_tokens).to.equal(1024);
        });
      }

      it("yields the text deltas, then one finish with the mapped reason, the usage and the model", async () => {
        server.answer({
          chunks: ["Tom ", "is ", "three."],
          usage: { inputTokens: 57, outputTokens: 4 },
          model: `${c.model}-served`,
        });
        const outcome = await run(c.create(server), request(c.model));
        expect(outcome.error).to.equal(undefined);
        expect(outcome.parts).to.deep.equal([
          { type: "text-delta", delta: "Tom " },
          { type: "text-delta", delta: "is " },
          { type: "text-delta", delta: "three." },
          {
            type: "finish",
            finishReason: "stop",
            usage: { inputTokens: 57, outputTokens: 4 },
            modelUsed: `${c.model}-served`,
          },
        ]);
      });

      it("maps the vendor's length reason to `length`", async () => {
        server.answer({ finishReason: c.lengthReason });
        const { parts } = await run(c.create(server), request(c.model));
        expect(parts.at(-1)).to.include({ type: "finish", finishReason: "length" });
      });

      it("leaves the usage undefined when the vendor reports none, for the caller to estimate", async () => {
        server.answer({ usage: null });
        const { parts, error } = await run(c.create(server), request(c.model));
        expect(error).to.equal(undefined);
        const finish = parts.at(-1);
        expect(finish?.type).to.equal("finish");
        expect(finish).to.have.property("usage", undefined);
      });

      if (c.vendor === "groq") {
        it("also reads the usage from the top-level `usage` field", async () => {
          server.answer({ usage: { inputTokens: 9, outputTokens: 2 }, groqUsageAtTopLevel: true });
          const { parts } = await run(c.create(server), request(c.model));
          expect(parts.at(-1)).to.deep.include({ usage: { inputTokens: 9, outputTokens: 2 } });
        });
      }
    });

    describe("aborting", () => {
      it("closes the vendor's request mid-answer and ends the stream quietly", async () => {
        server.answer({ chunks: ["Tom ", "is ", "three."], stallAfterChunks: 1 });
        const controller = new AbortController();
        const model = c.create(server, { stallTimeoutMs: 10_000 });
        const parts: ChatStreamPart[] = [];
        for await (const part of model.stream(request(c.model, { abortSignal: controller.signal }))) {
          parts.push(part);
          controller.abort();
        }
        expect(parts).to.deep.equal([{ type: "text-delta", delta: "Tom " }]);
        await closedWithin(server.requests[0]);
      });

      it("closes the vendor's request while waiting for the first token, quietly", async () => {
        server.answer({ responseDelayMs: 5_000 });
        const controller = new AbortController();
        const model = c.create(server, { firstTokenTimeoutMs: 10_000 });
        const running = run(model, request(c.model, { abortSignal: controller.signal }));
        await waitUntil("the vendor to receive the request", () => server.requests.length > 0);
        controller.abort();
        const outcome = await running;
        expect(outcome).to.deep.equal({ parts: [], error: undefined });
        await closedWithin(server.requests[0]);
      });
    });

    describe("failures end the stream with a provider_error", () => {
      it("a rejected key (401), without retrying", async () => {
        server.failNext(401, 3);
        const outcome = await run(c.create(server, { maxRetries: 2 }), request(c.model));
        expectProviderError(outcome, `${c.vendor} rejected the API key (401)`);
        expect(server.requests).to.have.length(1);
      });

      it("a rejected key (401) even when the server marks it retryable", async () => {
        server.failNext(401, 3, { "x-should-retry": "true", "retry-after-ms": "1" });
        const outcome = await run(c.create(server), request(c.model));
        expectProviderError(outcome, `${c.vendor} rejected the API key (401)`);
        expect(server.requests).to.have.length(1);
      });

      it("a refused access (403), without retrying", async () => {
        server.failNext(403, 3);
        const outcome = await run(c.create(server), request(c.model));
        expectProviderError(outcome, `${c.vendor} refused access (403)`);
        expect(server.requests).to.have.length(1);
      });

      it("a rejected request (400), quoting the vendor without the key it echoed", async () => {
        server.failNext(400);
        const outcome = await run(c.create(server), request(c.model));
        expect((outcome.error as AppError).message).to.match(
          new RegExp(`^${c.vendor} rejected the request \\(400\\): Invalid request for key \\[redacted\\]: `),
        );
        expectProviderError(outcome, (outcome.error as AppError).message);
      });

      it("a rate limit (429) still there after two retries", async () => {
        server.failNext(429, 3);
        const outcome = await run(c.create(server), request(c.model));
        const error = expectProviderError(outcome, `${c.vendor} rate limit reached (429)`);
        expect(error.retryAfterMs).to.equal(1);
        expect(server.requests).to.have.length(3);
      });

      it("a rate limit (429) asking for a wait longer than the first-token limit, at once", async () => {
        server.failNext(429, 3, { "retry-after": "60" });
        const started = performance.now();
        const outcome = await run(c.create(server, { firstTokenTimeoutMs: 30_000 }), request(c.model));
        const error = expectProviderError(outcome, `${c.vendor} rate limit reached (429)`);
        expect(error.retryAfterMs).to.equal(60_000);
        expect(server.requests).to.have.length(1);
        expect(performance.now() - started).to.be.lessThan(1_000);
      });

      it("a server error (500) still there after two retries", async () => {
        server.failNext(500, 3);
        const outcome = await run(c.create(server), request(c.model));
        expectProviderError(outcome, `${c.vendor} server error (500)`);
        expect(server.requests).to.have.length(3);
      });

      it(`an overloaded vendor (${c.overloadedStatus})`, async () => {
        server.failNext(c.overloadedStatus, 3);
        const outcome = await run(c.create(server), request(c.model));
        expectProviderError(outcome, c.overloadedMessage);
        expect(server.requests).to.have.length(3);
      });

      it("malformed data in the stream", async () => {
        server.answer({ chunks: ["Tom ", "is ", "three."], malformedAfterChunks: 1 });
        const outcome = await run(c.create(server), request(c.model));
        expectProviderError(outcome, `the ${c.vendor} stream sent malformed data`);
        expect(text(outcome.parts)).to.equal("Tom ");
        expect(server.requests).to.have.length(1);
      });

      it("an error event inside the stream, without retrying", async () => {
        server.answer({ chunks: ["Tom ", "is ", "three."], errorEventAfterChunks: 1 });
        const outcome = await run(c.create(server), request(c.model));
        expectProviderError(outcome, c.streamErrorMessage);
        expect(server.requests).to.have.length(1);
      });

      it("a connection cut mid-answer, without retrying after the first token", async () => {
        server.answer({ chunks: ["Tom ", "is ", "three."], cutAfterChunks: 1 });
        const outcome = await run(c.create(server, { maxRetries: 2 }), request(c.model));
        expectProviderError(outcome, `the ${c.vendor} stream was cut off before it finished`);
        expect(text(outcome.parts)).to.equal("Tom ");
        expect(server.requests).to.have.length(1);
      });

      it("a response that ends cleanly before its final event", async () => {
        server.answer({ chunks: ["Tom ", "is ", "three."], endAfterChunks: 2 });
        const outcome = await run(c.create(server), request(c.model));
        expectProviderError(outcome, `the ${c.vendor} stream was cut off before it finished`);
        expect(text(outcome.parts)).to.equal("Tom is ");
      });

      it("no first token in time (headers sent, then silence), closing the vendor's request", async () => {
        server.answer({ firstChunkDelayMs: 5_000 });
        const started = performance.now();
        const outcome = await run(c.create(server), request(c.model));
        expectProviderError(outcome, `${c.vendor} sent no first token within ${LIMIT_MS} ms`);
        expect(performance.now() - started).to.be.lessThan(2_000);
        await closedWithin(server.requests[0]);
      });

      it("no first token in time (no response at all), closing the vendor's request", async () => {
        server.answer({ responseDelayMs: 5_000 });
        const outcome = await run(c.create(server), request(c.model));
        expectProviderError(outcome, `${c.vendor} sent no first token within ${LIMIT_MS} ms`);
        await closedWithin(server.requests[0]);
      });

      it("a stall between chunks, closing the vendor's request", async () => {
        server.answer({ chunks: ["Tom ", "is ", "three."], stallAfterChunks: 2 });
        const outcome = await run(c.create(server), request(c.model));
        expectProviderError(outcome, `${c.vendor} stalled for ${LIMIT_MS} ms between chunks`);
        expect(text(outcome.parts)).to.equal("Tom is ");
        await closedWithin(server.requests[0]);
      });

      it("nothing listening at the address", async () => {
        const closedURL = await unusedURL(c.vendor === "openai" ? "/v1" : "");
        const outcome = await run(c.create(server, { baseURL: closedURL, maxRetries: 0 }), request(c.model));
        expectProviderError(outcome, `could not connect to ${c.vendor}`);
      });
    });

    describe("retries", () => {
      it("retries a rate limit (429) twice, then answers", async () => {
        server.failNext(429, 2);
        const outcome = await run(c.create(server), request(c.model));
        expect(outcome.error).to.equal(undefined);
        expect(text(outcome.parts)).to.equal("Hello!");
        expect(server.requests).to.have.length(3);
      });

      it("retries a server error (500) twice, then answers", async () => {
        server.failNext(500, 2);
        const outcome = await run(c.create(server), request(c.model));
        expect(outcome.error).to.equal(undefined);
        expect(text(outcome.parts)).to.equal("Hello!");
        expect(server.requests).to.have.length(3);
      });

      it("does not retry when maxRetries is 0", async () => {
        server.failNext(500, 1);
        const outcome = await run(c.create(server, { maxRetries: 0 }), request(c.model));
        expectProviderError(outcome, `${c.vendor} server error (500)`);
        expect(server.requests).to.have.length(1);
      });
    });
  });
}

/** A URL on which nothing listens: a port that was just free. */
async function unusedURL(path: string): Promise<string> {
  const probe = createServer();
  await new Promise<void>((resolve) => probe.listen(0, "127.0.0.1", resolve));
  const { port } = probe.address() as AddressInfo;
  await new Promise<void>((resolve) => probe.close(() => resolve()));
  return `http://127.0.0.1:${port}${path}`;
}
