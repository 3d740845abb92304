import { readFileSync } from "node:fs";
import {
  createServer,
  type IncomingHttpHeaders,
  type IncomingMessage,
  type Server,
  type ServerResponse,
} from "node:http";
import type { AddressInfo } from "node:net";
import { setTimeout as sleep } from "node:timers/promises";

/**
 * A local stand-in for the LLM vendors, speaking each one's streaming wire format so that the real
 * SDK clients can be tested without a network: OpenAI chat-completions SSE (`data: {…}` chunks, a
 * usage chunk, `data: [DONE]`), Anthropic Messages SSE (`event: message_start` … `message_stop`) and
 * Groq (OpenAI's format with `x_groq.usage` on the last chunk). Streams are rebuilt from
 * recorded-format fixtures, with the scripted text and usage put in.
 *
 * It records every request and can be scripted per test: an answer (with reasoning and tool calls,
 * each in the vendor's own events), error statuses for the next requests, a connection cut,
 * malformed data, a wait before the first token, a stall.
 */

export type Vendor = "openai" | "anthropic" | "groq";

/** A tool call the scripted answer makes, its arguments in pieces as the vendor streams them. */
export interface ScriptedToolCall {
  id: string;
  name: string;
  /** The pieces of the arguments' JSON text, one per SSE event (none: a call without input). */
  argumentsChunks: string[];
}

export interface AnswerScript {
  /** The text chunks, one per SSE event. */
  chunks: string[];
  /**
   * Reasoning chunks before the text, one per SSE event: `reasoning_content` deltas (OpenAI-compatible
   * servers), `reasoning` deltas (Groq), a thinking block closed by a `signature_delta` (Anthropic).
   */
  reasoningChunks?: string[];
  /** Anthropic only: the thinking block's signature; a fixed one when absent. */
  reasoningSignature?: string;
  /**
   * Tool calls after the text, each streamed in pieces: `tool_calls` deltas with an index (OpenAI,
   * Groq), a `tool_use` block with `input_json_delta`s (Anthropic). With calls the finish reason is
   * the vendor's own for them ("tool_calls", "tool_use") unless `finishReason` says otherwise. All
   * these events count as chunks for the `…AfterChunks` options.
   */
  toolCalls?: ScriptedToolCall[];
  /** Token counts to report; null reports none (no usage chunk / field). */
  usage?: { inputTokens: number; outputTokens: number } | null;
  /** The vendor's own finish reason ("length", "max_tokens"…); the fixture's when absent. */
  finishReason?: string;
  /** Served model name; the fixture's when absent. */
  model?: string;
  /** Groq only: put the usage at the top level (OpenAI's place) instead of in `x_groq`. */
  groqUsageAtTopLevel?: boolean;
  /** Wait before sending the response headers. */
  responseDelayMs?: number;
  /** Wait after the preamble (role chunk, message_start) before the first text chunk. */
  firstChunkDelayMs?: number;
  /** Wait this long before each text chunk after the first (a model writing at its own pace). */
  chunkDelayMs?: number;
  /** After this many text chunks, send nothing more but keep the connection open. */
  stallAfterChunks?: number;
  /** After this many text chunks, destroy the socket mid-response. */
  cutAfterChunks?: number;
  /** After this many text chunks, end the response cleanly, without the final events. */
  endAfterChunks?: number;
  /** After this many text chunks, send a truncated JSON event and end. */
  malformedAfterChunks?: number;
  /** After this many text chunks, send the vendor's in-stream error event and end. */
  errorEventAfterChunks?: number;
}

export interface RecordedRequest {
  method: string;
  path: string;
  headers: IncomingHttpHeaders;
  body: unknown;
  /** The client closed the connection before the response was complete. */
  closedByClient: boolean;
  /** Resolves when the connection of this request has closed (for whatever reason). */
  closed: Promise<void>;
}

const PATHS: Record<Vendor, string> = {
  openai: "/v1/chat/completions",
  anthropic: "/v1/messages",
  groq: "/openai/v1/chat/completions",
};

const DEFAULT_SCRIPT: AnswerScript = { chunks: ["Hello", "!"], usage: { inputTokens: 21, outputTokens: 2 } };

