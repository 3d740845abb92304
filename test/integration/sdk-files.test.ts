// Covers: sdk/ files (ConfabClient.upload, fileUrl, files; the handle's attachments; ConfabChatTransport's
// file parts), against the server's file routes and message:send with fileIds.
import { gzipSync } from "node:zlib";
import { readUIMessageStream, type FileUIPart, type UIMessage, type UIMessageChunk } from "ai";
import { expect } from "chai";
import type { FilePart, MessageResource } from "../../src/protocol/index.js";
import { ConfabChatTransport, ConfabClient, ConfabError } from "../../sdk/index.js";
import type { ConversationHandle, MessageView } from "../../sdk/index.js";
import { png as makePng } from "../support/files.js";
import { rest } from "../support/rest.js";
import { DEMO_AGENT_ID, startTestServer, type TestServer } from "../support/test-server.js";
import { waitFor } from "../support/waiting.js";

/** The largest file this server takes: small, so that a test can go past it. */
const MAX_BYTES = 64 * 1024;

const textOf = (m: UIMessage | undefined) =>
  (m?.parts ?? []).flatMap((p) => (p.type === "text" ? [p.text] : [])).join("");

async function assemble(stream: ReadableStream<UIMessageChunk>): Promise<UIMessage | undefined> {
  let last: UIMessage | undefined;
  for await (const message of readUIMessageStream({ stream })) last = message;
  return last;
}

/** Node's Buffer as a Blob part (a copy on its own ArrayBuffer). */
const bytes = (buffer: Buffer) => new Uint8Array(buffer);

const fileParts = (view: MessageView | MessageResource | undefined): FilePart[] =>
  (view?.parts ?? []).filter((p): p is FilePart => p.type === "file");

