// Covers: src/providers/ (openai, anthropic, groq through their SDKs; author-name.ts), src/chat/ (turns,
// stop, failures and token budgets with a real vendor client).
import { expect } from "chai";
import type {
  AgentResource,
  ConversationResource,
  MessageResource,
} from "../../src/conversations/resources.js";
import { call, connect, observeAnswer, seenText } from "../support/clients.js";
import { rest, type ErrorBody } from "../support/rest.js";
import { startTestServer, type TestServer } from "../support/test-server.js";
import { VendorServer, type Vendor } from "../support/vendor-server.js";

const KEYS: Record<Vendor, string> = {
  openai: "sk-openai-test-key-0001",
  anthropic: "sk-ant-test-key-0002",
  groq: "gsk_test-key-0003",
};

describe("conversations with each vendor, through the official SDKs", () => {
  const vendors: Partial<Record<Vendor, VendorServer>> = {};
  let server: TestServer;
  let admin: ReturnType<typeof rest>;
  let user: ReturnType<typeof rest>;

  before(async () => {
    for (const v of ["openai", "anthropic", "groq"] as const) vendors[v] = await VendorServer.start(v);
    server = await startTestServer({
      env: {
        OPENAI_API_KEY: KEYS.openai,
        OPENAI_BASE_URL: vendors.openai!.baseURL,
        ANTHROPIC_API_KEY: KEYS.anthropic,
        ANTHROPIC_BASE_URL: vendors.anthropic!.baseURL,
        GROQ_API_KEY: KEYS.groq,
        GROQ_BASE_URL: vendors.groq!.baseURL,
        PROVIDER_FIRST_TOKEN_TIMEOUT_MS: "500",
        PROVIDER_STALL_TIMEOUT_MS: "500",
      },
    });
    admin = rest(server.url, server.token("boss", { role: "admin" }));
    user = rest(server.url, server.token("vera"));
  });
  after(async () => {
    await server.close();
    for (const v of Object.values(vendors)) await v.close();
  });
  beforeEach(() => {
    for (const v of Object.values(vendors)) v.reset();
  });

  async function agentFor(vendor: Vendor, extra: Record<string, unknown> = {}): Promise<AgentResource> {
    const res = await admin.post<AgentResource>("/api/v1/admin/agents", {
      name: `${vendor} agent`,
      provider: vendor,
      model: `${vendor}-model-x`,
      systemPrompt: "You are terse.",
      temperature: 0.3,
      ...extra,
    });
    expect(res.status, JSON.stringify(res.body)).to.equal(201);
    return res.body;
  }

  async function conversationWith(agentId: string): Promise<string> {
    const res = await user.post<ConversationResource>("/api/v1/conversations", {
      agentId,
      title: "Vendor chat",
    });
    return res.body.id;
  }

  for (const vendor of ["openai", "anthropic", "groq"] as const) {
    describe(vendor, () => {
      it("answers with the vendor's text and stores the vendor's usage, model and finish reason", async () => {
        const v = vendors[vendor]!;
        const agent = await agentFor(vendor);
        const conversationId = await conversationWith(agent.id);
        v.answer({ chunks: ["Paris", " is the capital."], usage: { inputTokens: 31, outputTokens: 6 } });
        const first = await user.post<{ assistantMessage: MessageResource; conversationTotalTokens: number }>(
          `/api/v1/conversations/${conversationId}/messages`,
          { content: "Capital of France?" },
        );
        expect(first.status).to.equal(201);
        const answer = first.body.assistantMessage;
        expect(answer).to.include({
          content: "Paris is the capital.",
          status: "complete",
          llmProvider: vendor,
          inputTokens: 31,
          outputTokens: 6,
          totalTokens: 37,
          finishReason: "stop",
        });
        expect(answer.modelUsed).to.be.a("string").and.not.equal("");
        expect(answer.metadata).to.deep.equal({});
        expect(first.body.conversationTotalTokens).to.equal(37);

        v.answer({ chunks: ["Berlin."], usage: { inputTokens: 50, outputTokens: 2 } });
        await user.post(`/api/v1/conversations/${conversationId}/messages`, { content: "And Germany?" });
        const sent = v.requests.at(-1)!.body as {
          model: string;
          messages: { role: string; content: unknown }[];
          system?: unknown;
        };
        expect(sent.model).to.equal(`${vendor}-model-x`);
        const turns = sent.messages.map((m) => [
          m.role,
          typeof m.content === "string" ? m.content : JSON.stringify(m.content),
        ]);
        if (vendor === "anthropic") {
          expect(JSON.stringify(sent.system)).to.include("You are terse.");
          expect(turns).to.deep.equal([
            ["user", "Capital of France?"],
            ["assistant", "Paris is the capital."],
            ["user", "And Germany?"],
          ]);
        } else {
          expect(turns).to.deep.equal([
            ["system", "You are terse."],
            ["user", "Capital of France?"],
            ["assistant", "Paris is the capital."],
            ["user", "And Germany?"],
          ]);
        }
        const detail = await user.get<ConversationResource>(`/api/v1/conversations/${conversationId}`);
        expect(detail.body.totalTokensUsed).to.equal(37 + 52);
      });

      it("tells the vendor who wrote what when two people wrote in the window", async () => {
        const v = vendors[vendor]!;
        const agent = await agentFor(vendor);
        const conversationId = await conversationWith(agent.id);
        // Vera's colleague (a name with letters the \`name\` field does not take) joins as a participant.
        await rest(server.url, server.token("kolya", { name: "Коля Smith" })).get("/api/v1/me");
        await user.post(`/api/v1/conversations/${conversationId}/members`, {
          userId: "kolya",
          role: "participant",
        });
        await rest(server.url, server.token("vera", { name: "Vera" })).get("/api/v1/me");
        v.answer({ chunks: ["Noted."] });
        await rest(server.url, server.token("vera", { name: "Vera" })).post(
          `/api/v1/conversations/${conversationId}/messages`,
          { content: "I pick the venue." },
        );
        v.answer({ chunks: ["Fine."] });
        await rest(server.url, server.token("kolya", { name: "Коля Smith" })).post(
          `/api/v1/conversations/${conversationId}/messages`,
          { content: "I bring the cake." },
        );
        const sent = v.requests.at(-1)!.body as {
          messages: { role: string; content: unknown; name?: unknown }[];
        };
        const users = sent.messages.filter((m) => m.role === "user");
        if (vendor === "anthropic") {
          expect(
            users.map((m) => (typeof m.content === "string" ? m.content : JSON.stringify(m.content))),
          ).to.deep.equal(["Vera: I pick the venue.", "Коля Smith: I bring the cake."]);
        } else {
          expect(users.map((m) => m.content)).to.deep.equal(["I pick the venue.", "I bring the cake."]);
          const [vera, kolya] = users.map((m) => m.name as string);
          expect(vera).to.equal("Vera");
          // Only what OpenAI accepts in a name, and still one of its own.
          expect(kolya).to.match(/^[A-Za-z0-9_-]{1,64}$/);
          expect(kolya).to.include("Smith").and.not.equal(vera);
        }
      });

      it("stops mid-answer, closing the vendor's request and keeping the text", async () => {
        const v = vendors[vendor]!;
        const agent = await agentFor(vendor);
        const conversationId = await conversationWith(agent.id);
        v.answer({ chunks: ["One", " two", " three"], stallAfterChunks: 2 });
        const socket = await connect(server.url, server.token("vera"));
        try {
          const observed = observeAnswer(socket, conversationId);
          const twoChunks = seenText(socket, "One two".length);
          await call(socket, "message:send", { conversationId, content: "count" });
          await twoChunks.reached;
          expect(await call(socket, "generation:stop", { conversationId })).to.deep.equal({ stopped: true });
          const answer = await observed;
          expect(answer.end.message).to.include({ status: "cancelled", content: "One two" });
          await v.requests.at(-1)!.closed;
          expect(v.requests.at(-1)!.closedByClient).to.equal(true);
          expect(answer.end.message.metadata).to.deep.equal({ usageEstimated: true });
        } finally {
          socket.close();
        }
      });

      it("ends a failed answer with provider_error without the key, and the conversation goes on", async () => {
        const v = vendors[vendor]!;
        const agent = await agentFor(vendor);
        const conversationId = await conversationWith(agent.id);
        v.answer({ chunks: ["Partial", " answer", " lost"], cutAfterChunks: 2 });
        const failed = await user.post<
          ErrorBody & { error: { details: { assistantMessage: MessageResource } } }
        >(`/api/v1/conversations/${conversationId}/messages`, { content: "will break" });
        expect(failed.status).to.equal(502);
        expect(failed.body.error.code).to.equal("provider_error");
        expect(failed.body.error.message).to.not.include(KEYS[vendor]);
        expect(failed.body.error.details.assistantMessage).to.include({
          status: "error",
          content: "Partial answer",
        });
        expect(v.requests).to.have.length(1);

        const before = (await user.get<ConversationResource>(`/api/v1/conversations/${conversationId}`)).body;
        v.failNext(401, 1);
        const refused = await user.post<ErrorBody>(`/api/v1/conversations/${conversationId}/messages`, {
          content: "bad key now",
        });
        expect(refused.body.error.code).to.equal("provider_error");
        expect(refused.body.error.message).to.match(/401/);
        // Nothing was produced, nothing was billed: the budget is not charged.
        const after = (await user.get<ConversationResource>(`/api/v1/conversations/${conversationId}`)).body;
        expect(after.totalTokensUsed).to.equal(before.totalTokensUsed);

        v.answer({ chunks: ["Fine again."] });
        const ok = await user.post<{ assistantMessage: MessageResource }>(
          `/api/v1/conversations/${conversationId}/messages`,
          { content: "and now?" },
        );
        expect(ok.body.assistantMessage).to.include({ status: "complete", content: "Fine again." });
        const history = (v.requests.at(-1)!.body as { messages: { content: unknown }[] }).messages.map((m) =>
          JSON.stringify(m.content),
        );
        expect(history.join(" ")).to.not.include("Partial answer");
      });
    });
  }

  it("refuses the turn once the vendor's reported usage has spent the agent's budget", async () => {
    const v = vendors.openai!;
    const agent = await agentFor("openai", { maxConversationTokens: 60 });
    const conversationId = await conversationWith(agent.id);
    v.answer({ chunks: ["ok"], usage: { inputTokens: 25, outputTokens: 5 } });
    expect(
      (await user.post(`/api/v1/conversations/${conversationId}/messages`, { content: "one" })).status,
    ).to.equal(201);
    expect(
      (await user.post(`/api/v1/conversations/${conversationId}/messages`, { content: "two" })).status,
    ).to.equal(201);
    const third = await user.post<ErrorBody>(`/api/v1/conversations/${conversationId}/messages`, {
      content: "three",
    });
    expect(third.status).to.equal(409);
    expect(third.body.error.code).to.equal("token_limit_reached");
    expect(v.requests).to.have.length(2);
  });

  it("runs a tool for an Anthropic agent that thinks, sends its signed thinking back with the call, and stores the reasoning", async () => {
    const v = vendors.anthropic!;
    const { body } = await admin.get<{ tools: { id: string; name: string }[] }>("/api/v1/admin/tools");
    const clock = body.tools.find((t) => t.name === "current_time")!;
    const agent = await agentFor("anthropic", {
      toolIds: [clock.id],
      maxSteps: 2,
      reasoning: { budgetTokens: 2048 },
    });
    const conversationId = await conversationWith(agent.id);
    // Every call of the model thinks and asks for the time: the second is past the step limit.
    v.answer({
      reasoningChunks: ["The user ", "wants the time."],
      reasoningSignature: "sig-step-1",
      chunks: ["Checking. "],
      toolCalls: [{ id: "toolu_01", name: "current_time", argumentsChunks: ["{", "}"] }],
      usage: { inputTokens: 20, outputTokens: 8 },
    });
    const res = await user.post<{ assistantMessage: MessageResource }>(
      `/api/v1/conversations/${conversationId}/messages`,
      { content: "What time is it?" },
    );
    const answer = res.body.assistantMessage;
    expect(answer).to.include({ status: "complete", finishReason: "length" });
    expect(answer.parts.map((p) => p.type)).to.deep.equal([
      "reasoning",
      "text",
      "tool",
      "reasoning",
      "text",
      "tool",
    ]);
    expect(answer.parts[0]).to.deep.equal({ type: "reasoning", text: "The user wants the time." });
    expect(answer.parts[2]).to.include({ state: "output-available", toolName: "current_time" });
    expect(answer.totalTokens).to.equal(56);
    // The second call carries the first step back in Anthropic's own blocks: thinking first.
    expect(v.requests).to.have.length(2);
    const sent = v.requests[1]!.body as { messages: { role: string; content: unknown }[]; thinking: unknown };
    expect(sent.thinking).to.deep.equal({ type: "enabled", budget_tokens: 2048 });
    const [assistant, results] = sent.messages.slice(-2);
    expect(assistant!.role).to.equal("assistant");
    expect((assistant!.content as { type: string }[]).map((b) => b.type)).to.deep.equal([
      "thinking",
      "text",
      "tool_use",
    ]);
    expect((assistant!.content as { signature?: string }[])[0]!.signature).to.equal("sig-step-1");
    expect(results!.role).to.equal("user");
    expect((results!.content as { type: string; tool_use_id: string }[])[0]).to.include({
      type: "tool_result",
      tool_use_id: "toolu_01",
    });
  });
});
