// Covers: client-example/terminal.ts on the SDK's conversation handle, against the server as a process.
import { spawn } from "node:child_process";
import { once } from "node:events";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { expect } from "chai";
import type { MessageResource } from "../../src/protocol/index.js";
import { png as makePng } from "../support/files.js";
import { rest } from "../support/rest.js";
import { PROJECT_ROOT, startServerProcess, type ServerProcess } from "../support/server-process.js";

/** `npm run client -- <args>` with these lines piped to its input; its output once it has exited. */
async function terminal(
  args: string[],
  lines: string[],
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const child = spawn(process.execPath, ["--import", "tsx", "client-example/terminal.ts", ...args], {
    cwd: PROJECT_ROOT,
    stdio: ["pipe", "pipe", "pipe"],
  });
  let stdout = "";
  let stderr = "";
  child.stdout.on("data", (d: Buffer) => (stdout += d.toString()));
  child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
  child.stdin.end(lines.map((l) => l + "\n").join(""));
  const [code] = (await once(child, "exit")) as [number | null];
  return { code, stdout, stderr };
}

describe("the terminal client", () => {
  let dataDir: string;
  let server: ServerProcess;

  before(async () => {
    dataDir = await mkdtemp(path.join(tmpdir(), "confab-terminal-"));
    server = await startServerProcess({ DATA_DIR: dataDir, DEMO_WORD_DELAY_MS: "2" });
  });
  after(async () => {
    await server?.stop("SIGKILL");
    await rm(dataDir, { recursive: true, force: true });
  });

  it("sends piped lines one at a time, prints each answer as stored, and shows the history when it comes back", async () => {
    const first = await terminal(
      ["--url", server.url, "--user", "tess", "--agent", "00000000-0000-4000-8000-000000000001"],
      ["Remember the word pineapple", "/nope", "And mango"],
    );
    expect(first.code, first.stderr).to.equal(0);
    const id = /^conversation ([0-9a-f-]{36}) · Demo assistant \(demo\//m.exec(first.stdout)?.[1];
    expect(id, first.stdout).to.be.a("string");
    const token = (await rest(server.url).post<{ token: string }>("/api/v1/dev/token", { sub: "tess" })).body
      .token;
    const stored = (
      await rest(server.url, token).get<{ messages: MessageResource[] }>(
        `/api/v1/conversations/${id}/messages`,
      )
    ).body.messages;
    expect(stored.map((m) => [m.role, m.status])).to.deep.equal([
      ["user", "complete"],
      ["assistant", "complete"],
      ["user", "complete"],
      ["assistant", "complete"],
    ]);
    // Each line, then its whole answer, in order; an unknown command sends nothing.
    expect(first.stdout).to.include(
      `you> Remember the word pineapple\nassistant> ${stored[1]!.content}\n(commands: /attach <path>, /stop, /quit)\nyou> And mango\nassistant> ${stored[3]!.content}\n`,
    );

    const again = await terminal(["--url", server.url, "--user", "tess", "--conversation", id!], ["/quit"]);
    expect(again.code, again.stderr).to.equal(0);
    expect(again.stdout).to.include(
      `you> Remember the word pineapple\nassistant> ${stored[1]!.content}\nyou> And mango\nassistant> ${stored[3]!.content}\n`,
    );
  });

  it("uploads a file with /attach, sends it with the next line, and prints files as [file name (type, size)]", async () => {
    const png = makePng(3, 2);
    const picture = path.join(dataDir, "dot.png");
    await writeFile(picture, png);
    const first = await terminal(
      ["--url", server.url, "--user", "uma", "--agent", "00000000-0000-4000-8000-000000000001"],
      [`/attach ${picture}`, `/attach ${path.join(dataDir, "missing.png")}`, "what is this?"],
    );
    expect(first.code, first.stderr).to.equal(0);
    expect(first.stdout).to.include(
      `(uploading dot.png, ${png.length} B…)\n(dot.png attached: the next line sends it)\n(cannot read ${path.join(dataDir, "missing.png")}: `,
    );
    const id = /^conversation ([0-9a-f-]{36})/m.exec(first.stdout)?.[1];
    const token = (await rest(server.url).post<{ token: string }>("/api/v1/dev/token", { sub: "uma" })).body
      .token;
    const stored = (
      await rest(server.url, token).get<{ messages: MessageResource[] }>(
        `/api/v1/conversations/${id}/messages`,
      )
    ).body.messages;
    expect(stored[0]!.parts.map((p) => (p.type === "file" ? [p.name, p.mediaType] : p.type))).to.deep.equal([
      ["dot.png", "image/png"],
      "text",
    ]);
    expect(stored[1]!.content).to.include("dot.png");
    expect(first.stdout).to.include(`you> what is this?\nassistant> ${stored[1]!.content}\n`);

    const again = await terminal(["--url", server.url, "--user", "uma", "--conversation", id!], ["/quit"]);
    expect(again.stdout).to.include(`you> [file dot.png (image/png, ${png.length} B)] what is this?\n`);
  });

  it("says why it cannot join a conversation that is not the user's, and exits 1", async () => {
    const result = await terminal(
      ["--url", server.url, "--user", "tess", "--conversation", "00000000-0000-4000-8000-00000000beef"],
      [],
    );
    expect(result.code).to.equal(1);
    expect(result.stderr).to.match(
      /cannot join conversation 00000000-0000-4000-8000-00000000beef: .*\(not_found\)/,
    );
  });
});