export class VendorServer {
  readonly requests: RecordedRequest[] = [];
  script: AnswerScript = DEFAULT_SCRIPT;
  private failures: { status: number; headers: Record<string, string> }[] = [];
  private shuttingDown = false;

  private constructor(
    readonly vendor: Vendor,
    private readonly server: Server,
    readonly url: string,
  ) {}

  static async start(vendor: Vendor): Promise<VendorServer> {
    const server = createServer();
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const { port } = server.address() as AddressInfo;
    const vendorServer = new VendorServer(vendor, server, `http://127.0.0.1:${port}`);
    server.on("request", (req: IncomingMessage, res: ServerResponse) => {
      vendorServer.handle(req, res).catch((err: unknown) => {
        res.destroy(err instanceof Error ? err : undefined);
      });
    });
    return vendorServer;
  }

  /** What to give the SDK as `baseURL`: each SDK appends its own path to it. */
  get baseURL(): string {
    return this.vendor === "openai" ? `${this.url}/v1` : this.url;
  }

  get path(): string {
    return PATHS[this.vendor];
  }

  /**
   * The next `times` requests get `status` with the vendor's JSON error body and these headers. The
   * default `retry-after-ms: 1` is honoured by the SDKs, so retries in tests wait 1 ms, not seconds.
   */
  failNext(status: number, times = 1, headers: Record<string, string> = { "retry-after-ms": "1" }): void {
    for (let i = 0; i < times; i++) this.failures.push({ status, headers });
  }

  answer(script: Partial<AnswerScript>): void {
    this.script = { ...DEFAULT_SCRIPT, ...script };
  }

  reset(): void {
    this.requests.length = 0;
    this.failures = [];
    this.script = DEFAULT_SCRIPT;
  }

  async close(): Promise<void> {
    this.shuttingDown = true;
    this.server.closeAllConnections();
    await new Promise<void>((resolve, reject) => this.server.close((err) => (err ? reject(err) : resolve())));
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const raw = await readBody(req);
    let closeConnection!: () => void;
    const record: RecordedRequest = {
      method: req.method ?? "",
      path: req.url ?? "",
      headers: req.headers,
      body: parseJson(raw),
      closedByClient: false,
      closed: new Promise<void>((resolve) => (closeConnection = resolve)),
    };
    this.requests.push(record);
    let cutByServer = false;
    res.on("close", () => {
      if (!res.writableEnded && !cutByServer && !this.shuttingDown) record.closedByClient = true;
      closeConnection();
    });

    const key = keyOf(req.headers);
    if (record.method !== "POST" || record.path !== this.path) {
      return this.sendError(res, 404, key);
    }
    const failure = this.failures.shift();
    if (failure) return this.sendError(res, failure.status, key, failure.headers);

    const script = this.script;
    const frames = buildFrames(this.vendor, script);
    // Waits end when the connection does, so that a closed server leaves no timer behind.
    const connection = new AbortController();
    res.on("close", () => connection.abort());
    const pause = (ms: number) => sleep(ms, undefined, { signal: connection.signal }).catch(() => undefined);
    if (script.responseDelayMs) await pause(script.responseDelayMs);
    if (res.destroyed) return;
    res.writeHead(200, {
      "content-type": "text/event-stream; charset=utf-8",
      "cache-control": "no-cache",
      ...requestIdHeader(this.vendor),
    });
    for (const frame of frames.preamble) await write(res, frame);

    const stopAfter = (limit: number | undefined, sent: number) => limit !== undefined && sent === limit;
    for (let sent = 0; ; sent++) {
      if (stopAfter(script.stallAfterChunks, sent)) {
        // Keep the connection open until the client gives up (or the server shuts down).
        await record.closed;
        return;
      }
      if (stopAfter(script.cutAfterChunks, sent)) {
        cutByServer = true;
        res.socket?.destroy();
        return;
      }
      if (stopAfter(script.endAfterChunks, sent)) {
        res.end();
        return;
      }
      if (stopAfter(script.malformedAfterChunks, sent)) {
        await write(res, frames.malformed);
        res.end();
        return;
      }
      if (stopAfter(script.errorEventAfterChunks, sent)) {
        await write(res, frames.errorEvent);
        res.end();
        return;
      }
      const frame = frames.text[sent];
      if (frame === undefined) break;
      if (sent === 0 && script.firstChunkDelayMs) await pause(script.firstChunkDelayMs);
      if (sent > 0 && script.chunkDelayMs) await pause(script.chunkDelayMs);
      if (res.destroyed) return;
      await write(res, frame);
    }
    for (const frame of frames.ending) await write(res, frame);
    res.end();
  }