describe("files through the client SDK against a real server", () => {
  let server: TestServer;
  const clients: ConfabClient[] = [];
  /** A 3 × 2 PNG, made by the test. */
  const png = makePng(3, 2);

  before(async () => {
    server = await startTestServer({ env: { FILE_MAX_BYTES: String(MAX_BYTES) } });
  });
  after(async () => {
    await server.close();
  });
  afterEach(() => {
    for (const c of clients.splice(0)) c.close();
  });

  function client(sub: string): ConfabClient {
    const c = new ConfabClient({ url: server.url, getToken: () => server.token(sub, { name: sub }) });
    clients.push(c);
    return c;
  }

  async function opened(c: ConfabClient, id: string): Promise<ConversationHandle> {
    const handle = c.conversation(id);
    await handle.ready();
    return handle;
  }

  async function stored(conversationId: string, sub: string): Promise<MessageResource[]> {
    const res = await rest(server.url, server.token(sub)).get<{ messages: MessageResource[] }>(
      `/api/v1/conversations/${conversationId}/messages`,
    );
    expect(res.status).to.equal(200);
    return res.body.messages;
  }

  /** Waits until the handle shows a settled answer after `count` messages; returns the path. */
  function answered(handle: ConversationHandle, count: number): Promise<MessageView[]> {
    return waitFor(
      `${count} settled messages`,
      () => handle.messages(),
      (ms) => ms.length === count && ms.every((m) => m.status === "complete"),
    );
  }

  it("uploads a PNG with progress, sends it, and another member sees it and reads it through its signed link", async () => {
    const ann = client("ann");
    const { id } = await ann.createConversation({ agentId: DEMO_AGENT_ID });
    const annHandle = await opened(ann, id);
    const invite = await annHandle.createInvite("participant");
    const bob = client("bob");
    await bob.acceptInvite(invite.token);
    const bobHandle = await opened(bob, id);

    const progress: [number, number][] = [];
    const file = await ann.upload(id, new Blob([bytes(png)], { type: "image/png" }), {
      name: "dot.png",
      onProgress: (loaded, total) => progress.push([loaded, total]),
    });
    expect(file).to.include({
      conversationId: id,
      name: "dot.png",
      mediaType: "image/png",
      size: png.length,
    });
    expect(file).to.include({ width: 3, height: 2, messageId: null });
    // Node has no upload progress: the start and the end.
    expect(progress[0]).to.deep.equal([0, png.length]);
    expect(progress.at(-1)).to.deep.equal([png.length, png.length]);

    const sent = await annHandle.send("what is in this picture?", { fileIds: [file.id] });
    const [question] = await stored(id, "ann");
    expect(question!.id).to.equal(sent.message.id);
    expect(question!.content).to.equal("what is in this picture?");
    expect(question!.parts.map((p) => p.type)).to.deep.equal(["file", "text"]);
    expect(fileParts(question)).to.deep.equal([
      {
        type: "file",
        fileId: file.id,
        name: "dot.png",
        mediaType: "image/png",
        size: png.length,
        width: 3,
        height: 2,
      },
    ]);

    // Bob's tab gets the question with its file, and the demo model's answer names it.
    const path = await answered(bobHandle, 2);
    expect(fileParts(path[0])).to.deep.equal(fileParts(question));
    expect(path[1]!.content).to.include("dot.png");

    // Bob reads the bytes through a signed link, as an <img> would: no token.
    const url = await bob.fileUrl(file.id);
    expect(url.startsWith(`${server.url}/`), url).to.equal(true);
    const res = await fetch(url);
    expect(res.status).to.equal(200);
    expect(res.headers.get("content-type")).to.match(/^image\/png/);
    expect(Buffer.from(await res.arrayBuffer()).equals(png)).to.equal(true);
    // The link is kept while it has time left: one request for the same file.
    expect(await bob.fileUrl(file.id)).to.equal(url);

    const files = await bob.files(id);
    expect(files.map((f) => [f.id, f.name, f.messageId])).to.deep.equal([[file.id, "dot.png", question!.id]]);
  });

  it("refuses a file past the size limit and one of a type it does not take, each with the server's reason", async () => {
    const cy = client("cy");
    const { id } = await cy.createConversation({ agentId: DEMO_AGENT_ID });
    const tooLarge = await cy
      .upload(id, new Blob(["a".repeat(MAX_BYTES + 1)], { type: "text/plain" }), { name: "big.txt" })
      .catch((err: unknown) => err);
    expect(tooLarge).to.be.instanceOf(ConfabError);
    expect(tooLarge).to.include({ code: "payload_too_large", status: 413 });
    // A gzip file named as text: the type is read from the bytes.
    const gzip = await cy
      .upload(id, new Blob([bytes(gzipSync("hello"))], { type: "text/plain" }), { name: "notes.txt" })
      .catch((err: unknown) => err);
    expect(gzip).to.be.instanceOf(ConfabError);
    expect(gzip).to.include({ code: "unsupported_media_type", status: 415 });
    expect((gzip as ConfabError).message).to.not.equal("");
    expect(await cy.files(id)).to.deep.equal([]);
  });

  it("attaches files to the handle: uploaded at once, a refused one blocks the send until removed, the rest sent", async () => {
    const dee = client("dee");
    const { id } = await dee.createConversation({ agentId: DEMO_AGENT_ID });
    const handle = await opened(dee, id);
    const told: string[][] = [];
    handle.on("attachments", (list) => told.push(list.map((a) => `${a.name}:${a.status}`)));

    const picture = handle.attach(new Blob([bytes(png)], { type: "image/png" }), "dot.png");
    const notes = handle.attach(
      new Blob(["# Notes\n\nsome *text*\n"], { type: "text/markdown" }),
      "notes.md",
    );
    const junk = handle.attach(new Blob([bytes(gzipSync("hello"))]), "junk.txt");
    expect(handle.attachments.map((a) => [a.name, a.status, a.size])).to.deep.equal([
      ["dot.png", "uploading", png.length],
      ["notes.md", "uploading", notes.size],
      ["junk.txt", "uploading", junk.size],
    ]);
    const ended = await waitFor(
      "every upload to end",
      () => handle.attachments,
      (list) => list.every((a) => a.status !== "uploading"),
    );
    expect(ended.map((a) => [a.name, a.status, a.error?.code ?? null])).to.deep.equal([
      ["dot.png", "uploaded", null],
      ["notes.md", "uploaded", null],
      ["junk.txt", "failed", "unsupported_media_type"],
    ]);
    expect(ended[0]!.localId).to.equal(picture.localId);
    expect(ended[0]!.file).to.include({ mediaType: "image/png", width: 3, height: 2 });
    expect(told.at(-1)).to.deep.equal(["dot.png:uploaded", "notes.md:uploaded", "junk.txt:failed"]);

    // Nothing goes without a file the person meant to send.
    const refused = await handle.send("here are my files").catch((err: unknown) => err);
    expect(refused).to.be.instanceOf(ConfabError).with.property("code", "validation_failed");
    expect((refused as ConfabError).message).to.include("junk.txt");
    expect(await stored(id, "dee")).to.deep.equal([]);

    handle.detach(junk.localId);
    // Files alone: a message with no text.
    const sent = await handle.send("");
    expect(handle.attachments, "the composer is empty again").to.deep.equal([]);
    const [question] = await stored(id, "dee");
    expect(question!.id).to.equal(sent.message.id);
    expect(question!.content).to.equal("");
    expect(fileParts(question).map((p) => [p.fileId, p.name, p.mediaType])).to.deep.equal([
      [ended[0]!.file!.id, "dot.png", "image/png"],
      [ended[1]!.file!.id, "notes.md", "text/markdown"],
    ]);
    const path = await answered(handle, 2);
    expect(path[1]!.content).to.include("dot.png").and.include("notes.md");
  });

  it("puts an edited message's files into the composer, and its new version carries them unless removed", async () => {
    const fay = client("fay");
    const { id } = await fay.createConversation({ agentId: DEMO_AGENT_ID });
    const handle = await opened(fay, id);
    handle.attach(new Blob([bytes(png)], { type: "image/png" }), "dot.png");
    handle.attach(new Blob(["a,b\n1,2\n"], { type: "text/csv" }), "table.csv");
    const first = await handle.send("two files");
    await answered(handle, 2);

    handle.beginEdit(first.message.id);
    // At once: they are stored already.
    const carried = handle.attachments;
    expect(carried.map((a) => [a.name, a.size, a.blob])).to.deep.equal([
      ["dot.png", png.length, null],
      ["table.csv", 8, null],
    ]);
    handle.detach(carried[1]!.localId);
    await handle.submit("only the picture now");
    expect(handle.attachments).to.deep.equal([]);
    const edited = (await stored(id, "fay")).find((m) => m.content === "only the picture now");
    expect(fileParts(edited).map((p) => [p.name, p.size])).to.deep.equal([["dot.png", png.length]]);
    expect(fileParts(edited)[0]!.fileId, "the same file, sent again").to.equal(
      fileParts(first.message)[0]!.fileId,
    );

    // Giving up an edit takes its files out of the composer again.
    handle.beginEdit(edited!.id);
    expect(handle.attachments.map((a) => a.name)).to.deep.equal(["dot.png"]);
    handle.cancelEdit();
    expect(handle.attachments).to.deep.equal([]);
  });

  it("sends useChat's files: uploaded by the transport, named in the answer, and given back as file parts with signed links", async () => {
    const transport = new ConfabChatTransport({ client: client("eve") });
    const { id } = await transport.client.createConversation({ agentId: DEMO_AGENT_ID });
    const filePart: FileUIPart = {
      type: "file",
      mediaType: "image/png",
      filename: "dot.png",
      url: `data:image/png;base64,${png.toString("base64")}`,
    };
    const stream = await transport.sendMessages({
      trigger: "submit-message",
      chatId: id,
      messageId: undefined,
      messages: [{ id: "u-1", role: "user", parts: [filePart, { type: "text", text: "what is this?" }] }],
      abortSignal: undefined,
    });
    const answer = await assemble(stream);
    expect(textOf(answer)).to.include("dot.png");
    const [question, storedAnswer] = await stored(id, "eve");
    expect(question!.content).to.equal("what is this?");
    expect(fileParts(question).map((p) => [p.name, p.mediaType, p.size])).to.deep.equal([
      ["dot.png", "image/png", png.length],
    ]);
    expect(textOf(answer)).to.equal(storedAnswer!.content);

    // History (a reload, another tab): the file as the AI SDK's file part, its url a signed link.
    const [user] = await transport.messages(id);
    const files = user!.parts.filter((p): p is FileUIPart => p.type === "file");
    expect(files.map((p) => [p.filename, p.mediaType])).to.deep.equal([["dot.png", "image/png"]]);
    expect(files[0]!.url.startsWith(`${server.url}/`), files[0]!.url).to.equal(true);
    const res = await fetch(files[0]!.url);
    expect(Buffer.from(await res.arrayBuffer()).equals(png)).to.equal(true);

    // Sent anew (an edit): the stored file is read again and goes with the new version.
    const edit = await transport.sendMessages({
      trigger: "submit-message",
      chatId: id,
      messageId: question!.id,
      messages: [{ ...user!, parts: [...files, { type: "text", text: "and now?" }] }],
      abortSignal: undefined,
    });
    expect(textOf(await assemble(edit))).to.include("dot.png");
    const versions = (await stored(id, "eve")).filter((m) => m.role === "user");
    const edited = versions.find((m) => m.content === "and now?");
    expect(fileParts(edited).map((p) => [p.name, p.size])).to.deep.equal([["dot.png", png.length]]);
    // The same stored file: an edit sends the edited message's files again, uploading nothing.
    expect(fileParts(edited)[0]!.fileId).to.equal(fileParts(question)[0]!.fileId);
  });
});
