// Covers: sdk/ (ConfabClient, ConfabChatTransport: resume, sends across reconnects, useChat's chunks),
// src/http/browser-modules.ts (the SDK served to host pages), the src/realtime/ chat namespace handlers.
import { readUIMessageStream, type UIMessage, type UIMessageChunk } from "ai";
import { expect } from "chai";
import type { MessageResource } from "../../src/protocol/index.js";
import { ConfabChatTransport, ConfabClient } from "../../sdk/index.js";
import { call, connect, nextEvent } from "../support/clients.js";
import { FakeChatModel } from "../support/fake-chat-model.js";
import { rest } from "../support/rest.js";
import { DEMO_AGENT_ID, startTestServer, type TestServer } from "../support/test-server.js";

const WORDS = Array.from({ length: 12 }, (_, i) => `word${i} `);

/** The text of an assembled UI message. */
const textOf = (m: UIMessage | undefined) =>
  (m?.parts ?? []).flatMap((p) => (p.type === "text" ? [p.text] : [])).join("");

async function assemble(stream: ReadableStream<UIMessageChunk>): Promise<UIMessage | undefined> {
  let last: UIMessage | undefined;
  for await (const message of readUIMessageStream({ stream })) last = message;
  return last;
}

const userMessage = (text: string): UIMessage => ({
  id: `u-${text}`,
  role: "user",
  parts: [{ type: "text", text }],
});