  private sendError(
    res: ServerResponse,
    status: number,
    key: string,
    headers: Record<string, string> = {},
  ): void {
    const bodies = ERRORS[this.vendor];
    const body = bodies[String(status)] ?? bodies["500"];
    res.writeHead(status, {
      "content-type": "application/json",
      ...requestIdHeader(this.vendor),
      ...headers,
    });
    res.end(JSON.stringify(body).split("$KEY").join(key));
  }
}

interface Frames {
  preamble: string[];
  text: string[];
  ending: string[];
  malformed: string;
  errorEvent: string;
}

interface SseEvent {
  event: string | undefined;
  data: string;
}

type Json = Record<string, unknown>;

function buildFrames(vendor: Vendor, script: AnswerScript): Frames {
  return vendor === "anthropic" ? anthropicFrames(script) : openAIFormatFrames(vendor, script);
}

/** OpenAI and Groq: role chunk, content chunks, finish chunk, (OpenAI) usage chunk, [DONE]. */
function openAIFormatFrames(vendor: "openai" | "groq", script: AnswerScript): Frames {
  const events = FIXTURES[vendor].map((e) => e.data);
  const chunks = events.filter((d) => d !== "[DONE]").map((d) => JSON.parse(d) as Json);
  const choiceOf = (c: Json) => (c.choices as Json[])[0];
  const deltaOf = (c: Json) => choiceOf(c)?.delta as Json | undefined;
  const role = chunks.find((c) => deltaOf(c)?.role !== undefined)!;
  const content = chunks.find((c) => typeof deltaOf(c)?.content === "string" && deltaOf(c)?.content !== "")!;
  const finish = chunks.find((c) => choiceOf(c)?.finish_reason)!;
  const usageChunk = chunks.find((c) => (c.choices as Json[]).length === 0 && c.usage);
  const withModel = (c: Json): Json => (script.model ? { ...c, model: script.model } : c);
  const frame = (c: Json) => `data: ${JSON.stringify(withModel(c))}\n\n`;

  const delta = (d: Json) => frame({ ...content, choices: [{ ...choiceOf(content), delta: d }] });
  const reasoningField = vendor === "groq" ? "reasoning" : "reasoning_content";
  const text = [
    ...(script.reasoningChunks ?? []).map((t) => delta({ [reasoningField]: t })),
    ...script.chunks.map((t) => delta({ content: t })),
    ...(script.toolCalls ?? []).flatMap((call, index) => toolCallDeltas(call, index).map(delta)),
  ];
  const finishReason = script.finishReason ?? (script.toolCalls?.length ? "tool_calls" : undefined);
  const finishChunk: Json = {
    ...finish,
    choices: [{ ...choiceOf(finish), finish_reason: finishReason ?? choiceOf(finish)?.finish_reason }],
  };
  const ending: string[] = [];
  if (vendor === "groq") {
    const xGroq = { ...(finish.x_groq as Json) };
    delete xGroq.usage;
    if (script.usage && !script.groqUsageAtTopLevel) {
      xGroq.usage = withUsage((finish.x_groq as Json).usage, script.usage);
    }
    finishChunk.x_groq = xGroq;
    if (script.usage && script.groqUsageAtTopLevel) {
      finishChunk.usage = withUsage((finish.x_groq as Json).usage, script.usage);
    }
    ending.push(frame(finishChunk));
  } else {
    ending.push(frame(finishChunk));
    if (script.usage && usageChunk) {
      ending.push(frame({ ...usageChunk, usage: withUsage(usageChunk.usage, script.usage) }));
    }
  }
  ending.push("data: [DONE]\n\n");

  const errorEvent =
    vendor === "groq"
      ? frame({ ...role, choices: [], x_groq: { id: (role.x_groq as Json).id, error: ERRORS.groq.stream } })
      : `data: ${JSON.stringify(ERRORS.openai.stream)}\n\n`;
  return {
    preamble: [frame(role)],
    text,
    ending,
    malformed: frame(content).slice(0, 60) + "\n\n",
    errorEvent,
  };
}

