// Covers: src/templates/template-service.ts, src/agents/agent-service.ts (starters), the template routes of
// src/http/routes/, src/conversations/conversation-export.ts, src/conversations/conversation-pdf.ts.
import { expect } from "chai";
import { pdfText } from "../support/pdf-text.js";
import type {
  AgentResource,
  ConversationResource,
  MessageResource,
} from "../../src/conversations/resources.js";
import type { ConversationDetail, ConversationExport, TemplateResource } from "../../src/protocol/index.js";
import { call, connect, observeAnswer, type ChatClient } from "../support/clients.js";
import { FakeChatModel } from "../support/fake-chat-model.js";
import { pollHealthz, rest } from "../support/rest.js";
import { seedConversation } from "../support/seeded-conversation.js";
import { DEMO_AGENT_ID, startTestServer, type TestServer } from "../support/test-server.js";

describe("templates and starters", () => {
  let server: TestServer;
  const model = new FakeChatModel({ chunks: ["fine"] });

  before(async () => {
    server = await startTestServer({ chatModels: { demo: model } });
  });
  after(async () => {
    await server.close();
  });

  const admin = () => rest(server.url, server.token("boss", { role: "admin" }));
  const user = (sub = "tess") => rest(server.url, server.token(sub));

  it("gives agents up to 6 starters of up to 200 characters, shown to users", async () => {
    const starters = ["What can you do?", "Summarize my week"];
    const created = await admin().post<AgentResource>("/api/v1/admin/agents", {
      name: "Starter agent",
      provider: "demo",
      model: "demo-1",
      starters,
    });
    expect(created.status).to.equal(201);
    expect(created.body.starters).to.deep.equal(starters);
    const listed = await user().get<AgentResource[]>("/api/v1/agents");
    expect(listed.body.find((a) => a.id === created.body.id)?.starters).to.deep.equal(starters);
    expect(listed.body.find((a) => a.id === DEMO_AGENT_ID)?.starters).to.be.an("array");

    for (const bad of [Array.from({ length: 7 }, (_, i) => `s${i}`), ["x".repeat(201)], ["  "]]) {
      const res = await admin().patch(`/api/v1/admin/agents/${created.body.id}`, { starters: bad });
      expect(res.status, JSON.stringify(bad).slice(0, 40)).to.equal(400);
    }
    const changed = await admin().patch<AgentResource>(`/api/v1/admin/agents/${created.body.id}`, {
      starters: [],
    });
    expect(changed.body.starters).to.deep.equal([]);
  });

  it("lets admins manage templates and users start from them, the messages free and sent to the model", async () => {
    const messages = [
      { role: "system", content: "The user is planning a trip to Lisbon." },
      { role: "user", content: "I land on Friday." },
      { role: "assistant", content: "Noted: Friday." },
    ];
    const created = await admin().post<TemplateResource>("/api/v1/admin/templates", {
      name: "Trip planner",
      agentId: DEMO_AGENT_ID,
      messages,
    });
    expect(created.status).to.equal(201);
    expect(created.body).to.deep.include({ name: "Trip planner", title: "Trip planner", active: true });

    const listed = await user().get<TemplateResource[]>("/api/v1/templates");
    expect(listed.body.map((t) => t.id)).to.include(created.body.id);

    const start = await user().post<ConversationResource>("/api/v1/conversations", {
      templateId: created.body.id,
    });
    expect(start.status).to.equal(201);
    expect(start.body).to.deep.include({
      agentId: DEMO_AGENT_ID,
      title: "Trip planner",
      totalMessages: 3,
      totalTokensUsed: 0,
    });
    const shown = (await user().get<ConversationDetail>(`/api/v1/conversations/${start.body.id}`)).body;
    expect(shown.messages.map((m) => [m.seq, m.role, m.content, m.status])).to.deep.equal(
      messages.map((m, i) => [i + 1, m.role, m.content, "complete"]),
    );
    expect(shown.headId).to.equal(shown.messages[2]!.id);

    const socket: ChatClient = await connect(server.url, server.token("tess"));
    try {
      const done = observeAnswer(socket, start.body.id);
      const ack = await call(socket, "message:send", {
        conversationId: start.body.id,
        content: "Where to eat?",
      });
      await done;
      expect(ack.message.seq).to.equal(4);
      expect(ack.message.parentId).to.equal(shown.messages[2]!.id);
    } finally {
      socket.close();
    }
    const prompt = model.requests.filter((r) => r.purpose === "answer").at(-1)!.messages;
    expect(prompt.slice(1)).to.deep.equal([...messages, { role: "user", content: "Where to eat?" }]);
    expect(prompt[0]?.role).to.equal("system");

    // Changed, then deleted (deactivated): no longer listed, and no longer a start.
    const renamed = await admin().patch<TemplateResource>(`/api/v1/admin/templates/${created.body.id}`, {
      title: "Lisbon",
    });
    expect(renamed.body.title).to.equal("Lisbon");
    expect((await admin().delete(`/api/v1/admin/templates/${created.body.id}`)).status).to.equal(204);
    expect((await user().get<TemplateResource[]>("/api/v1/templates")).body.map((t) => t.id)).to.not.include(
      created.body.id,
    );
    const all = await admin().get<TemplateResource[]>("/api/v1/admin/templates");
    expect(all.body.find((t) => t.id === created.body.id)?.active).to.equal(false);
    const refused = await user().post("/api/v1/conversations", { templateId: created.body.id });
    expect(refused.status).to.equal(404);
  });

  it("refuses bad templates, and template management to users", async () => {
    const tooMany = Array.from({ length: 51 }, () => ({ role: "user", content: "x" }));
    for (const body of [
      { name: "t", agentId: DEMO_AGENT_ID, messages: tooMany },
      { name: "t", agentId: DEMO_AGENT_ID, messages: [{ role: "robot", content: "x" }] },
      { name: "t", agentId: DEMO_AGENT_ID, messages: [{ role: "user", content: " " }] },
      { name: "t", messages: [] },
    ]) {
      expect((await admin().post("/api/v1/admin/templates", body)).status).to.equal(400);
    }
    const missingAgent = await admin().post("/api/v1/admin/templates", {
      name: "t",
      agentId: "00000000-0000-4000-8000-00000000beef",
      messages: [],
    });
    expect(missingAgent.status).to.equal(404);
    expect((await user().get("/api/v1/admin/templates")).status).to.equal(403);
    expect(
      (await user().post("/api/v1/admin/templates", { name: "t", agentId: DEMO_AGENT_ID, messages: [] }))
        .status,
    ).to.equal(403);
  });
});