describe("the client SDK against a real server", () => {
  let server: TestServer;
  const model = new FakeChatModel({ chunks: WORDS, delayMs: 3 });
  const clients: ConfabClient[] = [];

  before(async () => {
    server = await startTestServer({ chatModels: { demo: model } });
  });
  after(async () => {
    await server.close();
  });
  beforeEach(() => {
    model.script = { chunks: WORDS, delayMs: 3 };
  });
  afterEach(() => {
    model.release();
    for (const c of clients.splice(0)) c.close();
  });

  function client(sub = "sid"): ConfabClient {
    const c = new ConfabClient({ url: server.url, getToken: () => server.token(sub) });
    clients.push(c);
    return c;
  }

  async function stored(conversationId: string, sub = "sid"): Promise<MessageResource[]> {
    const res = await rest(server.url, server.token(sub)).get<{ messages: MessageResource[] }>(
      `/api/v1/conversations/${conversationId}/messages`,
    );
    return res.body.messages;
  }

  /** Drops the connection as a network would (the client reconnects by itself). */
  function dropConnection(c: ConfabClient): Promise<void> {
    const back = new Promise<void>((resolve) => c.socket.once("connect", () => resolve()));
    c.socket.io.engine.close();
    return back;
  }

  it("resumes after a forced disconnect mid-answer, with no delta lost or doubled", async () => {
    const c = client();
    const { id } = await c.createConversation({ agentId: DEMO_AGENT_ID });
    const handle = c.conversation(id);
    await handle.ready();
    const seen: string[] = [];
    handle.on("change", (messages) => {
      const answer = messages.find((m) => m.role === "assistant");
      if (answer && seen.at(-1) !== answer.content) seen.push(answer.content);
    });
    model.hold(3);
    const paused = model.paused();
    const sent = await handle.send("tell me something long");
    await paused;
    const back = dropConnection(c);
    // The answer goes on while the tab is away.
    model.release();
    await back;
    await handle.ready();
    const answer = await handle.settled(sent.assistantMessageId!);
    const [question, storedAnswer] = await stored(id);
    expect(question!.content).to.equal("tell me something long");
    expect(answer.content).to.equal(storedAnswer!.content);
    expect(answer.content).to.equal(WORDS.join(""));
    // Every text shown was a prefix of the stored one, never longer, never repeated.
    for (const [i, text] of seen.entries()) {
      expect(WORDS.join("").startsWith(text), text).to.equal(true);
      if (i > 0) expect(text.length).to.be.greaterThan(seen[i - 1]!.length);
    }
    expect(handle.messages().map((m) => m.content)).to.deep.equal([question!.content, storedAnswer!.content]);
  });

  it("comes back by itself, with a fresh token, when the server closes the connection", async () => {
    let tokens = 0;
    const c = new ConfabClient({ url: server.url, getToken: () => (tokens++, server.token("ray")) });
    clients.push(c);
    const { id } = await c.createConversation({ agentId: DEMO_AGENT_ID });
    const handle = c.conversation(id);
    await handle.ready();
    const before = tokens;
    const back = new Promise<void>((resolve) => c.socket.once("connect", () => resolve()));
    // What the server does when a token expires (auth:expired): it disconnects the socket.
    server.confab.io.of("/chat").disconnectSockets(true);
    await back;
    expect(tokens).to.be.greaterThan(before);
    await handle.ready();
    const sent = await handle.send("still here");
    const answer = await handle.settled(sent.assistantMessageId!);
    expect(answer.content).to.equal(WORDS.join(""));
  });

  it("delivers a message sent while disconnected exactly once", async () => {
    const c = client("sue");
    const { id } = await c.createConversation({ agentId: DEMO_AGENT_ID });
    const handle = c.conversation(id);
    await handle.ready();
    for (let i = 0; i < 3; i++) {
      const back = dropConnection(c);
      // Sent at once, while the socket is down (or the packet is lost with it): repeated on reconnect.
      const sent = handle.send(`while away ${i}`);
      await back;
      const result = await sent;
      await handle.settled(result.assistantMessageId!);
    }
    const messages = await stored(id, "sue");
    expect(messages.filter((m) => m.role === "user").map((m) => m.content)).to.deep.equal([
      "while away 0",
      "while away 1",
      "while away 2",
    ]);
  });

  it("streams a submitted message's answer as UI message chunks that assemble to the stored answer", async () => {
    const transport = new ConfabChatTransport({ client: client("tia") });
    const { id } = await transport.client.createConversation({ agentId: DEMO_AGENT_ID });
    const chunks: UIMessageChunk[] = [];
    const stream = await transport.sendMessages({
      trigger: "submit-message",
      chatId: id,
      messageId: undefined,
      messages: [userMessage("hello there")],
      abortSignal: undefined,
    });
    const [forUs, forRecord] = stream.tee();
    const reading = (async () => {
      for await (const chunk of forRecord) chunks.push(chunk);
    })();
    const message = await assemble(forUs);
    await reading;
    const [question, answer] = await stored(id, "tia");
    expect(question!.content).to.equal("hello there");
    expect(message!.id).to.equal(answer!.id);
    expect(textOf(message)).to.equal(answer!.content);
    expect(chunks.map((c) => c.type).filter((t, i, all) => t !== all[i - 1])).to.deep.equal([
      "start",
      "start-step",
      "text-start",
      "text-delta",
      "text-end",
      "finish-step",
      "finish",
    ]);
  });

  it("reconnects to the answer being written, and finds none when nothing is written", async () => {
    const writer = client("uma");
    const { id } = await writer.createConversation({ agentId: DEMO_AGENT_ID });
    const transport = new ConfabChatTransport({ url: server.url, token: server.token("uma") });
    clients.push(transport.client);
    expect(await transport.reconnectToStream({ chatId: id })).to.equal(null);

    model.hold(4);
    const paused = model.paused();
    const sent = await writer.conversation(id).send("go on");
    await paused;
    // A reload mid-answer: a new client asks for the answer being written.
    const again = new ConfabChatTransport({ url: server.url, token: server.token("uma") });
    clients.push(again.client);
    const stream = await again.reconnectToStream({ chatId: id });
    expect(stream).to.not.equal(null);
    const assembled = assemble(stream!);
    model.release();
    const message = await assembled;
    const [, answer] = await stored(id, "uma");
    expect(message!.id).to.equal(sent.assistantMessageId);
    expect(textOf(message)).to.equal(answer!.content);
    expect(answer!.content).to.equal(WORDS.join(""));
  });

  it("stops the answer for every tab when the request is aborted", async () => {
    const transport = new ConfabChatTransport({ client: client("val") });
    const { id } = await transport.client.createConversation({ agentId: DEMO_AGENT_ID });
    const otherTab = await connect(server.url, server.token("val"));
    try {
      await call(otherTab, "conversation:join", { conversationId: id });
      const ended = nextEvent(otherTab, "assistant:done");
      model.hold(2);
      const paused = model.paused();
      const controller = new AbortController();
      const stream = await transport.sendMessages({
        trigger: "submit-message",
        chatId: id,
        messageId: undefined,
        messages: [userMessage("stop me")],
        abortSignal: controller.signal,
      });
      const chunks: UIMessageChunk[] = [];
      const reading = (async () => {
        for await (const chunk of stream) chunks.push(chunk);
      })();
      await paused;
      controller.abort();
      const done = await ended;
      await reading;
      expect(done.message.status).to.equal("cancelled");
      expect(done.message.content).to.equal(WORDS.slice(0, 2).join(""));
      expect(chunks.at(-1)!.type).to.equal("abort");
      const [, answer] = await stored(id, "val");
      expect(answer!.status).to.equal("cancelled");
    } finally {
      otherTab.close();
    }
  });

  it("regenerates the last answer as a new version", async () => {
    const transport = new ConfabChatTransport({ client: client("wes") });
    const { id } = await transport.client.createConversation({ agentId: DEMO_AGENT_ID });
    const first = await assemble(
      await transport.sendMessages({
        trigger: "submit-message",
        chatId: id,
        messageId: undefined,
        messages: [userMessage("again")],
        abortSignal: undefined,
      }),
    );
    model.script = { chunks: ["A ", "second ", "version."], delayMs: 2 };
    const second = await assemble(
      await transport.sendMessages({
        trigger: "regenerate-message",
        chatId: id,
        messageId: first!.id,
        messages: [userMessage("again"), first!],
        abortSignal: undefined,
      }),
    );
    expect(second!.id).to.not.equal(first!.id);
    expect(textOf(second)).to.equal("A second version.");
    const [, answer] = await stored(id, "wes");
    expect(answer!.id).to.equal(second!.id);
    expect(answer!.branch).to.deep.equal({ index: 2, count: 2 });
  });
});