/** A tool call as chat completions stream it: its id and name first, then its arguments in pieces. */
function toolCallDeltas(call: ScriptedToolCall, index: number): Json[] {
  const opening = { index, id: call.id, type: "function", function: { name: call.name, arguments: "" } };
  return [
    { tool_calls: [opening] },
    ...call.argumentsChunks.map((piece) => ({ tool_calls: [{ index, function: { arguments: piece } }] })),
  ];
}

function withUsage(recorded: unknown, usage: { inputTokens: number; outputTokens: number }): Json {
  return {
    ...(recorded as Json),
    prompt_tokens: usage.inputTokens,
    completion_tokens: usage.outputTokens,
    total_tokens: usage.inputTokens + usage.outputTokens,
  };
}

/**
 * message_start, then the content blocks (thinking with its signature, text, tool_use with its JSON
 * in pieces), each opened by content_block_start and closed by content_block_stop, with a ping after
 * the first opening, then message_delta and message_stop.
 */
function anthropicFrames(script: AnswerScript): Frames {
  const events = FIXTURES.anthropic.map((e) => ({ event: e.event, data: JSON.parse(e.data) as Json }));
  const frame = (event: string, data: Json) => `event: ${event}\ndata: ${JSON.stringify(data)}\n\n`;
  const find = (type: string) => events.find((e) => e.event === type)!.data;

  const start = find("message_start");
  const message = { ...(start.message as Json) };
  if (script.model) message.model = script.model;
  const delta = find("message_delta");
  const stopReason = script.finishReason ?? (script.toolCalls?.length ? "tool_use" : undefined);
  const messageDelta: Json = {
    ...delta,
    delta: { ...(delta.delta as Json), stop_reason: stopReason ?? (delta.delta as Json).stop_reason },
  };
  if (script.usage) {
    message.usage = { ...(message.usage as Json), input_tokens: script.usage.inputTokens, output_tokens: 1 };
    messageDelta.usage = {
      ...(delta.usage as Json),
      input_tokens: script.usage.inputTokens,
      output_tokens: script.usage.outputTokens,
    };
  } else {
    // Anthropic itself always reports usage; a proxy in front of it may not.
    delete message.usage;
    delete messageDelta.usage;
  }
  const textDelta = find("content_block_delta");
  const blocks = anthropicBlocks(script, textDelta, find("content_block_start"));
  const sequence = blocks.flatMap((b, i) => [
    { frame: frame("content_block_start", b.start), counted: false },
    ...(i === 0 ? [{ frame: frame("ping", find("ping")), counted: false }] : []),
    ...b.deltas.map((d) => ({ frame: frame("content_block_delta", d.data), counted: d.counted })),
    {
      frame: frame("content_block_stop", { type: "content_block_stop", index: b.start.index }),
      counted: false,
    },
  ]);
  const grouped = groupFrames(sequence);
  return {
    preamble: [frame("message_start", { ...start, message }), ...grouped.leading],
    text: grouped.counted,
    ending: [
      ...grouped.trailing,
      frame("message_delta", messageDelta),
      frame("message_stop", find("message_stop")),
    ],
    malformed: frame("content_block_delta", textDelta).slice(0, 70) + "\n\n",
    errorEvent: frame("error", ERRORS.anthropic.stream as Json),
  };
}

interface AnthropicBlock {
  start: Json & { index: number };
  /** The block's deltas; the uncounted ones go out with the next counted one. */
  deltas: { data: Json; counted: boolean }[];
}

