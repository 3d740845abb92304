// Covers: src/chat/answer-steps.ts, src/chat/tool-decisions.ts, src/chat/tool-steps.ts, the parts of
// src/chat/answer.ts, the demo model's tool calls, `tool:decide` and its REST route (PROTOCOL.md:
// parts, tools, approval).
import { expect } from "chai";
import type { ConversationResource, MessageResource, ToolPart } from "../../src/protocol/index.js";
import type { ToolBox, ToolCatalog } from "../../src/tools/tool-box.js";
import {
  call,
  connectAdmin,
  nextActivity,
  nextEvent,
  observeAnswer,
  request,
  Tabs,
  type ChatClient,
} from "../support/clients.js";
import { DEMO_AGENT_ID } from "../support/conversations.js";
import { rest } from "../support/rest.js";
import { startTestServer, type TestServer } from "../support/test-server.js";

/** Two tools as the demo model asks for them: the time (no approval) and a ticket (approval). */
class RecordingTools implements ToolCatalog {
  readonly runs: { toolName: string; input: unknown; approvedBy: unknown }[] = [];
  forAgent(): Promise<ToolBox> {
    const approvals: Record<string, "never" | "always"> = { current_time: "never", open_ticket: "always" };
    return Promise.resolve({
      specs: Object.keys(approvals).map((name) => ({
        name,
        description: name,
        inputSchema: { type: "object" },
      })),
      approvalOf: (name) => approvals[name],
      check: (_name, input) =>
        typeof input === "object" && input !== null && !Array.isArray(input)
          ? null
          : "input must be an object",
      run: (c) => {
        this.runs.push({ toolName: c.toolName, input: c.input, approvedBy: c.approvedBy });
        return Promise.resolve(
          c.toolName === "current_time"
            ? { output: { iso: "2026-12-03T07:00:00.000Z" } }
            : { output: { ticketId: `T-${this.runs.length}` } },
        );
      },
    });
  }
}