describe("the SDK served to host pages", () => {
  let server: TestServer;

  before(async () => {
    server = await startTestServer({ env: { CORS_ORIGINS: "https://host.example" } });
  });
  after(async () => {
    await server.close();
  });

  it("serves one self-contained ES module, cached by its content, to the allowed origins", async () => {
    const res = await fetch(`${server.url}/sdk/confab.js`, { headers: { Origin: "https://host.example" } });
    expect(res.status).to.equal(200);
    expect(res.headers.get("content-type")).to.match(/^text\/javascript/);
    expect(res.headers.get("access-control-allow-origin")).to.equal("https://host.example");
    const etag = res.headers.get("etag");
    expect(etag).to.match(/^"[\w-]{27}"$/);
    const code = await res.text();
    // Nothing left to import: socket.io-client is inside.
    expect(code).to.not.match(/\bfrom\s*["'][^"']+["']/);
    expect(code).to.not.match(/\bimport\s*\(/);
    const sdk = (await import(
      `data:text/javascript;base64,${Buffer.from(code).toString("base64")}`
    )) as Record<string, unknown>;
    expect(typeof sdk.ConfabClient).to.equal("function");
    expect(typeof sdk.ConfabChatTransport).to.equal("function");

    const again = await fetch(`${server.url}/sdk/confab.js`, { headers: { "If-None-Match": etag! } });
    expect(again.status).to.equal(304);
    const elsewhere = await fetch(`${server.url}/sdk/confab.js`, {
      headers: { Origin: "https://evil.example" },
    });
    expect(elsewhere.headers.get("access-control-allow-origin")).to.equal(null);
  });
});

describe("the AI SDK transport with the demo agent's tools (readUIMessageStream from ai)", function () {
  let server: TestServer;
  const transports: ConfabChatTransport[] = [];
  before(async () => {
    server = await startTestServer();
  });
  after(async () => {
    for (const t of transports) t.client.close();
    await server.close();
  });

  /** Sends `text` in a new conversation and assembles the answer's stream as useChat would. */
  async function ask(
    text: string,
  ): Promise<{ id: string; message: UIMessage | undefined; transport: ConfabChatTransport }> {
    const transport = new ConfabChatTransport({ url: server.url, token: server.token("tom") });
    transports.push(transport);
    const { id } = await transport.client.createConversation({ agentId: DEMO_AGENT_ID });
    const stream = await transport.sendMessages({
      trigger: "submit-message",
      chatId: id,
      messageId: undefined,
      messages: [userMessage(text)],
      abortSignal: undefined,
    });
    return { id, message: await assemble(stream), transport };
  }

  it("assembles a tool call run inside the answer as a tool part with its output", async () => {
    const { message } = await ask("What time is it?");
    const tool = message?.parts.find((p) => p.type === "dynamic-tool");
    expect(tool).to.include({ toolName: "current_time", state: "output-available" });
    expect(textOf(message)).to.contain("current_time answered");
  });

  it("ends the stream at an approval request, assembled as useChat's approval-requested tool part", async () => {
    const { message } = await ask("Open a ticket for me");
    const tool = message?.parts.find((p) => p.type === "dynamic-tool");
    expect(tool).to.include({ toolName: "open_ticket", state: "approval-requested" });
    expect((tool as { approval?: { id: string } }).approval?.id).to.be.a("string");
  });

  it("takes useChat's approval response as tool:decide and goes on with the same answer", async () => {
    const { id, message, transport } = await ask("Open a ticket about the lift");
    const asked = message!;
    // What useChat holds after addToolApprovalResponse({id, approved: true}).
    const responded: UIMessage = {
      ...asked,
      parts: asked.parts.map((p) =>
        p.type === "dynamic-tool" && p.state === "approval-requested"
          ? { ...p, state: "approval-responded" as const, approval: { id: p.approval.id, approved: true } }
          : p,
      ),
    };
    const stream = await transport.sendMessages({
      trigger: "submit-message",
      chatId: id,
      messageId: asked.id,
      messages: [userMessage("Open a ticket about the lift"), responded],
      abortSignal: undefined,
    });
    // useChat goes on from the message it holds.
    let continued: UIMessage | undefined;
    for await (const m of readUIMessageStream({ stream, message: responded })) continued = m;
    const tool = continued?.parts.find((p) => p.type === "dynamic-tool");
    expect(tool).to.include({ toolName: "open_ticket", state: "output-available" });
    expect(textOf(continued)).to.match(/T-\d+/);
  });
});