describe("exporting a conversation with branches", () => {
  let server: TestServer;

  before(async () => {
    server = await startTestServer({
      chatModels: { demo: new FakeChatModel({ chunks: ["Ünïcödé ", "answer"] }) },
    });
  });
  after(async () => {
    await server.close();
  });

  it("gives the whole tree as JSON, and the path as Markdown and PDF", async () => {
    const api = rest(server.url, server.token("xena"));
    const c = (
      await api.post<ConversationResource>("/api/v1/conversations", { agentId: DEMO_AGENT_ID, title: "Trip" })
    ).body;
    const turn = async (content: string) =>
      (
        await api.post<{ messageId: string; assistantMessage: MessageResource }>(
          `/api/v1/conversations/${c.id}/messages`,
          { content },
        )
      ).body;
    await turn("first question");
    const second = await turn("a question <b>replaced</b>");
    await api.post(`/api/v1/conversations/${c.id}/messages/${second.messageId}/edit`, {
      content: "the question kept, # not a heading",
    });

    const json = await api.get<ConversationExport>(`/api/v1/conversations/${c.id}/export`);
    expect(json.headers.get("content-disposition")).to.include(".json");
    expect(json.body.messages).to.have.length(6);
    const head = json.body.messages.at(-1)!;
    expect(json.body.conversation.headId).to.equal(head.id);
    expect(json.body.messages.filter((m) => m.parentId === json.body.messages[1]!.id)).to.have.length(2);

    const md = await api.get<string>(`/api/v1/conversations/${c.id}/export?format=markdown`);
    expect(md.body).to.include("first question").and.include("the question kept, # not a heading");
    expect(md.body).to.not.include("replaced");
    expect(md.body.match(/^## Assistant/gm)).to.have.length(2);

    const res = await fetch(`${server.url}/api/v1/conversations/${c.id}/export?format=pdf`, {
      headers: { authorization: `Bearer ${server.token("xena")}` },
    });
    expect(res.status).to.equal(200);
    expect(res.headers.get("content-type")).to.equal("application/pdf");
    expect(res.headers.get("content-disposition")).to.include(".pdf");
    const bytes = new Uint8Array(await res.arrayBuffer());
    expect(Buffer.from(bytes.subarray(0, 5)).toString("latin1")).to.equal("%PDF-");
    const text = await pdfText(bytes);
    expect(text).to.include("Trip");
    expect(text).to.include("first question");
    expect(text).to.include("the question kept, # not a heading");
    expect(text).to.include("Ünïcödé");
    expect(text).to.not.include("replaced");
    expect(text).to.include("User").and.include("Assistant");
  });

  it("keeps serving other requests while a PDF of 4 MB of text is laid out", async () => {
    const line = "A line of a long answer, written out at length so that the export has much to lay out.";
    const long = Array.from({ length: 1200 }, (_, i) => `${i} ${line}`).join("\n");
    const seeded = await seedConversation(server.confab.db, {
      userId: "yuri",
      agentId: DEMO_AGENT_ID,
      messages: 40,
      content: (n) => `${n}: ${long}`,
    });
    const healthz = pollHealthz(server.url);
    const res = await fetch(`${server.url}/api/v1/conversations/${seeded.id}/export?format=pdf`, {
      headers: { Authorization: `Bearer ${server.token("yuri")}` },
    });
    const bytes = Buffer.from(await res.arrayBuffer());
    const waits = await healthz.stop();
    expect(res.status).to.equal(200);
    expect(bytes.subarray(0, 5).toString("latin1")).to.equal("%PDF-");
    expect(long.length * 40).to.be.greaterThan(4_000_000);
    // Laid out in one go, this held the node for seconds; now other requests are answered meanwhile.
    expect(waits.length).to.be.greaterThan(10);
    expect(Math.max(...waits)).to.be.below(250);
  });
});