describe("tools and shared approval (demo model, two tools)", function () {
  let server: TestServer;
  const tools = new RecordingTools();
  const tabs = new Tabs();
  const names: Record<string, string> = { olga: "Olga", pete: "Pete", vera: "Vera" };
  const api = (sub: string) => rest(server.url, server.token(sub, { name: names[sub] ?? sub }));
  const tab = (sub: string) => tabs.connect(server.url, server.token(sub, { name: names[sub] ?? sub }));

  before(async () => {
    server = await startTestServer({ toolCatalog: tools });
    // The demo agent has the seeded tools; this catalog stands in for them.
  });
  after(async () => {
    await server.close();
  });
  afterEach(() => tabs.closeAll());

  /** Olga's conversation, Pete a participant and Vera a viewer, everyone's tab joined. */
  async function shared(): Promise<{ id: string; olga: ChatClient; pete: ChatClient; vera: ChatClient }> {
    const c = await api("olga").post<ConversationResource>("/api/v1/conversations", {
      agentId: DEMO_AGENT_ID,
    });
    for (const [userId, role] of [
      ["pete", "participant"],
      ["vera", "viewer"],
    ] as const) {
      await api(userId).get("/api/v1/me");
      const added = await api("olga").post(`/api/v1/conversations/${c.body.id}/members`, { userId, role });
      expect(added.status).to.equal(201);
    }
    const [olga, pete, vera] = [await tab("olga"), await tab("pete"), await tab("vera")];
    for (const t of [olga, pete, vera]) await call(t, "conversation:join", { conversationId: c.body.id });
    return { id: c.body.id, olga, pete, vera };
  }

  const awaitingRequest = (socket: ChatClient) =>
    nextEvent(
      socket,
      "assistant:part",
      (e) => e.part.type === "tool" && e.part.state === "approval-requested",
    );

  it("runs a tool that needs no approval inside the answer: one message, its parts on every tab", async () => {
    const { id, olga, pete } = await shared();
    const seen = observeAnswer(pete, id);
    const parts: unknown[] = [];
    pete.on("assistant:part", (e) => parts.push(e.part));
    await call(olga, "message:send", { conversationId: id, content: "What time is it?" });
    const { end } = await seen;
    const stored = end.message;
    expect(stored.status).to.equal("complete");
    expect(stored.parts.map((p) => p.type)).to.deep.equal(["text", "tool", "text"]);
    const tool = stored.parts[1] as ToolPart;
    expect(tool).to.include({ toolName: "current_time", state: "output-available" });
    expect(tool.output).to.deep.equal({ iso: "2026-12-03T07:00:00.000Z" });
    expect(stored.content).to.equal(
      stored.parts.flatMap((p) => (p.type === "text" ? [p.text] : [])).join(""),
    );
    expect(stored.content).to.contain("2026-12-03T07:00:00.000Z");
    // The tab saw the call arrive and end.
    expect(parts.map((p) => (p as ToolPart).state)).to.deep.equal(["input-available", "output-available"]);
  });

  it("holds an answer for approval; every tab sees it, a joining tab too; the first decision wins and the answer goes on", async () => {
    const { id, olga, pete, vera } = await shared();
    const requested = awaitingRequest(vera);
    const done = observeAnswer(vera, id);
    const sent = await call(olga, "message:send", { conversationId: id, content: "Please open a ticket" });
    const ask = await requested;
    const pending = ask.part as ToolPart;
    expect(pending.toolName).to.equal("open_ticket");

    // A tab that joins now gets the waiting answer from its row, with the pending request.
    const late = await tab("pete");
    const joined = await call(late, "conversation:join", { conversationId: id });
    expect(joined.generation?.messageId).to.equal(sent.assistantMessageId);
    expect(joined.generation?.seq).to.equal(ask.seq);
    expect(joined.generation?.parts[ask.index]).to.deep.equal(pending);
    // The conversation takes no new turn meanwhile.
    const refused = await request(pete, "message:send", { conversationId: id, content: "and?" });
    expect(refused.ok ? null : refused.error.code).to.equal("generation_in_progress");

    const decide = { conversationId: id, messageId: ask.messageId, toolCallId: pending.toolCallId };
    const byViewer = await request(vera, "tool:decide", { ...decide, approved: true });
    expect(byViewer.ok ? null : byViewer.error.code).to.equal("forbidden");
    const approved = await call(pete, "tool:decide", { ...decide, approved: true });
    expect(approved.part).to.include({ state: "approved" });
    expect(approved.part.approval).to.include({ approved: true });
    expect(approved.part.approval?.decidedBy).to.deep.equal({ id: "pete", name: "Pete" });
    const second = await api("olga").post(
      `/api/v1/conversations/${id}/messages/${ask.messageId}/tools/${pending.toolCallId}/decision`,
      { approved: false },
    );
    expect(second.status).to.equal(409);
    expect((second.body as { error: { code: string } }).error.code).to.equal("conflict");

    const { end } = await done;
    expect(end.message.status).to.equal("complete");
    const tool = end.message.parts.find((p): p is ToolPart => p.type === "tool")!;
    expect(tool.state).to.equal("output-available");
    expect(tool.approval?.decidedBy?.name).to.equal("Pete");
    expect(end.message.content).to.contain("T-");
    expect(tools.runs.filter((r) => r.toolName === "open_ticket")).to.have.length(1);
    expect(tools.runs.at(-1)?.approvedBy).to.deep.equal({ id: "pete", name: "Pete" });
  });

  it("sends a denial back to the model, which answers without the tool", async () => {
    const { id, olga } = await shared();
    const requested = awaitingRequest(olga);
    const done = observeAnswer(olga, id);
    await call(olga, "message:send", { conversationId: id, content: "open a ticket about the printer" });
    const ask = await requested;
    const part = ask.part as ToolPart;
    await call(olga, "tool:decide", {
      conversationId: id,
      messageId: ask.messageId,
      toolCallId: part.toolCallId,
      approved: false,
      reason: "not today",
    });
    const { end } = await done;
    const tool = end.message.parts.find((p): p is ToolPart => p.type === "tool")!;
    expect(tool).to.include({ state: "denied" });
    expect(tool.approval).to.include({ approved: false, reason: "not today" });
    expect(end.message.content).to.contain("not today");
  });

  it("stops an answer that waits for approval: the request is denied and the answer ends cancelled", async () => {
    const { id, olga, pete } = await shared();
    const requested = awaitingRequest(pete);
    const done = observeAnswer(pete, id);
    await call(olga, "message:send", { conversationId: id, content: "a ticket, please" });
    await requested;
    expect(await call(pete, "generation:stop", { conversationId: id })).to.deep.equal({ stopped: true });
    const { end } = await done;
    expect(end.message.status).to.equal("cancelled");
    const tool = end.message.parts.find((p): p is ToolPart => p.type === "tool")!;
    expect(tool.state).to.equal("denied");
    expect(tool.approval?.decidedBy).to.deep.equal({ id: "pete", name: "Pete" });
    // The conversation takes turns again.
    await call(olga, "message:send", { conversationId: id, content: "thanks" });
  });

  it("ends an answer at the agent's step limit with length, its text kept", async () => {
    const admin = rest(server.url, server.token("root", { role: "admin" }));
    await admin.patch(`/api/v1/admin/agents/${DEMO_AGENT_ID}`, { maxSteps: 1 });
    try {
      const { id, olga } = await shared();
      const done = observeAnswer(olga, id);
      await call(olga, "message:send", { conversationId: id, content: "what time is it" });
      const { end } = await done;
      const message: MessageResource = end.message;
      expect(message).to.include({ status: "complete", finishReason: "length" });
      expect(message.content).to.equal("Let me look at the clock. ");
      expect(message.parts[1]).to.include({
        state: "output-error",
        error: "the answer reached its step limit",
      });
    } finally {
      await admin.patch(`/api/v1/admin/agents/${DEMO_AGENT_ID}`, { maxSteps: 5 });
    }
  });

  it("lets only the owner decide when the owner says so", async () => {
    const { id, olga, pete } = await shared();
    const patched = await api("olga").patch<ConversationResource>(`/api/v1/conversations/${id}`, {
      toolApproval: "owner",
    });
    expect(patched.body.toolApproval).to.equal("owner");
    const requested = awaitingRequest(olga);
    const done = observeAnswer(olga, id);
    await call(pete, "message:send", { conversationId: id, content: "open a ticket" });
    const ask = await requested;
    const decide = {
      conversationId: id,
      messageId: ask.messageId,
      toolCallId: (ask.part as ToolPart).toolCallId,
      approved: true,
    };
    const byParticipant = await request(pete, "tool:decide", decide);
    expect(byParticipant.ok ? null : byParticipant.error.code).to.equal("forbidden");
    const unknown = await request(olga, "tool:decide", { ...decide, toolCallId: "nope" });
    expect(unknown.ok ? null : unknown.error.code).to.equal("not_found");
    const malformed = await request(olga, "tool:decide", { ...decide, approved: "yes" });
    expect(malformed.ok ? null : malformed.error.code).to.equal("validation_failed");
    await call(olga, "tool:decide", decide);
    expect((await done).end.message.status).to.equal("complete");
  });
});

