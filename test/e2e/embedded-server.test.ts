// Covers: src/main.ts, src/db/embedded-postgres.ts, src/auth/dev-secret.ts,
// src/http/routes/dev-token-route.ts, src/http/client-example.ts, src/cli/token.ts, src/config.ts (a bad
// configuration refused at once), src/files/ on the embedded database.
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { expect } from "chai";
import type { ConversationResource, MessageResource } from "../../src/conversations/resources.js";
import { call, connect, observeAnswer } from "../support/clients.js";
import { createConversation, DEMO_AGENT_ID } from "../support/conversations.js";
import { png, uploaded } from "../support/files.js";
import { rest } from "../support/rest.js";
import { runProjectCommand, startServerProcess, type ServerProcess } from "../support/server-process.js";

describe("the server process on the embedded database (npm start with nothing configured)", () => {
  let dataDir: string;
  let server: ServerProcess | undefined;

  before(async () => {
    dataDir = await mkdtemp(path.join(tmpdir(), "confab-e2e-"));
  });
  after(async () => {
    await server?.stop("SIGKILL");
    await rm(dataDir, { recursive: true, force: true });
  });

  it("runs a streamed turn, shuts down cleanly, and still has the conversation after a restart", async () => {
    server = await startServerProcess({ DATA_DIR: dataDir, DEMO_WORD_DELAY_MS: "2" });
    const tokenRes = await rest(server.url).post<{ token: string }>("/api/v1/dev/token", {
      sub: "walker",
      name: "W",
    });
    expect(tokenRes.status).to.equal(200);
    const token = tokenRes.body.token;
    const api = rest(server.url, token);
    const agents = await api.get<{ id: string }[]>("/api/v1/agents");
    expect(agents.body.map((a) => a.id)).to.include(DEMO_AGENT_ID);
    const conversationId = (await createConversation(api)).id;

    const socket = await connect(server.url, token);
    await call(socket, "conversation:join", { conversationId });
    const answer = observeAnswer(socket, conversationId);
    await call(socket, "message:send", { conversationId, content: "Remember the word pineapple" });
    const observed = await answer;
    socket.close();
    expect(observed.end.message.status).to.equal("complete");
    expect(observed.text).to.equal(observed.end.message.content);
    expect(observed.text).to.include("pineapple");

    expect(await server.stop("SIGTERM")).to.equal(0);

    server = await startServerProcess({ DATA_DIR: dataDir, DEMO_WORD_DELAY_MS: "2" });
    // The development secret was kept in DATA_DIR: the old token still works.
    const again = rest(server.url, token);
    const detail = await again.get<ConversationResource & { messages: MessageResource[] }>(
      `/api/v1/conversations/${conversationId}`,
    );
    expect(detail.status).to.equal(200);
    expect(detail.body.messages.map((m) => [m.role, m.status])).to.deep.equal([
      ["user", "complete"],
      ["assistant", "complete"],
    ]);
    expect(detail.body.messages[1]?.content).to.equal(observed.text);
    const second = await again.post<{ assistantMessage: MessageResource }>(
      `/api/v1/conversations/${conversationId}/messages`,
      { content: "What did I ask you to remember?" },
    );
    expect(second.body.assistantMessage.content).to.include("Remember the word pineapple");
  });

  it("keeps files in the embedded database, and the demo model tells what it was sent", async () => {
    server ??= await startServerProcess({ DATA_DIR: dataDir, DEMO_WORD_DELAY_MS: "2" });
    const token = (await rest(server.url).post<{ token: string }>("/api/v1/dev/token", { sub: "filer" })).body
      .token;
    const conversationId = (await createConversation(rest(server.url, token))).id;
    const image = png(64, 48);
    // Past one 256 KiB chunk of the PostgreSQL store.
    const big = Buffer.alloc(600_000, "word ");
    const file = await uploaded(server.url, token, conversationId, image, "screen.png");
    const text = await uploaded(server.url, token, conversationId, big, "log.txt");
    const socket = await connect(server.url, token);
    await call(socket, "conversation:join", { conversationId });
    const answer = observeAnswer(socket, conversationId);
    await call(socket, "message:send", {
      conversationId,
      content: "What is this?",
      fileIds: [file.id, text.id],
    });
    const observed = await answer;
    socket.close();
    expect(observed.text).to.include("screen.png (image/png, ");
    expect(observed.text).to.include("64×48 pixels");
    expect(observed.text).to.include("log.txt (text/plain, 600,000 bytes)");
    const link = await rest(server.url, token).get<{ url: string }>(`/api/v1/files/${text.id}/url`);
    const bytes = Buffer.from(await (await fetch(`${server.url}${link.body.url}`)).arrayBuffer());
    expect(bytes.equals(big)).to.equal(true);
  });

  it("serves the client example at /", async () => {
    server ??= await startServerProcess({ DATA_DIR: dataDir });
    const page = await fetch(`${server.url}/`);
    expect(page.status).to.equal(200);
    // The widget mounted in a page, and the full app beside it.
    expect(await page.text()).to.include("/embed.js");
    expect(await (await fetch(`${server.url}/app.html`)).text()).to.include("app.js");
    const script = await fetch(`${server.url}/app.js`);
    expect(script.headers.get("content-type")).to.match(/javascript/);
    expect((await script.text()).length).to.be.greaterThan(1000);
  });

  it("npm run token prints a token this server accepts, with the admin role when asked", async () => {
    server ??= await startServerProcess({ DATA_DIR: dataDir });
    const printed = await runProjectCommand(
      ["--import", "tsx", "src/cli/token.ts", "ops-person", "--admin"],
      {
        DATA_DIR: dataDir,
      },
    );
    expect(printed.code, printed.stderr).to.equal(0);
    const me = await rest(server.url, printed.stdout.trim()).get("/api/v1/me");
    expect(me.body).to.include({ id: "ops-person", role: "admin" });
  });
});

describe("starting with a bad configuration", () => {
  it("refuses production without a key, and lists every bad variable in one message", async () => {
    const result = await runProjectCommand(["--import", "tsx", "src/main.ts"], {
      NODE_ENV: "production",
      PORT: "not-a-port",
      DATABASE_URL: "mysql://nope",
    });
    expect(result.code).to.equal(1);
    expect(result.stderr).to.match(/JWT_SECRET/);
    expect(result.stderr).to.match(/PORT/);
    expect(result.stderr).to.match(/DATABASE_URL/);
    expect(result.stderr.trim().split("\n")).to.have.length(1);
  });
});