/** The content blocks a script makes: thinking, text (also when nothing else), tool uses. */
function anthropicBlocks(script: AnswerScript, textDelta: Json, textStart: Json): AnthropicBlock[] {
  const blocks: AnthropicBlock[] = [];
  const deltaAt = (index: number, delta: Json, counted = true) => ({
    data: { type: "content_block_delta", index, delta },
    counted,
  });
  if (script.reasoningChunks?.length) {
    const index = blocks.length;
    const signature = script.reasoningSignature ?? "EqQBCkgIARABGAIiQL2mWsig2e0bV3Pq";
    blocks.push({
      start: {
        type: "content_block_start",
        index,
        content_block: { type: "thinking", thinking: "", signature: "" },
      },
      deltas: [
        ...script.reasoningChunks.map((t) => deltaAt(index, { type: "thinking_delta", thinking: t })),
        deltaAt(index, { type: "signature_delta", signature }),
      ],
    });
  }
  const toolCalls = script.toolCalls ?? [];
  if (script.chunks.length > 0 || blocks.length + toolCalls.length === 0) {
    const index = blocks.length;
    blocks.push({
      start: { ...textStart, index },
      deltas: script.chunks.map((t) => ({
        data: { ...textDelta, index, delta: { ...(textDelta.delta as Json), text: t } },
        counted: true,
      })),
    });
  }
  for (const call of toolCalls) {
    const index = blocks.length;
    blocks.push({
      start: {
        type: "content_block_start",
        index,
        content_block: { type: "tool_use", id: call.id, name: call.name, input: {} },
      },
      deltas: [
        // The API opens every tool input with an empty piece.
        deltaAt(index, { type: "input_json_delta", partial_json: "" }, false),
        ...call.argumentsChunks.map((piece) =>
          deltaAt(index, { type: "input_json_delta", partial_json: piece }),
        ),
      ],
    });
  }
  return blocks;
}

/**
 * Frames for the chunk counting of the scripted failures: the events before the first counted one
 * each on their own (the preamble), every counted event with the uncounted ones just before it in
 * one write, and those after the last counted one (the ending).
 */
function groupFrames(sequence: { frame: string; counted: boolean }[]): {
  leading: string[];
  counted: string[];
  trailing: string[];
} {
  const firstCounted = sequence.findIndex((e) => e.counted);
  if (firstCounted === -1) return { leading: sequence.map((e) => e.frame), counted: [], trailing: [] };
  const leading = sequence.slice(0, firstCounted).map((e) => e.frame);
  const counted: string[] = [];
  let pending: string[] = [];
  for (const e of sequence.slice(firstCounted)) {
    pending.push(e.frame);
    if (e.counted) {
      counted.push(pending.join(""));
      pending = [];
    }
  }
  return { leading, counted, trailing: pending };
}

function requestIdHeader(vendor: Vendor): Record<string, string> {
  return vendor === "anthropic"
    ? { "request-id": "req_011CZkZaBF1tNoB5wlCeusgy" }
    : { "x-request-id": "req_7d2c0f" };
}

function keyOf(headers: IncomingHttpHeaders): string {
  const bearer = /^Bearer (.+)$/.exec(headers.authorization ?? "")?.[1];
  const apiKey = headers["x-api-key"];
  return bearer ?? (typeof apiKey === "string" ? apiKey : "");
}

async function write(res: ServerResponse, frame: string): Promise<void> {
  if (res.destroyed) return;
  res.write(frame);
  // One event per TCP write, as a vendor streaming token by token would.
  await new Promise((resolve) => setImmediate(resolve));
}

async function readBody(req: IncomingMessage): Promise<string> {
  const parts: Buffer[] = [];
  for await (const part of req) parts.push(part as Buffer);
  return Buffer.concat(parts).toString("utf8");
}

function parseJson(raw: string): unknown {
  try {
    return JSON.parse(raw) as unknown;
  } catch {
    return raw;
  }
}

function readFixture(name: string): string {
  return readFileSync(new URL(`./fixtures/${name}`, import.meta.url), "utf8");
}

function parseSse(text: string): SseEvent[] {
  return text
    .split(/\n\n+/)
    .filter((block) => block.trim() !== "")
    .map((block) => {
      let event: string | undefined;
      const data: string[] = [];
      for (const line of block.split("\n")) {
        if (line.startsWith("event: ")) event = line.slice("event: ".length);
        else if (line.startsWith("data: ")) data.push(line.slice("data: ".length));
      }
      return { event, data: data.join("\n") };
    });
}

const FIXTURES: Record<Vendor, SseEvent[]> = {
  openai: parseSse(readFixture("openai-chat-completions.sse")),
  anthropic: parseSse(readFixture("anthropic-messages.sse")),
  groq: parseSse(readFixture("groq-chat-completions.sse")),
};

const ERRORS = JSON.parse(readFixture("vendor-errors.json")) as Record<Vendor, Record<string, unknown>> & {
  groq: { stream: string };
};
