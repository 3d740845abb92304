// Covers: widget/attachments-view.ts, widget/file-part-view.ts, the composer and message list with files,
// sdk/ uploads (XMLHttpRequest with progress) and signed links, in headless Chromium, on a host page of
// another origin (as the widget is meant to be embedded).
import { mkdtemp, rm } from "node:fs/promises";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import { gzipSync } from "node:zlib";
import { expect } from "chai";
import type { Browser, Page } from "playwright-core";
import type { ConversationResource, FilePart, MessageResource } from "../../src/protocol/index.js";
import { formatSize } from "../../sdk/file-types.js";
import { launchChromium } from "../support/browser.js";
import { DEMO_AGENT_ID } from "../support/conversations.js";
import { png as makePng } from "../support/files.js";
import { rest } from "../support/rest.js";
import { startServerProcess, type ServerProcess } from "../support/server-process.js";

/** A file name that is markup: it must show as these characters, and run nothing. */
const MARKUP_NAME = "<img src=x onerror=alert(1)>.png";

/** What the page shows of one image a message carries. */
interface ShownImage {
  src: string;
  loaded: boolean;
  naturalWidth: number;
  name: string;
}

describe("files in the widget, in headless Chromium", () => {
  let dataDir: string;
  let server: ServerProcess;
  let host: Server;
  let hostUrl: string;
  let browser: Browser;
  let owner: Page;
  let member: Page;
  let conversationId: string;
  const tokens: Record<string, string> = {};
  const dialogs: string[] = [];
  const pageErrors: string[] = [];

  /** The widget for `who`, mounted on the host page. */
  async function open(who: string): Promise<Page> {
    const page = await (await browser.newContext()).newPage();
    page.on("dialog", (d) => {
      dialogs.push(d.message());
      void d.dismiss();
    });
    page.on("pageerror", (err) => pageErrors.push(err.message));
    await page.goto(`${hostUrl}?who=${who}`);
    // Joined, as someone who may write: the attach button is offered.
    await page.locator("button.attach:not([disabled])").waitFor();
    return page;
  }

  before(async () => {
    dataDir = await mkdtemp(path.join(tmpdir(), "confab-files-"));
    [server, browser] = await Promise.all([
      startServerProcess({ DATA_DIR: dataDir, DEMO_WORD_DELAY_MS: "2" }),
      launchChromium(),
    ]);
    for (const [sub, name] of [
      ["hana", "Hana"],
      ["ivan", "Ivan"],
    ] as const) {
      const res = await rest(server.url).post<{ token: string }>("/api/v1/dev/token", { sub, name });
      tokens[sub] = res.body.token;
    }
    const api = rest(server.url, tokens.hana);
    const created = await api.post<ConversationResource>("/api/v1/conversations", { agentId: DEMO_AGENT_ID });
    conversationId = created.body.id;
    const invite = await api.post<{ token: string }>(`/api/v1/conversations/${conversationId}/invites`, {
      role: "participant",
    });
    const accepted = await rest(server.url, tokens.ivan).post(`/api/v1/invites/${invite.body.token}/accept`);
    expect(accepted.status).to.equal(200);
    // A host page of its own origin (another port): the widget loads from Confab, and so do the images.
    host = createServer((req, res) => {
      const who = new URL(req.url ?? "/", "http://host").searchParams.get("who") ?? "hana";
      res.setHeader("content-type", "text/html");
      res.end(`<!doctype html><html><body><div id="chat" style="height:700px"></div>
<script type="module">
  import { mount } from ${JSON.stringify(`${server.url}/widget/confab-widget.js`)};
  window.__widget = mount(document.getElementById("chat"), {
    url: ${JSON.stringify(server.url)}, token: ${JSON.stringify(tokens[who] ?? "")},
    conversationId: ${JSON.stringify(conversationId)},
  });
</script></body></html>`);
    });
    await new Promise<void>((resolve) => host.listen(0, "127.0.0.1", resolve));
    hostUrl = `http://127.0.0.1:${(host.address() as AddressInfo).port}/`;
    [owner, member] = await Promise.all([open("hana"), open("ivan")]);
  });

  after(async () => {
    await browser?.close();
    await server?.stop("SIGKILL");
    await new Promise((r) => host?.close(r));
    await rm(dataDir, { recursive: true, force: true });
  });

  afterEach(() => {
    expect(pageErrors, "errors thrown in the pages").to.deep.equal([]);
    expect(dialogs, "dialogs opened by the pages").to.deep.equal([]);
  });

  async function storedQuestions(): Promise<MessageResource[]> {
    const res = await rest(server.url, tokens.hana).get<{ messages: MessageResource[] }>(
      `/api/v1/conversations/${conversationId}/messages?limit=100`,
    );
    return res.body.messages.filter((m) => m.role === "user");
  }

  /** The images of the messages shown, read in the widget's shadow root. */
  function shownImages(page: Page): Promise<ShownImage[]> {
    return page.locator(".message .file-part").evaluateAll((parts) =>
      parts.flatMap((part) => {
        const img = part.querySelector("img");
        if (!img) return [];
        return [
          {
            src: img.src,
            loaded: img.complete,
            naturalWidth: img.naturalWidth,
            name: part.querySelector(".file-name")?.textContent ?? "",
          },
        ];
      }),
    );
  }

  /** Waits until the page shows `count` images in its messages, each loaded. */
  async function imagesLoaded(page: Page, count: number): Promise<ShownImage[]> {
    const root = "#chat";
    await page.waitForFunction(
      ({ root, count }) => {
        const imgs = [
          ...(document.querySelector(root)?.shadowRoot?.querySelectorAll(".file-part img") ?? []),
        ];
        return imgs.length === count && imgs.every((i) => (i as HTMLImageElement).naturalWidth > 0);
      },
      { root, count },
    );
    return shownImages(page);
  }

  /** Waits until the page shows `count` settled answers; returns the last one's text. */
  async function answers(page: Page, count: number): Promise<string> {
    const done = page.locator(".message.assistant[data-status=complete] .bubble");
    await done.nth(count - 1).waitFor();
    return (await done.nth(count - 1).textContent()) ?? "";
  }

  it("attaches an image through the picker with its thumbnail and progress, sends it, and both members see it through its signed link", async () => {
    const photo = makePng(300, 300, { noise: true });
    // A slow upstream, so that the upload's progress can be seen.
    const cdp = await owner.context().newCDPSession(owner);
    await cdp.send("Network.enable");
    await cdp.send("Network.emulateNetworkConditions", {
      offline: false,
      latency: 0,
      downloadThroughput: -1,
      uploadThroughput: 64 * 1024,
    });
    await owner.getByRole("button", { name: "Attach files" }).waitFor();
    expect(await owner.locator("input[type=file]").getAttribute("accept")).to.include("image/png");
    await owner
      .locator("input[type=file]")
      .setInputFiles({ name: "photo.png", mimeType: "image/png", buffer: photo });

    const attachment = owner.locator(".attachment");
    await attachment.waitFor();
    expect(await attachment.locator(".attachment-name").textContent()).to.equal("photo.png");
    expect(await attachment.locator(".attachment-size").textContent()).to.equal(formatSize(photo.length));
    // The thumbnail is the local file, shown before it is uploaded.
    await owner.waitForFunction(() => {
      const img = document.querySelector("#chat")?.shadowRoot?.querySelector(".attachment-thumb img");
      return img instanceof HTMLImageElement && img.src.startsWith("blob:") && img.naturalWidth === 300;
    });
    // Part of the bytes sent, not all yet: the progress bar and the percentage tell it.
    await owner.waitForFunction(() => {
      const row = document.querySelector("#chat")?.shadowRoot?.querySelector(".attachment");
      const bar = row?.querySelector("progress");
      return (
        row instanceof HTMLElement &&
        row.dataset.status === "uploading" &&
        bar instanceof HTMLProgressElement &&
        !bar.hidden &&
        bar.value > 0 &&
        bar.value < bar.max &&
        /^[1-9]\d?%$/.test(row.querySelector(".attachment-state")?.textContent ?? "")
      );
    });
    await owner.locator(".attachment[data-status=uploaded]").waitFor({ timeout: 30_000 });
    expect(await attachment.locator("progress").isHidden()).to.equal(true);
    await cdp.send("Network.emulateNetworkConditions", {
      offline: false,
      latency: 0,
      downloadThroughput: -1,
      uploadThroughput: -1,
    });

    await owner.locator("textarea").fill("What is in this picture?");
    await owner.getByRole("button", { name: "Send", exact: true }).click();
    expect(await answers(owner, 1)).to.include("photo.png");
    expect(await owner.locator(".attachment").count(), "the composer is empty again").to.equal(0);

    const [question] = await storedQuestions();
    const [part] = question!.parts.filter((p): p is FilePart => p.type === "file");
    expect(part).to.include({ name: "photo.png", mediaType: "image/png", size: photo.length, width: 300 });
    for (const page of [owner, member]) {
      const [shown] = await imagesLoaded(page, 1);
      expect(shown!.naturalWidth).to.equal(300);
      expect(shown!.name).to.equal("photo.png");
      // Loaded through its signed link, from Confab's origin (not the host page's), with no token.
      const src = new URL(shown!.src);
      expect(src.origin).to.equal(server.url);
      expect(src.pathname).to.match(new RegExp(`/files/${part!.fileId}/content$`));
      expect(src.searchParams.get("signature")).to.match(/^[0-9a-f]+$/);
    }
    expect(await member.locator(".message.user .bubble").last().innerText()).to.include(
      "What is in this picture?",
    );
  });

  it("shows a file named with markup as text, a text file as a download, and a refused file with the server's reason", async () => {
    const input = member.locator("input[type=file]");
    await input.setInputFiles([
      { name: MARKUP_NAME, mimeType: "image/png", buffer: makePng(4, 4) },
      { name: "notes.txt", mimeType: "text/plain", buffer: Buffer.from("some notes\n") },
      { name: "archive.txt", mimeType: "text/plain", buffer: gzipSync("not text at all") },
    ]);
    const failed = member.locator(".attachment[data-status=failed]");
    await failed.waitFor();
    expect(await failed.locator(".attachment-name").textContent()).to.equal("archive.txt");
    expect(await failed.locator(".attachment-error").textContent()).to.not.equal("");
    await member.locator(".attachment[data-status=uploaded]").nth(1).waitFor();
    expect(await member.locator(".attachment-name").allTextContents()).to.deep.equal([
      MARKUP_NAME,
      "notes.txt",
      "archive.txt",
    ]);
    await member.getByRole("button", { name: "Remove archive.txt" }).click();
    expect(await member.locator(".attachment").count()).to.equal(2);

    // Files alone, no text.
    await member.getByRole("button", { name: "Send", exact: true }).click();
    expect(await answers(member, 2)).to.include("notes.txt");
    for (const page of [owner, member]) {
      const images = await imagesLoaded(page, 2);
      expect(images[1]!.name).to.equal(MARKUP_NAME);
      expect(images[1]!.naturalWidth).to.equal(4);
      const download = page.locator(".message .file-link").last();
      expect(await download.locator(".file-name").textContent()).to.equal("notes.txt");
      expect(await download.getAttribute("download")).to.equal("notes.txt");
      const href = await download.evaluate((a) => (a as HTMLAnchorElement).href);
      const res = await fetch(href);
      expect(await res.text()).to.equal("some notes\n");
      // The markup is text: no element came of it.
      const made = await page
        .locator(".message .file-part")
        .evaluateAll((parts) => parts.flatMap((p) => [...p.querySelectorAll("img")].map((i) => i.src)));
      expect(made.some((src) => src.endsWith("/x"))).to.equal(false);
    }
    const questions = await storedQuestions();
    expect(questions.at(-1)!.content).to.equal("");
    expect(
      questions
        .at(-1)!
        .parts.flatMap((p) => (p.type === "file" ? [p.name] : []))
        .sort(),
    ).to.deep.equal([MARKUP_NAME, "notes.txt"].sort());
  });

  it("tells in the composer why a file past the size limit was refused, and sends nothing of it", async () => {
    const tooLarge = Buffer.alloc(10 * 1024 * 1024 + 1, "a");
    await owner.locator("input[type=file]").setInputFiles({
      name: "huge.txt",
      mimeType: "text/plain",
      buffer: tooLarge,
    });
    const failed = owner.locator(".attachment[data-status=failed]");
    await failed.waitFor({ timeout: 30_000 });
    expect(await failed.locator(".attachment-name").textContent()).to.equal("huge.txt");
    expect(await failed.locator(".attachment-error").textContent()).to.match(/at most \d+ bytes/);
    await owner.getByRole("button", { name: "Remove huge.txt" }).click();
    expect(await owner.locator(".attachment").count()).to.equal(0);
    const res = await rest(server.url, tokens.hana).get<{ files: { name: string }[] }>(
      `/api/v1/conversations/${conversationId}/files`,
    );
    expect(res.body.files.map((f) => f.name)).to.not.include("huge.txt");
  });

  it("attaches by dropping a file on the full app, its thumbnail allowed by the page's policy, and shows the image sent", async () => {
    const page = await (await browser.newContext()).newPage();
    page.on("pageerror", (err) => pageErrors.push(err.message));
    const blocked: string[] = [];
    page.on("console", (m) => {
      if (/Content Security Policy/i.test(m.text())) blocked.push(m.text());
    });
    await page.goto(`${server.url}/app.html`);
    await page.getByLabel("Display name").fill("Jo");
    await page.getByRole("button", { name: "Continue" }).click();
    await page.getByLabel("Assistant", { exact: true }).selectOption({ label: "Demo assistant" });
    await page.getByRole("button", { name: "New chat" }).click();
    await page.getByText("No messages yet. Say hello!").waitFor();
    await page.locator("#attach:not([disabled])").waitFor();

    // A file dragged from the desktop onto the conversation.
    const png = makePng(5, 4);
    const transfer = await page.evaluateHandle(
      (bytes) => {
        const data = new DataTransfer();
        data.items.add(new File([new Uint8Array(bytes)], "dropped.png", { type: "image/png" }));
        return data;
      },
      [...png],
    );
    await page.locator("#pane").dispatchEvent("dragover", { dataTransfer: transfer });
    await page.locator("#pane").dispatchEvent("drop", { dataTransfer: transfer });
    await page.locator("#attachments .attachment[data-status=uploaded]").waitFor();
    await page.waitForFunction(() => {
      const img = document.querySelector("#attachments .attachment-thumb img");
      return img instanceof HTMLImageElement && img.src.startsWith("blob:") && img.naturalWidth === 5;
    });

    await page.getByRole("button", { name: "Send", exact: true }).click();
    await page.locator("#message-list .message.assistant[data-status=complete]").waitFor();
    expect(await page.locator("#message-list .message.assistant .bubble").textContent()).to.include(
      "dropped.png",
    );
    await page.waitForFunction(() => {
      const img = document.querySelector("#message-list .message.user .file-part img");
      return img instanceof HTMLImageElement && img.naturalWidth === 5;
    });
    expect(await page.locator("#message-list .message.user .file-name").textContent()).to.equal(
      "dropped.png",
    );
    expect(blocked, "requests the page's policy blocked").to.deep.equal([]);
  });

  it("sends files with useChat's sendMessage({text, files}) on the React page, and shows them again after a reload", async () => {
    const page = await (await browser.newContext()).newPage();
    page.on("pageerror", (err) => pageErrors.push(err.message));
    await page.goto(`${server.url}/react.html`);
    await page.getByLabel("Attach files").setInputFiles({
      name: "chart.png",
      mimeType: "image/png",
      buffer: makePng(6, 3),
    });
    await page.getByLabel("Message").fill("What did I send?");
    await page.getByRole("button", { name: "Send" }).click();
    await page.waitForFunction(() =>
      (document.querySelector("li.assistant .text")?.textContent ?? "").includes("chart.png (image/png"),
    );
    await page.waitForFunction(() => document.querySelector("#status")?.textContent === "ready");

    // After a reload the history comes from Confab: the image through its signed link.
    await page.reload();
    await page.waitForFunction(() => {
      const img = document.querySelector("li.user img.file-image");
      return img instanceof HTMLImageElement && img.naturalWidth === 6;
    });
    const img = page.locator("li.user img.file-image");
    expect(new URL((await img.getAttribute("src"))!).origin).to.equal(server.url);
    expect(await img.getAttribute("alt")).to.equal("chart.png");
    expect(await page.locator("li.user .text").textContent()).to.equal("What did I send?");
  });
});
