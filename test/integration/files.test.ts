// Covers: src/files/ (file-service, file-inspector, media-type, display-name, file-links,
// postgres-file-store), src/http/routes/file-routes.ts, src/chat/turn-starter.ts and prompt.ts (files
// sent with a message), src/admin/admin-service.ts and conversation-service.ts (files deleted with
// what they belong to), src/background-jobs.ts (unsent files swept).
import { createHash } from "node:crypto";
import http from "node:http";
import { expect } from "chai";
import type { MessageResource, SendResult } from "../../src/protocol/index.js";
import { FileLinks } from "../../src/files/file-links.js";
import { call, connect, nextEvent, observeAnswer, request, type ChatClient } from "../support/clients.js";
import { createConversation } from "../support/conversations.js";
import { FakeChatModel } from "../support/fake-chat-model.js";
import { pdf, png, uploadFile, uploaded } from "../support/files.js";
import { pdfText } from "../support/pdf-text.js";
import { rest } from "../support/rest.js";
import { queryDatabase } from "../support/database.js";
import { JWT_SECRET, startTestServer, type TestServer } from "../support/test-server.js";
import { waitUntil } from "../support/waiting.js";

const MAX_BYTES = 200_000;

describe("files: upload, read, send, delete", () => {
  let server: TestServer;
  const model = new FakeChatModel({ chunks: ["Seen", "."] });
  const sockets: ChatClient[] = [];

  before(async () => {
    server = await startTestServer({
      chatModels: { demo: model },
      env: { FILE_MAX_BYTES: String(MAX_BYTES), FILE_UNSENT_TTL_SECONDS: "3600" },
    });
  });
  after(async () => {
    for (const s of sockets) s.disconnect();
    await server.close();
  });

  const api = (sub: string) => rest(server.url, server.token(sub, { name: sub }));
  const tab = async (sub: string) => {
    const socket = await connect(server.url, server.token(sub, { name: sub }));
    sockets.push(socket);
    return socket;
  };
  const conversationOf = async (sub: string) => (await createConversation(api(sub))).id;
  const upload = (sub: string, conversationId: string, bytes: Buffer, name: string, type?: string) =>
    uploadFile(server.url, server.token(sub, { name: sub }), conversationId, bytes, name, type);
  const stored = (sub: string, conversationId: string, bytes: Buffer, name: string, type?: string) =>
    uploaded(server.url, server.token(sub, { name: sub }), conversationId, bytes, name, type);
  const filesOf = async (conversationId: string) =>
    (
      await queryDatabase<{ n: number }>(
        server.database,
        "SELECT count(*)::int AS n FROM files WHERE conversation_id = $1",
        [conversationId],
      )
    )[0]?.n;
  const sha256 = (b: Buffer) => createHash("sha256").update(b).digest("hex");

  async function joined(sub: string, conversationId: string): Promise<ChatClient> {
    const socket = await tab(sub);
    await call(socket, "conversation:join", { conversationId });
    return socket;
  }

  async function content(path: string, token?: string) {
    const res = await fetch(`${server.url}${path}`, {
      headers: token ? { authorization: `Bearer ${token}` } : {},
    });
    return { status: res.status, headers: res.headers, bytes: Buffer.from(await res.arrayBuffer()) };
  }

  describe("uploading", () => {
    it("stores an image as what its bytes are, with its size in pixels, whatever its name and header say", async () => {
      const conversationId = await conversationOf("ann");
      const image = png(64, 48);
      const file = await stored("ann", conversationId, image, "holiday.txt", "text/plain");
      expect(file).to.include({
        conversationId,
        name: "holiday.txt",
        mediaType: "image/png",
        size: image.length,
      });
      expect(file).to.include({ width: 64, height: 48, sha256: sha256(image), messageId: null });
      expect(file.uploadedBy).to.deep.equal({ id: "ann", name: "ann" });

      const text = await stored("ann", conversationId, Buffer.from("just words\n"), "photo.png", "image/png");
      expect(text.mediaType).to.equal("text/plain");
      const csv = await stored("ann", conversationId, Buffer.from("a,b\n1,2\n"), "table.csv");
      expect(csv.mediaType).to.equal("text/csv");
      const json = await stored("ann", conversationId, Buffer.from('{"a": 1}'), "data.json");
      expect(json.mediaType).to.equal("application/json");
      const doc = await stored("ann", conversationId, pdf(), "doc.bin");
      expect(doc.mediaType).to.equal("application/pdf");

      const list = await api("ann").get<{ files: { id: string }[] }>(
        `/api/v1/conversations/${conversationId}/files`,
      );
      expect(list.body.files.map((f) => f.id)).to.deep.equal([file.id, text.id, csv.id, json.id, doc.id]);
    });

    it("refuses HTML, SVG, XML and binaries it does not take with 415, and stores nothing of them", async () => {
      const conversationId = await conversationOf("ann");
      const refused = [
        [Buffer.from("<!DOCTYPE html><html><body><script>alert(1)</script></body></html>"), "page.txt"],
        [Buffer.from('<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"></svg>'), "image.png"],
        [Buffer.from('<?xml version="1.0"?><a/>'), "data.json"],
        [Buffer.from([0x50, 0x4b, 0x03, 0x04, ...Buffer.alloc(100)]), "archive.zip"],
        [Buffer.concat([Buffer.from("text then "), Buffer.from([0xff, 0xfe, 0x00, 0x01])]), "notes.txt"],
      ] as const;
      for (const [bytes, name] of refused) {
        const answer = await upload("ann", conversationId, bytes, name);
        expect(answer.status, name).to.equal(415);
        expect(answer.body.error?.code).to.equal("unsupported_media_type");
      }
      const list = await api("ann").get<{ files: unknown[] }>(
        `/api/v1/conversations/${conversationId}/files`,
      );
      expect(list.body.files).to.deep.equal([]);
      const rows = await queryDatabase<{ n: number }>(
        server.database,
        "SELECT count(*)::int AS n FROM files WHERE conversation_id = $1",
        [conversationId],
      );
      expect(rows[0]?.n).to.equal(0);
    });

    it("cuts an upload at the limit with 413, announced or not, and keeps nothing", async () => {
      const conversationId = await conversationOf("ann");
      // Just past the limit: the multipart body is within its allowance, so the bytes are read and cut.
      const over = Buffer.alloc(MAX_BYTES + 10, "a");
      const cut = await upload("ann", conversationId, over, "big.txt");
      expect(cut.status).to.equal(413);
      expect(cut.body.error?.code).to.equal("payload_too_large");
      // Far past it: refused from its Content-Length before it is read.
      const announced = await upload("ann", conversationId, Buffer.alloc(MAX_BYTES * 3, "a"), "huge.txt");
      expect(announced.status).to.equal(413);
      // Its row went, and its chunks with it (they hang off the row); the next upload goes through.
      expect((await stored("ann", conversationId, Buffer.from("whole"), "whole.txt")).size).to.equal(5);
    });

    it("keeps nothing of an upload whose client goes away midway", async () => {
      const conversationId = await conversationOf("ann");
      const boundary = "----confab-test";
      const head = `--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="half.txt"\r\nContent-Type: text/plain\r\n\r\n`;
      const url = new URL(`/api/v1/conversations/${conversationId}/files`, server.url);
      const req = http.request(url, {
        method: "POST",
        headers: {
          authorization: `Bearer ${server.token("ann", { name: "ann" })}`,
          "content-type": `multipart/form-data; boundary=${boundary}`,
          "content-length": String(head.length + 100_000),
        },
      });
      req.on("error", () => undefined);
      req.write(head);
      req.write(Buffer.alloc(50_000, "x"));
      await waitUntil("the upload to start", async () => (await filesOf(conversationId)) === 1);
      req.destroy();
      await waitUntil("the half upload to be gone", async () => (await filesOf(conversationId)) === 0);
      const chunks = await queryDatabase<{ n: number }>(
        server.database,
        "SELECT count(*)::int AS n FROM file_chunks",
      );
      const stored = await queryDatabase<{ n: number }>(
        server.database,
        "SELECT count(*)::int AS n FROM files",
      );
      // Every chunk belongs to a stored file (the PostgreSQL store's chunks go with their row).
      expect(chunks[0]?.n).to.be.at.most(stored[0]!.n * 2);
    });

    it("survives bodies cut short and uploads cancelled at once, from anyone", async () => {
      const conversationId = await conversationOf("ann");
      const boundary = "----confab-cut";
      const part = (field: string) =>
        `--${boundary}\r\nContent-Disposition: form-data; name="${field}"; filename="a.txt"\r\nContent-Type: text/plain\r\n\r\nhello`;
      const post = (target: string, sub: string, body: string) =>
        fetch(`${server.url}/api/v1/conversations/${target}/files`, {
          method: "POST",
          headers: {
            authorization: `Bearer ${server.token(sub)}`,
            "content-type": `multipart/form-data; boundary=${boundary}`,
          },
          body,
        }).then((r) => r.status);
      // No closing boundary: a stranger to a conversation that does not exist, then in another field.
      expect(await post("00000000-0000-4000-8000-000000000bad", "zed", part("file"))).to.be.oneOf([400, 404]);
      expect(await post(conversationId, "ann", part("other"))).to.equal(400);
      // Cancelled a moment after it started, many times over.
      for (let i = 0; i < 20; i++) {
        const controller = new AbortController();
        const sent = fetch(`${server.url}/api/v1/conversations/${conversationId}/files`, {
          method: "POST",
          headers: {
            authorization: `Bearer ${server.token("ann")}`,
            "content-type": `multipart/form-data; boundary=${boundary}`,
          },
          body: part("file") + "x".repeat(100_000),
          signal: controller.signal,
        }).catch(() => undefined);
        setTimeout(() => controller.abort(), i % 3);
        await sent;
      }
      // The node is still here, and takes the next upload.
      expect((await stored("ann", conversationId, Buffer.from("still here"), "ok.txt")).size).to.equal(10);
      await waitUntil("the cancelled uploads to be gone", async () => (await filesOf(conversationId)) === 1);
    });

    it("refuses an image that declares more pixels than allowed without decoding it", async () => {
      const conversationId = await conversationOf("ann");
      const bomb = png(4, 4, { declared: [100_000, 100_000] });
      const answer = await upload("ann", conversationId, bomb, "bomb.png");
      expect(answer.status).to.equal(400);
      expect(answer.body.error?.code).to.equal("validation_failed");
      expect(answer.body.error?.message).to.match(/100000×100000/);
    });

    it("keeps a hostile name as a display name only", async () => {
      const conversationId = await conversationOf("ann");
      const path = await stored("ann", conversationId, Buffer.from("x"), "../../etc/passwd");
      expect(path.name).to.equal("passwd");
      const windows = await stored("ann", conversationId, Buffer.from("x"), "C:\\Users\\ann\\notes.txt");
      expect(windows.name).to.equal("notes.txt");
      const controls = await stored("ann", conversationId, Buffer.from("x"), "a\u202Eb\u2066c.txt");
      expect(controls.name).to.equal("abc.txt");
      const long = await stored("ann", conversationId, Buffer.from("x"), `${"n".repeat(1000)}.txt`);
      expect(Array.from(long.name)).to.have.length(255);
    });

    it("lets only participants and the owner upload; a stranger learns nothing", async () => {
      const conversationId = await conversationOf("ann");
      const stranger = await upload("zed", conversationId, Buffer.from("x"), "x.txt");
      expect(stranger.status).to.equal(404);
      await api("ann").post(`/api/v1/conversations/${conversationId}/members`, {
        userId: "vic",
        role: "viewer",
      });
      const viewer = await upload("vic", conversationId, Buffer.from("x"), "x.txt");
      expect(viewer.status).to.equal(403);
      const notMultipart = await api("ann").post(`/api/v1/conversations/${conversationId}/files`, {
        file: "x",
      });
      expect(notMultipart.status).to.equal(400);
    });
  });

  describe("reading", () => {
    it("gives members the bytes, never as a page; strangers get not_found", async () => {
      const conversationId = await conversationOf("ann");
      await api("ann").post(`/api/v1/conversations/${conversationId}/members`, {
        userId: "vic",
        role: "viewer",
      });
      const image = png(10, 10);
      const file = await stored("ann", conversationId, image, "dot.png");
      const text = await stored("ann", conversationId, Buffer.from("hello"), "hi.md");

      const asViewer = await content(`/api/v1/files/${file.id}/content`, server.token("vic"));
      expect(asViewer.status).to.equal(200);
      expect(asViewer.bytes.equals(image)).to.equal(true);
      expect(asViewer.headers.get("content-type")).to.equal("image/png");
      expect(asViewer.headers.get("x-content-type-options")).to.equal("nosniff");
      expect(asViewer.headers.get("content-disposition")).to.match(/^inline;/);

      const asText = await content(`/api/v1/files/${text.id}/content`, server.token("ann"));
      expect(asText.headers.get("content-type")).to.equal("text/markdown; charset=utf-8");
      expect(asText.headers.get("content-disposition")).to.match(/^attachment; filename="hi.md"/);

      expect((await content(`/api/v1/files/${file.id}/content`, server.token("zed"))).status).to.equal(404);
      expect((await content(`/api/v1/files/${file.id}/content`)).status).to.equal(401);
      const link = await api("zed").get(`/api/v1/files/${file.id}/url`);
      expect(link.status).to.equal(404);
    });

    it("gives a signed link that works without a token for 5 minutes, and not once altered or expired", async () => {
      const conversationId = await conversationOf("ann");
      const image = png(20, 10);
      const file = await stored("ann", conversationId, image, "dot.png");
      const other = await stored("ann", conversationId, Buffer.from("secret"), "other.txt");
      const res = await api("ann").get<{ url: string; expiresAt: string }>(`/api/v1/files/${file.id}/url`);
      expect(res.status).to.equal(200);
      const lifetime = Date.parse(res.body.expiresAt) - Date.now();
      expect(lifetime).to.be.within(290_000, 300_000);

      const signed = await content(res.body.url);
      expect(signed.status).to.equal(200);
      expect(signed.bytes.equals(image)).to.equal(true);
      expect(signed.headers.get("cross-origin-resource-policy")).to.equal("cross-origin");

      const url = new URL(res.body.url, server.url);
      const tampered = [
        res.body.url.replace(file.id, other.id),
        res.body.url.replace(/expires=\d+/, `expires=${Number(url.searchParams.get("expires")) + 3600}`),
        res.body.url.replace(/signature=(.)/, (_m, c: string) => `signature=${c === "a" ? "b" : "a"}`),
        res.body.url.replace(/&signature=[0-9a-f]+/, ""),
      ];
      for (const path of tampered) expect((await content(path)).status, path).to.equal(403);

      const expired = new FileLinks(JWT_SECRET).link(file.id, Date.now() - 301_000);
      expect((await content(expired.url)).status).to.equal(403);
      const fresh = new FileLinks(JWT_SECRET).link(file.id);
      expect((await content(fresh.url)).status).to.equal(200);
    });
  });

  describe("sending", () => {
    it("sends files with a message: every tab sees the file parts, and the model gets the bytes", async () => {
      const conversationId = await conversationOf("ann");
      const image = png(32, 16);
      const file = await stored("ann", conversationId, image, "shot.png");
      const notes = await stored("ann", conversationId, Buffer.from("line one\n"), "notes.txt");
      const sender = await joined("ann", conversationId);
      const other = await joined("ann", conversationId);
      const seen = nextEvent(
        other,
        "message:created",
        (e) => e.conversationId === conversationId && e.message.role === "user",
      );
      const answer = observeAnswer(other, conversationId);
      const requestsBefore = model.requests.length;
      const sent = await call(sender, "message:send", {
        conversationId,
        content: "What is wrong here?",
        fileIds: [file.id, notes.id],
      });
      const parts = sent.message.parts;
      expect(parts.map((p) => p.type)).to.deep.equal(["file", "file", "text"]);
      expect(parts[0]).to.deep.equal({
        type: "file",
        fileId: file.id,
        name: "shot.png",
        mediaType: "image/png",
        size: image.length,
        width: 32,
        height: 16,
      });
      expect((await seen).message.parts).to.deep.equal(parts);
      expect((await answer).end.kind).to.equal("done");

      const prompt = model.requests[requestsBefore]!;
      const question = prompt.messages.at(-1)!;
      expect(question.content).to.equal("What is wrong here?");
      expect(question.files?.map((f) => [f.name, f.mediaType])).to.deep.equal([
        ["shot.png", "image/png"],
        ["notes.txt", "text/plain"],
      ]);
      expect(question.files?.[0]?.data.equals(image)).to.equal(true);

      // The next turn sends them again as history, within the window.
      const next = observeAnswer(other, conversationId);
      await call(sender, "message:send", { conversationId, content: "And now?" });
      await next;
      const history = model.requests.at(-1)!.messages;
      expect(history.find((m) => m.content === "What is wrong here?")?.files?.length).to.equal(2);

      const listed = await api("ann").get<{ files: { id: string; messageId: string | null }[] }>(
        `/api/v1/conversations/${conversationId}/files`,
      );
      expect(listed.body.files.find((f) => f.id === file.id)?.messageId).to.equal(sent.message.id);
    });

    it("sends the model the newest 20 files of the window, naming older ones instead", async () => {
      const conversationId = await conversationOf("ann");
      const socket = await joined("ann", conversationId);
      const send = async (content: string, count: number) => {
        const fileIds: string[] = [];
        for (let i = 0; i < count; i++)
          fileIds.push(
            (await stored("ann", conversationId, Buffer.from(`${content} ${i}`), `${content}-${i}.txt`)).id,
          );
        const answer = observeAnswer(socket, conversationId);
        await call(socket, "message:send", { conversationId, content, fileIds });
        await answer;
      };
      await send("first", 10);
      await send("second", 10);
      await send("third", 1);
      const messages = model.requests.at(-1)!.messages;
      const first = messages.find((m) => m.content.endsWith("first"))!;
      expect(first.files?.map((f) => f.name)).to.deep.equal(
        Array.from({ length: 9 }, (_, i) => `first-${i}.txt`),
      );
      expect(first.content).to.equal(
        "[The file first-9.txt (text/plain) was sent earlier; it is not sent again.]\nfirst",
      );
      expect(messages.find((m) => m.content === "second")?.files).to.have.length(10);
      expect(messages.at(-1)?.files?.map((f) => f.name)).to.deep.equal(["third-0.txt"]);
    });

    it("counts a PDF's tokens by its pages, counted from its bytes", async () => {
      const conversationId = await conversationOf("ann");
      // One page of 100 KB: by its size it would pass for six pages.
      const doc = await stored("ann", conversationId, pdf("x".repeat(100_000)), "one-page.pdf");
      const socket = await joined("ann", conversationId);
      const answer = observeAnswer(socket, conversationId);
      const sent = await call(socket, "message:send", { conversationId, content: "read", fileIds: [doc.id] });
      await answer;
      const [row] = await queryDatabase<{ tokens: number }>(
        server.database,
        "SELECT content_tokens AS tokens FROM messages WHERE id = $1",
        [sent.message.id],
      );
      expect(row?.tokens).to.be.within(3_000, 3_010);
    });

    it("sends a message of files alone, with no text", async () => {
      const conversationId = await conversationOf("ann");
      const file = await stored("ann", conversationId, png(8, 8), "only.png");
      const socket = await joined("ann", conversationId);
      const answer = observeAnswer(socket, conversationId);
      const sent = await call(socket, "message:send", { conversationId, content: "", fileIds: [file.id] });
      expect(sent.message.content).to.equal("");
      expect(sent.message.parts.map((p) => p.type)).to.deep.equal(["file"]);
      await answer;
      const second = await stored("ann", conversationId, png(8, 8), "two.png");
      const spaces = observeAnswer(socket, conversationId);
      const spaced = await call(socket, "message:send", {
        conversationId,
        content: " \n ",
        fileIds: [second.id],
      });
      await spaces;
      expect(spaced.message.content).to.equal("");
      expect(spaced.message.parts.map((p) => p.type)).to.deep.equal(["file"]);
      const blank = await request(socket, "message:send", { conversationId, content: "  " });
      expect(blank.ok).to.equal(false);
    });

    it("refuses files of another conversation, another person's upload, a file sent already, and one the agent does not read", async () => {
      const mine = await conversationOf("ann");
      const elsewhere = await conversationOf("ann");
      await api("ann").post(`/api/v1/conversations/${mine}/members`, { userId: "pat", role: "participant" });
      const foreign = await stored("ann", elsewhere, Buffer.from("x"), "x.txt");
      const pats = await stored("pat", mine, Buffer.from("y"), "y.txt");
      const socket = await joined("ann", mine);

      const refusals: [unknown[], string][] = [
        [[foreign.id], "not_found"],
        [[pats.id], "not_found"],
        [["00000000-0000-4000-8000-00000000dead"], "not_found"],
      ];
      for (const [fileIds, code] of refusals) {
        const answer = await request(socket, "message:send", {
          conversationId: mine,
          content: "see",
          fileIds,
        });
        expect(answer.ok ? "ok" : answer.error.code, JSON.stringify(fileIds)).to.equal(code);
      }

      const once = await stored("ann", mine, Buffer.from("z"), "z.txt");
      const first = observeAnswer(socket, mine);
      await call(socket, "message:send", { conversationId: mine, content: "one", fileIds: [once.id] });
      await first;
      const again = await request(socket, "message:send", {
        conversationId: mine,
        content: "two",
        fileIds: [once.id],
      });
      expect(again.ok ? "ok" : again.error.code).to.equal("validation_failed");

      // The agent reads text only: an image is refused before anything is stored.
      const agent = await rest(server.url, server.token("root", { role: "admin" })).post<{ id: string }>(
        "/api/v1/admin/agents",
        { name: "Text only", provider: "demo", model: "demo-1", acceptsFiles: ["text/plain"] },
      );
      const textOnly = (await createConversation(api("ann"), { agentId: agent.body.id })).id;
      const image = await stored("ann", textOnly, png(4, 4), "i.png");
      const reader = await joined("ann", textOnly);
      const refused = await request(reader, "message:send", {
        conversationId: textOnly,
        content: "look",
        fileIds: [image.id],
      });
      expect(refused.ok ? "ok" : refused.error.code).to.equal("validation_failed");
      const page = await api("ann").get<{ messages: MessageResource[] }>(
        `/api/v1/conversations/${textOnly}/messages`,
      );
      expect(page.body.messages).to.deep.equal([]);
      const tooMany = await request(reader, "message:send", {
        conversationId: textOnly,
        content: "x",
        fileIds: Array.from(
          { length: 11 },
          (_, i) => `00000000-0000-4000-8000-0000000000${String(i).padStart(2, "0")}`,
        ),
      });
      expect(tooMany.ok ? "ok" : tooMany.error.code).to.equal("validation_failed");
    });

    it("lets an edit send again the files of the message it replaces, an edit of an edit too, and nothing else", async () => {
      const conversationId = await conversationOf("ann");
      const file = await stored("ann", conversationId, png(6, 6), "e.png");
      const socket = await joined("ann", conversationId);
      const first = observeAnswer(socket, conversationId);
      const sent: SendResult = await call(socket, "message:send", {
        conversationId,
        content: "v1",
        fileIds: [file.id],
      });
      await first;
      const second = observeAnswer(socket, conversationId);
      const edited = await call(socket, "message:edit", {
        conversationId,
        messageId: sent.message.id,
        content: "v2",
        fileIds: [file.id],
      });
      await second;
      expect(edited.message.parts.map((p) => p.type)).to.deep.equal(["file", "text"]);
      const third = observeAnswer(socket, conversationId);
      const again = await call(socket, "message:edit", {
        conversationId,
        messageId: edited.message.id,
        content: "v3",
        fileIds: [file.id],
      });
      await third;
      expect(again.message.parts[0]).to.include({ type: "file", fileId: file.id });
      // A new message is not an edit: the file was sent already.
      const plain = await request(socket, "message:send", {
        conversationId,
        content: "v4",
        fileIds: [file.id],
      });
      expect(plain.ok ? "ok" : plain.error.code).to.equal("validation_failed");
    });
  });

  it("exports list the files: JSON with their facts, Markdown names them, the PDF shows the image", async () => {
    const conversationId = await conversationOf("ann");
    const file = await stored("ann", conversationId, png(40, 30), "chart.png");
    const gif = await stored(
      "ann",
      conversationId,
      Buffer.from("GIF89a\x01\x00\x01\x00\x00\x00\x00;", "latin1"),
      "tiny.gif",
    );
    const socket = await joined("ann", conversationId);
    const answer = observeAnswer(socket, conversationId);
    await call(socket, "message:send", { conversationId, content: "Here", fileIds: [file.id, gif.id] });
    await answer;
    const json = await api("ann").get<{ files: { id: string; name: string }[] }>(
      `/api/v1/conversations/${conversationId}/export?format=json`,
    );
    expect(json.body.files.map((f) => f.name)).to.deep.equal(["chart.png", "tiny.gif"]);
    const markdown = await api("ann").get<string>(
      `/api/v1/conversations/${conversationId}/export?format=markdown`,
    );
    expect(markdown.body).to.include("**File:** chart.png (image/png, ");
    expect(markdown.body).to.include("40×30)");
    const res = await fetch(`${server.url}/api/v1/conversations/${conversationId}/export?format=pdf`, {
      headers: { authorization: `Bearer ${server.token("ann")}` },
    });
    const bytes = Buffer.from(await res.arrayBuffer());
    expect(await pdfText(new Uint8Array(bytes))).to.include("File: chart.png");
    // One image drawn (the PNG); the GIF, which pdfkit cannot draw, is named only.
    expect(bytes.toString("latin1").match(/\/Subtype \/Image/g)).to.have.length(1);
  });

  it("counts uploads against the per-user limit", async () => {
    const limited = await startTestServer({ env: { RATE_LIMIT_UPLOADS_PER_MINUTE: "2" } });
    try {
      const token = limited.token("lou");
      const conversationId = (await createConversation(rest(limited.url, token))).id;
      const statuses: number[] = [];
      for (let i = 0; i < 3; i++) {
        statuses.push(
          (await uploadFile(limited.url, token, conversationId, Buffer.from("x"), "x.txt")).status,
        );
      }
      expect(statuses).to.deep.equal([201, 201, 429]);
      // Another user has uploads of their own.
      const other = await createConversation(rest(limited.url, limited.token("max")));
      expect(
        (await uploadFile(limited.url, limited.token("max"), other.id, Buffer.from("y"), "y.txt")).status,
      ).to.equal(201);
    } finally {
      await limited.close();
    }
  });

  it("the PDF export names, and never draws, an image pdfkit could not decode safely or that is too large", async () => {
    const conversationId = await conversationOf("ann");
    const broken = await stored("ann", conversationId, png(4, 4, { alpha: true, junk: true }), "broken.png");
    const translucent = await stored("ann", conversationId, png(8, 8, { alpha: true }), "glass.png");
    const huge = await stored("ann", conversationId, png(2500, 2000), "huge.png");
    const socket = await joined("ann", conversationId);
    const answer = observeAnswer(socket, conversationId);
    await call(socket, "message:send", {
      conversationId,
      content: "three",
      fileIds: [broken.id, translucent.id, huge.id],
    });
    await answer;
    const res = await fetch(`${server.url}/api/v1/conversations/${conversationId}/export?format=pdf`, {
      headers: { authorization: `Bearer ${server.token("ann")}` },
    });
    expect(res.status).to.equal(200);
    const bytes = Buffer.from(await res.arrayBuffer());
    const text = await pdfText(new Uint8Array(bytes));
    for (const name of ["broken.png", "glass.png", "huge.png"]) expect(text).to.include(`File: ${name}`);
    // Only the translucent one is drawn (an image, and its alpha as a soft mask).
    expect(bytes.toString("latin1").match(/\/Subtype \/Image/g)).to.have.length(2);
    expect((await api("ann").get("/api/v1/me")).status).to.equal(200);
  });

  describe("deleting", () => {
    const chunksOf = async (fileId: string) =>
      (
        await queryDatabase<{ n: number }>(
          server.database,
          "SELECT count(*)::int AS n FROM file_chunks WHERE file_id = $1",
          [fileId],
        )
      )[0]?.n;

    it("deletes a conversation's files with it", async () => {
      const conversationId = await conversationOf("ann");
      const file = await stored("ann", conversationId, Buffer.from("bye"), "bye.txt");
      expect(await chunksOf(file.id)).to.equal(1);
      expect((await api("ann").delete(`/api/v1/conversations/${conversationId}`)).status).to.equal(204);
      expect(await chunksOf(file.id)).to.equal(0);
      expect((await content(`/api/v1/files/${file.id}/content`, server.token("ann"))).status).to.equal(404);
    });

    it("deletes what a user uploaded, and the files of what it owned, when it is erased", async () => {
      const owned = await conversationOf("eve");
      const others = await conversationOf("ann");
      await api("ann").post(`/api/v1/conversations/${others}/members`, {
        userId: "eve",
        role: "participant",
      });
      await api("eve").post(`/api/v1/conversations/${owned}/members`, { userId: "ann", role: "participant" });
      const evesInOthers = await stored("eve", others, Buffer.from("e"), "e.txt");
      const annsInOwned = await stored("ann", owned, Buffer.from("a"), "a.txt");
      const annsOwn = await stored("ann", others, Buffer.from("k"), "k.txt");
      const admin = rest(server.url, server.token("root", { role: "admin" }));
      expect((await admin.delete(`/api/v1/admin/users/eve`)).status).to.equal(204);
      expect(await chunksOf(evesInOthers.id)).to.equal(0);
      expect(await chunksOf(annsInOwned.id)).to.equal(0);
      expect(await chunksOf(annsOwn.id)).to.equal(1);
    });

    it("deletes a file nobody sent once its time is up", async () => {
      const conversationId = await conversationOf("ann");
      const unsent = await stored("ann", conversationId, Buffer.from("forgotten"), "f.txt");
      const kept = await stored("ann", conversationId, Buffer.from("fresh"), "g.txt");
      await queryDatabase(
        server.database,
        "UPDATE files SET created_at = now() - interval '2 hours' WHERE id = $1",
        [unsent.id],
      );
      await waitUntil("the unsent file to be swept", async () => (await chunksOf(unsent.id)) === 0, {
        timeoutMs: 15_000,
      });
      expect(await chunksOf(kept.id)).to.equal(1);
    });
  });
});
