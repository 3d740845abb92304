// Covers: src/tools/ (executors, catalog, admin services), src/http/routes/tool-routes.ts,
// src/db/repositories/tool-repository.ts, mcp-server-repository.ts, agent toolIds.
import { expect } from "chai";
import type {
  AgentResource,
  CreatedTool,
  McpServerResource,
  ToolResource,
} from "../../src/protocol/index.js";
import type { ToolBox } from "../../src/tools/tool-box.js";
import type { ToolOutcome } from "../../src/tools/tool-executor.js";
import { DEMO_AGENT_ID } from "../support/conversations.js";
import { rest, type ErrorBody, type RestClient } from "../support/rest.js";
import { startTestServer, type TestServer } from "../support/test-server.js";
import {
  closedPort,
  startMcpHost,
  startWebhookReceiver,
  type LocalHost,
  type WebhookReceiver,
} from "../support/tool-hosts.js";

const MCP_TOKEN = "mcp-secret-token-123";
const call = {
  toolCallId: "call-1",
  conversationId: "00000000-0000-4000-8000-00000000c0c0",
  messageId: "00000000-0000-4000-8000-00000000d0d0",
  user: { id: "alice", name: "Alice" },
  approvedBy: { id: "bob", name: "Bob" },
};

describe("tools", () => {
  let server: TestServer;
  let admin: RestClient;
  let receiver: WebhookReceiver;
  let mcpHost: LocalHost & { authorized: () => number };

  before(async () => {
    server = await startTestServer();
    admin = rest(server.url, server.token("root", { role: "admin", name: "Root" }));
    receiver = await startWebhookReceiver();
    mcpHost = await startMcpHost(MCP_TOKEN);
  });
  after(async () => {
    await receiver.close();
    await mcpHost.close();
    await server.close();
  });

  const createTool = async (fields: Record<string, unknown>) => {
    const res = await admin.post<CreatedTool>("/api/v1/admin/tools", {
      inputSchema: { type: "object", properties: { orderId: { type: "string" } }, required: ["orderId"] },
      approval: "never",
      ...fields,
    });
    expect(res.status, JSON.stringify(res.body)).to.equal(201);
    return res.body;
  };
  const boxOf = (toolIds: string[]): Promise<ToolBox> =>
    server.confab.toolCatalog.forAgent({ id: "agent", toolIds });
  const runOne = async (tool: CreatedTool | ToolResource, input: unknown): Promise<ToolOutcome> => {
    const box = await boxOf([tool.id]);
    return box.run({ ...call, toolName: tool.name, input }, new AbortController().signal);
  };

  describe("admin routes", () => {
    it("shows a webhook tool's secret at creation and rotation only", async () => {
      const created = await createTool({
        name: "lookup_order",
        execution: { type: "webhook", url: `${receiver.url}/ok` },
      });
      expect(created.secret).to.match(/^whsec_[A-Za-z0-9_-]{43}$/);
      expect(created).to.include({ name: "lookup_order", approval: "never", timeoutMs: 30000, active: true });
      const list = await admin.get<{ tools: ToolResource[] }>("/api/v1/admin/tools");
      const listed = list.body.tools.find((t) => t.id === created.id);
      expect(listed).to.not.have.property("secret");
      const patched = await admin.patch<CreatedTool>(`/api/v1/admin/tools/${created.id}`, {
        description: "Finds an order",
      });
      expect(patched.status).to.equal(200);
      expect(patched.body).to.not.have.property("secret");
      expect(patched.body.description).to.equal("Finds an order");
      const rotated = await admin.post<CreatedTool>(`/api/v1/admin/tools/${created.id}/rotate-secret`);
      expect(rotated.status).to.equal(200);
      expect(rotated.body.secret)
        .to.match(/^whsec_/)
        .and.not.equal(created.secret);
      expect(JSON.stringify((await admin.get("/api/v1/admin/tools")).body)).to.not.include("whsec_");
    });

    it("refuses a schema that does not compile, a taken name, an unknown builtin, and non-admins", async () => {
      const bad = await admin.post<ErrorBody>("/api/v1/admin/tools", {
        name: "broken",
        inputSchema: { type: "object", properties: { a: { type: "nope" } } },
        execution: { type: "builtin", name: "current_time" },
      });
      expect(bad.status).to.equal(400);
      expect(bad.body.error.code).to.equal("validation_failed");
      expect(bad.body.error.message).to.include("inputSchema");
      const notObject = await admin.post<ErrorBody>("/api/v1/admin/tools", {
        name: "broken",
        inputSchema: { type: "string" },
        execution: { type: "builtin", name: "current_time" },
      });
      expect(notObject.status).to.equal(400);
      const unknown = await admin.post<ErrorBody>("/api/v1/admin/tools", {
        name: "nothing",
        inputSchema: { type: "object" },
        execution: { type: "builtin", name: "no_such_tool" },
      });
      expect(unknown.status).to.equal(400);
      await createTool({ name: "taken_name", execution: { type: "builtin", name: "current_time" } });
      const taken = await admin.post<ErrorBody>("/api/v1/admin/tools", {
        name: "taken_name",
        inputSchema: { type: "object" },
        execution: { type: "builtin", name: "current_time" },
      });
      expect(taken.status).to.equal(409);
      const alice = rest(server.url, server.token("alice"));
      for (const res of [
        await alice.get<ErrorBody>("/api/v1/admin/tools"),
        await alice.post<ErrorBody>("/api/v1/admin/mcp-servers", { name: "x", url: mcpHost.url }),
      ]) {
        expect(res.status).to.equal(403);
        expect(res.body.error.code).to.equal("forbidden");
      }
    });

    it("gives tools to agents, refuses unknown tool ids, and takes a deleted tool from them", async () => {
      const tool = await createTool({
        name: "given_tool",
        execution: { type: "builtin", name: "current_time" },
      });
      const unknownId = "00000000-0000-4000-8000-00000000beef";
      const refused = await admin.post<ErrorBody>("/api/v1/admin/agents", {
        name: "Helper",
        provider: "demo",
        model: "demo-1",
        toolIds: [tool.id, unknownId],
      });
      expect(refused.status).to.equal(400);
      expect(refused.body.error.message).to.include(unknownId);
      const agent = await admin.post<AgentResource>("/api/v1/admin/agents", {
        name: "Helper",
        provider: "demo",
        model: "demo-1",
        toolIds: [tool.id],
        maxSteps: 3,
        reasoning: { budgetTokens: 2048 },
      });
      expect(agent.status).to.equal(201);
      expect(agent.body).to.deep.include({
        toolIds: [tool.id],
        maxSteps: 3,
        reasoning: { budgetTokens: 2048 },
      });
      const patchRefused = await admin.patch<ErrorBody>(`/api/v1/admin/agents/${agent.body.id}`, {
        toolIds: [unknownId],
      });
      expect(patchRefused.status).to.equal(400);
      expect((await admin.delete(`/api/v1/admin/tools/${tool.id}`)).status).to.equal(204);
      const agents = await admin.get<AgentResource[]>("/api/v1/admin/agents");
      expect(agents.body.find((a) => a.id === agent.body.id)?.toolIds).to.deep.equal([]);
      expect((await admin.delete(`/api/v1/admin/tools/${tool.id}`)).status).to.equal(404);
    });

    it("never returns an MCP server's header values", async () => {
      const created = await admin.post<McpServerResource>("/api/v1/admin/mcp-servers", {
        name: "Secret headers",
        url: mcpHost.url,
        headers: { Authorization: "Bearer do-not-show", "X-Api-Key": "hidden-too" },
      });
      expect(created.status).to.equal(201);
      expect(created.body.headerNames).to.deep.equal(["Authorization", "X-Api-Key"]);
      const patched = await admin.patch<McpServerResource>(`/api/v1/admin/mcp-servers/${created.body.id}`, {
        headers: { "X-Other": "also-hidden" },
      });
      expect(patched.body.headerNames).to.deep.equal(["X-Other"]);
      const listed = await admin.get<{ mcpServers: McpServerResource[] }>("/api/v1/admin/mcp-servers");
      const text = JSON.stringify([created.body, patched.body, listed.body]);
      for (const secret of ["do-not-show", "hidden-too", "also-hidden"]) expect(text).to.not.include(secret);
      expect((await admin.delete(`/api/v1/admin/mcp-servers/${created.body.id}`)).status).to.equal(204);
    });

    it("seeds the builtin tools and gives them to the demo agent", async () => {
      const tools = (await admin.get<{ tools: ToolResource[] }>("/api/v1/admin/tools")).body.tools;
      const time = tools.find((t) => t.name === "current_time");
      const ticket = tools.find((t) => t.name === "open_ticket");
      expect(time).to.deep.include({
        approval: "never",
        execution: { type: "builtin", name: "current_time" },
      });
      expect(ticket).to.deep.include({
        approval: "always",
        execution: { type: "builtin", name: "open_ticket" },
      });
      const demo = (await admin.get<AgentResource[]>("/api/v1/admin/agents")).body.find(
        (a) => a.id === DEMO_AGENT_ID,
      );
      expect(demo?.toolIds).to.have.members([time?.id, ticket?.id]);
    });
  });

  describe("webhook tools", () => {
    const webhookTool = async (name: string, path: string, timeoutMs = 30000) => {
      const tool = await createTool({
        name,
        execution: { type: "webhook", url: `${receiver.url}${path}` },
        timeoutMs,
      });
      receiver.secrets.set(path, tool.secret ?? "");
      return tool;
    };

    it("posts the call signed with the tool's secret, and gives the output", async () => {
      const tool = await webhookTool("hook_ok", "/ok");
      const outcome = await runOne(tool, { orderId: "A-1" });
      const request = receiver.received.at(-1);
      expect(request?.signatureValid).to.equal(true);
      expect(request?.body).to.deep.equal({ ...call, toolName: "hook_ok", input: { orderId: "A-1" } });
      expect(outcome).to.deep.equal({ output: { echoed: request?.body } });
    });

    it("gives an error for a 500, an {error}, a time-out, a refused connection and a 100 KB answer", async () => {
      const failing = await webhookTool("hook_fail", "/fail");
      expect(await runOne(failing, { orderId: "A" })).to.deep.equal({
        error: "the tool answered HTTP 500: the host broke",
      });
      const erring = await webhookTool("hook_error", "/error");
      expect(await runOne(erring, { orderId: "A" })).to.deep.equal({ error: "no such order" });
      const hanging = await webhookTool("hook_hang", "/hang", 300);
      const started = Date.now();
      expect(await runOne(hanging, { orderId: "A" })).to.deep.equal({
        error: "the tool did not answer in time",
      });
      expect(Date.now() - started).to.be.within(250, 3000);
      const refused = await createTool({
        name: "hook_refused",
        execution: { type: "webhook", url: `${await closedPort()}/x` },
      });
      expect(await runOne(refused, { orderId: "A" })).to.deep.equal({
        error: "the tool's server refused the connection",
      });
      const big = await webhookTool("hook_big", "/big");
      expect(await runOne(big, { orderId: "A" })).to.deep.equal({
        error: "the tool's answer is larger than 64 KB",
      });
      // The receiver knows no secret for this path: it refuses the signature, and says so.
      const unsigned = await createTool({
        name: "hook_unknown",
        execution: { type: "webhook", url: `${receiver.url}/unknown` },
      });
      expect(await runOne(unsigned, { orderId: "A" })).to.deep.equal({
        error: "the tool answered HTTP 401: bad signature",
      });
      const metrics = await (await fetch(`${server.url}/metrics`)).text();
      expect(metrics).to.match(/confab_tool_calls_total\{tool="hook_hang",outcome="timeout"\} 1/);
      expect(metrics).to.match(/confab_tool_calls_total\{tool="hook_fail",outcome="error"\} 1/);
      expect(metrics).to.match(/confab_tool_call_seconds_count\{tool="hook_big"\} 1/);
    });

    it("stops a call when the answer is stopped", async () => {
      const tool = await webhookTool("hook_stopped", "/hang");
      const box = await boxOf([tool.id]);
      const stop = new AbortController();
      setTimeout(() => stop.abort(), 100);
      const outcome = await box.run({ ...call, toolName: tool.name, input: { orderId: "A" } }, stop.signal);
      expect(outcome).to.deep.equal({ error: "the call was stopped" });
    });
  });

  describe("MCP tools", () => {
    let serverId: string;

    before(async () => {
      const res = await admin.post<McpServerResource>("/api/v1/admin/mcp-servers", {
        name: "Test tools",
        url: mcpHost.url,
        headers: { Authorization: `Bearer ${MCP_TOKEN}` },
      });
      serverId = res.body.id;
    });

    it("lists what the server offers, with the server's headers", async () => {
      const before = mcpHost.authorized();
      const res = await admin.get<{
        tools: { name: string; description: string; inputSchema: Record<string, unknown> }[];
      }>(`/api/v1/admin/mcp-servers/${serverId}/tools`);
      expect(res.status, JSON.stringify(res.body)).to.equal(200);
      expect(res.body.tools.map((t) => t.name)).to.have.members(["add", "shout", "fail", "slow.wait"]);
      const add = res.body.tools.find((t) => t.name === "add");
      expect(add?.description).to.equal("Adds two numbers");
      expect(add?.inputSchema).to.deep.include({ type: "object", required: ["a", "b"] });
      expect(mcpHost.authorized()).to.be.greaterThan(before);
    });

    it("imports tools (names sanitized, nothing twice) and runs them through the catalog", async () => {
      const res = await admin.post<{ tools: ToolResource[] }>(
        `/api/v1/admin/mcp-servers/${serverId}/import`,
        {
          toolNames: ["add", "shout", "fail", "slow.wait"],
        },
      );
      expect(res.status, JSON.stringify(res.body)).to.equal(200);
      const byName = new Map(res.body.tools.map((t) => [t.name, t]));
      expect([...byName.keys()]).to.deep.equal(["add", "shout", "fail", "slow_wait"]);
      expect(byName.get("add")).to.deep.include({
        approval: "always",
        execution: { type: "mcp", serverId, toolName: "add" },
      });
      const again = await admin.post<{ tools: ToolResource[] }>(
        `/api/v1/admin/mcp-servers/${serverId}/import`,
        {
          toolNames: ["add"],
          approval: "never",
        },
      );
      expect(again.body.tools.map((t) => t.id)).to.deep.equal([byName.get("add")?.id]);
      const unknown = await admin.post<ErrorBody>(`/api/v1/admin/mcp-servers/${serverId}/import`, {
        toolNames: ["nope"],
      });
      expect(unknown.status).to.equal(400);

      const ids = res.body.tools.map((t) => t.id);
      const box = await boxOf(ids);
      expect(box.specs.map((s) => s.name)).to.deep.equal(["add", "fail", "shout", "slow_wait"]);
      expect(box.approvalOf("add")).to.equal("always");
      const run = (toolName: string, input: unknown) =>
        box.run({ ...call, toolName, input }, new AbortController().signal);
      expect(await run("add", { a: 2, b: 3 })).to.deep.equal({ output: { sum: 5 } });
      expect(await run("shout", { text: "hi" })).to.deep.equal({ output: "HI" });
      const failed = await run("fail", {});
      expect(failed).to.have.property("error").that.includes("the warehouse is on fire");
    });

    it("ends a call to a tool or a server that hangs at the tool's time limit", async () => {
      const tools = (await admin.get<{ tools: ToolResource[] }>("/api/v1/admin/tools")).body.tools;
      const slow = tools.find((t) => t.name === "slow_wait") as ToolResource;
      await admin.patch(`/api/v1/admin/tools/${slow.id}`, { timeoutMs: 300 });
      const started = Date.now();
      expect(await runOne(slow, {})).to.deep.equal({ error: "the tool did not answer in time" });
      expect(Date.now() - started).to.be.below(3000);

      const hangingServer = await admin.post<McpServerResource>("/api/v1/admin/mcp-servers", {
        name: "Hangs",
        url: `${receiver.url}/silent`,
      });
      const tool = await createTool({
        name: "mcp_hangs",
        inputSchema: { type: "object" },
        execution: { type: "mcp", serverId: hangingServer.body.id, toolName: "anything" },
        timeoutMs: 300,
      });
      expect(await runOne(tool, {})).to.deep.equal({ error: "the tool did not answer in time" });
    });

    it("refuses an MCP tool of an unknown server, and deletes a server's tools with it", async () => {
      const res = await admin.post<ErrorBody>("/api/v1/admin/tools", {
        name: "orphan",
        inputSchema: { type: "object" },
        execution: { type: "mcp", serverId: "00000000-0000-4000-8000-00000000dead", toolName: "x" },
      });
      expect(res.status).to.equal(400);
      const other = await admin.post<McpServerResource>("/api/v1/admin/mcp-servers", {
        name: "Short-lived",
        url: mcpHost.url,
        headers: { Authorization: `Bearer ${MCP_TOKEN}` },
      });
      const imported = await admin.post<{ tools: ToolResource[] }>(
        `/api/v1/admin/mcp-servers/${other.body.id}/import`,
        {
          toolNames: ["add"],
        },
      );
      expect(imported.body.tools[0]?.name).to.equal("add_2");
      expect((await admin.delete(`/api/v1/admin/mcp-servers/${other.body.id}`)).status).to.equal(204);
      const names = (await admin.get<{ tools: ToolResource[] }>("/api/v1/admin/tools")).body.tools.map(
        (t) => t.name,
      );
      expect(names).to.not.include("add_2");
    });

    it("says so when the server refuses Confab's headers", async () => {
      const wrong = await admin.post<McpServerResource>("/api/v1/admin/mcp-servers", {
        name: "Wrong key",
        url: mcpHost.url,
        headers: { Authorization: "Bearer wrong" },
      });
      const listed = await admin.get<ErrorBody>(`/api/v1/admin/mcp-servers/${wrong.body.id}/tools`);
      expect(listed.status).to.equal(502);
      expect(listed.body.error).to.deep.include({
        code: "provider_error",
        message: "the MCP server could not list its tools: the MCP server answered HTTP 401",
      });
      const tool = await createTool({
        name: "mcp_wrong_key",
        inputSchema: { type: "object" },
        execution: { type: "mcp", serverId: wrong.body.id, toolName: "add" },
      });
      expect(await runOne(tool, {})).to.deep.equal({ error: "the MCP server answered HTTP 401" });
      await admin.patch(`/api/v1/admin/mcp-servers/${wrong.body.id}`, { active: false });
      expect(await runOne(tool, {})).to.deep.equal({ error: "the tool's MCP server is gone or inactive" });
    });
  });

  describe("the tool box", () => {
    it("checks input against the schema with a short reason, and runs builtin tools", async () => {
      const box = await server.confab.toolCatalog.forAgent(
        (await admin.get<AgentResource[]>("/api/v1/admin/agents")).body.find(
          (a) => a.id === DEMO_AGENT_ID,
        ) as AgentResource,
      );
      expect(box.specs.map((s) => s.name)).to.deep.equal(["current_time", "open_ticket"]);
      expect(box.approvalOf("open_ticket")).to.equal("always");
      expect(box.approvalOf("current_time")).to.equal("never");
      expect(box.approvalOf("nope")).to.equal(undefined);
      expect(box.check("open_ticket", { title: 5 })).to.equal("input/title must be string");
      expect(box.check("open_ticket", {})).to.equal("input must have required property 'title'");
      expect(box.check("open_ticket", { title: "Printer", extra: 1 })).to.equal(
        "input must NOT have additional properties: extra",
      );
      expect(box.check("open_ticket", { title: "Printer is out of toner" })).to.equal(null);
      expect(box.check("nope", {})).to.equal("there is no tool named nope");
      const signal = new AbortController().signal;
      const ticket = await box.run({ ...call, toolName: "open_ticket", input: { title: "Printer" } }, signal);
      expect(ticket)
        .to.have.nested.property("output.ticketId")
        .that.matches(/^T-\d+$/);
      expect(ticket).to.deep.nested.include({ "output.title": "Printer", "output.status": "open" });
      const time = await box.run(
        { ...call, toolName: "current_time", input: { timeZone: "Europe/Paris" } },
        signal,
      );
      expect(time).to.have.nested.property("output.timeZone", "Europe/Paris");
      expect(await box.run({ ...call, toolName: "nope", input: {} }, signal)).to.deep.equal({
        error: "there is no tool named nope",
      });
    });

    it("takes schemas that name draft 2020-12 or share an $id", async () => {
      const schema = {
        $schema: "https://json-schema.org/draft/2020-12/schema",
        $id: "https://example.com/same",
        type: "object",
        properties: { email: { type: "string", format: "email" } },
      };
      const one = await createTool({
        name: "dialect_one",
        inputSchema: schema,
        execution: { type: "builtin", name: "current_time" },
      });
      const two = await createTool({
        name: "dialect_two",
        inputSchema: schema,
        execution: { type: "builtin", name: "current_time" },
      });
      const box = await boxOf([one.id, two.id]);
      expect(box.check("dialect_one", { email: "a@example.com" })).to.equal(null);
      expect(box.check("dialect_two", { email: "nope" })).to.equal('input/email must match format "email"');
    });

    it("gives an agent without tools, or with inactive ones, no tools", async () => {
      expect((await boxOf([])).specs).to.deep.equal([]);
      const tool = await createTool({
        name: "inactive_one",
        execution: { type: "builtin", name: "current_time" },
        active: false,
      });
      expect((await boxOf([tool.id])).specs).to.deep.equal([]);
    });
  });
});