describe("the demo agent's tools out of the box (npm start with no key)", function () {
  let server: TestServer;
  const tabs = new Tabs();
  before(async () => {
    server = await startTestServer();
  });
  after(async () => {
    await server.close();
  });
  afterEach(() => tabs.closeAll());

  it("tells the time with a tool that needs no approval, and opens a ticket once someone approves", async () => {
    const api = rest(server.url, server.token("dana", { name: "Dana" }));
    const c = await api.post<ConversationResource>("/api/v1/conversations", { agentId: DEMO_AGENT_ID });
    const dana = await tabs.connect(server.url, server.token("dana", { name: "Dana" }));
    await call(dana, "conversation:join", { conversationId: c.body.id });

    const feed = await connectAdmin(server.url, server.token("ops", { role: "admin" }));
    const called = nextActivity(feed, "tool.called");
    const timed = observeAnswer(dana, c.body.id);
    await call(dana, "message:send", { conversationId: c.body.id, content: "What time is it?" });
    const time = (await timed).end.message;
    const clock = time.parts.find((p): p is ToolPart => p.type === "tool")!;
    expect(clock).to.include({ toolName: "current_time", state: "output-available" });
    expect(time.content).to.contain("current_time answered");
    expect(await called).to.include({ conversationId: c.body.id, toolName: "current_time" });
    const decidedOnFeed = nextActivity(feed, "tool.decided");

    const asked = nextEvent(
      dana,
      "assistant:part",
      (e) => e.part.type === "tool" && e.part.state === "approval-requested",
    );
    const ticketed = observeAnswer(dana, c.body.id);
    await call(dana, "message:send", {
      conversationId: c.body.id,
      content: "Open a ticket: the printer is on fire",
    });
    const ask = await asked;
    await call(dana, "tool:decide", {
      conversationId: c.body.id,
      messageId: ask.messageId,
      toolCallId: (ask.part as ToolPart).toolCallId,
      approved: true,
    });
    const ticket = (await ticketed).end.message;
    expect(await decidedOnFeed).to.include({ toolName: "open_ticket", approved: true });
    // The Markdown export names each tool call, its input and outcome, and who approved it.
    const exported = await fetch(`${server.url}/api/v1/conversations/${c.body.id}/export?format=markdown`, {
      headers: { authorization: `Bearer ${server.token("dana")}` },
    });
    const markdown = await exported.text();
    expect(markdown).to.contain("**Tool current_time**: output-available");
    expect(markdown).to.contain("**Tool open_ticket**: output-available (approved by Dana)");
    feed.close();
    const opened = ticket.parts.find((p): p is ToolPart => p.type === "tool")!;
    expect(opened).to.include({ toolName: "open_ticket", state: "output-available" });
    expect(opened.approval?.decidedBy).to.deep.equal({ id: "dana", name: "Dana" });
    expect(ticket.content).to.match(/T-\d+/);
  });
});

describe("a tool call nobody decides in time", function () {
  let server: TestServer;
  const tabs = new Tabs();
  before(async () => {
    server = await startTestServer({ env: { TOOL_APPROVAL_TTL_SECONDS: "1", RECOVERY_INTERVAL_MS: "500" } });
  });
  after(async () => {
    tabs.closeAll();
    await server.close();
  });

  it("is denied with nobody's name after TOOL_APPROVAL_TTL_SECONDS, and the answer goes on", async () => {
    const api = rest(server.url, server.token("ian"));
    const c = await api.post<ConversationResource>("/api/v1/conversations", { agentId: DEMO_AGENT_ID });
    const ian = await tabs.connect(server.url, server.token("ian"));
    await call(ian, "conversation:join", { conversationId: c.body.id });
    const done = observeAnswer(ian, c.body.id);
    await call(ian, "message:send", { conversationId: c.body.id, content: "open a ticket and wait" });
    const { end } = await done;
    expect(end.message.status).to.equal("complete");
    const tool = end.message.parts.find((p): p is ToolPart => p.type === "tool")!;
    expect(tool.state).to.equal("denied");
    expect(tool.approval).to.include({ decidedBy: null, approved: false, reason: "no decision in time" });
  });
});
