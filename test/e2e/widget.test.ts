import { mkdtemp, rm } from "node:fs/promises";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import { expect } from "chai";
import type { Browser, Page } from "playwright-core";
import type { MessageResource } from "../../src/protocol/index.js";
import { launchChromium } from "../support/browser.js";
import { rest } from "../support/rest.js";
import { startServerProcess, type ServerProcess } from "../support/server-process.js";
import { VendorServer } from "../support/vendor-server.js";
import { XSS } from "../support/xss-attacks.js";

/** The seeded agent that runs on OpenAI when a key is set: here, a local server in OpenAI's format. */
const GPT_AGENT = "00000000-0000-4000-8000-000000000002";

const MARKDOWN = [
  "Here is **bold** text, a list:\n\n",
  "- first item\n- second item\n\n",
  "```js\nconst answer = 42;\n```\n\n",
  "| name | value |\n| --- | --- |\n| x | 2 |\n\n",
  "and a [link](https://example.com/docs).",
];

describe("the widget on a host page of another origin", () => {
  let dataDir: string;
  let server: ServerProcess;
  let vendor: VendorServer;
  let host: Server;
  let hostUrl: string;
  let browser: Browser;
  let page: Page;
  let token: string;
  const dialogs: string[] = [];
  const pageErrors: string[] = [];

  before(async () => {
    dataDir = await mkdtemp(path.join(tmpdir(), "confab-widget-"));
    vendor = await VendorServer.start("openai");
    [server, browser] = await Promise.all([
      startServerProcess({
        DATA_DIR: dataDir,
        OPENAI_API_KEY: "sk-widget-test",
        OPENAI_BASE_URL: vendor.baseURL,
      }),
      launchChromium(),
    ]);
    token = (
      await rest(server.url).post<{ token: string }>("/api/v1/dev/token", { sub: "hana", name: "Hana" })
    ).body.token;
    // A host page of its own origin (another port), which loads the widget from Confab.
    host = createServer((_req, res) => {
      res.setHeader("content-type", "text/html");
      res.end(`<!doctype html><html><body><h1>Host app</h1><div id="chat" style="height:600px"></div>
<script type="module">
  import { mount } from ${JSON.stringify(`${server.url}/widget/confab-widget.js`)};
  window.__widget = mount(document.getElementById("chat"), {
    url: ${JSON.stringify(server.url)}, token: ${JSON.stringify(token)}, agentId: ${JSON.stringify(GPT_AGENT)},
  });
  window.__conversationId = await window.__widget.conversationId;
</script></body></html>`);
    });
    await new Promise<void>((resolve) => host.listen(0, "127.0.0.1", resolve));
    hostUrl = `http://127.0.0.1:${(host.address() as AddressInfo).port}/`;
    page = await browser.newPage();
    page.on("dialog", (d) => {
      dialogs.push(d.message());
      void d.dismiss();
    });
    page.on("pageerror", (err) => pageErrors.push(err.message));
    await page.goto(hostUrl);
    await page.waitForFunction(
      () => typeof (window as unknown as { __conversationId?: string }).__conversationId === "string",
    );
  });

  after(async () => {
    await browser?.close();
    await server?.stop("SIGKILL");
    await vendor?.close();
    await new Promise((r) => host?.close(r));
    await rm(dataDir, { recursive: true, force: true });
  });

  afterEach(() => {
    expect(pageErrors, "errors thrown in the page").to.deep.equal([]);
  });

  const conversationId = () =>
    page.evaluate(() => (window as unknown as { __conversationId: string }).__conversationId);

  async function stored(): Promise<MessageResource[]> {
    const res = await rest(server.url, token).get<{ messages: MessageResource[] }>(
      `/api/v1/conversations/${await conversationId()}/messages?limit=100`,
    );
    return res.body.messages;
  }

  /** Sends a message from the widget's composer and waits for its answer to end. */
  async function chat(text: string, answer: string[], chunkDelayMs = 0): Promise<void> {
    vendor.answer({ chunks: answer, chunkDelayMs });
    const before = await page.locator(".message.assistant[data-status=complete]").count();
    await page.locator("textarea").fill(text);
    await page.getByRole("button", { name: "Send", exact: true }).click();
    await page.locator(".message.assistant[data-status=complete]").nth(before).waitFor();
  }

  it("mounts in the host page's element, in a shadow root, and chats", async () => {
    expect(await page.evaluate(() => document.getElementById("chat")!.shadowRoot !== null)).to.equal(true);
    // The host page's own content is untouched, and none of the widget is in the light DOM.
    expect(await page.evaluate(() => document.querySelectorAll("#chat *").length)).to.equal(0);
    await chat("Hello from the host page", ["Hello ", "back!"]);
    const messages = await stored();
    expect(messages.map((m) => [m.role, m.content])).to.deep.equal([
      ["user", "Hello from the host page"],
      ["assistant", "Hello back!"],
    ]);
    expect(await page.locator(".message.user .bubble").last().textContent()).to.equal(
      "Hello from the host page",
    );
    expect((await page.locator(".message.assistant .bubble").last().textContent())?.trim()).to.equal(
      "Hello back!",
    );
  });

  it("renders an answer's Markdown: bold, a list, a code block with copy, a table, a safe link", async () => {
    await chat("Show me some Markdown", MARKDOWN);
    const bubble = page.locator(".message.assistant .bubble").last();
    expect(await bubble.locator("strong").textContent()).to.equal("bold");
    expect(await bubble.locator("ul > li").allTextContents()).to.deep.equal(["first item", "second item"]);
    expect(await bubble.locator("pre code").textContent()).to.equal("const answer = 42;\n");
    expect(await bubble.locator("pre button").textContent()).to.equal("Copy");
    expect(await bubble.locator("table td").allTextContents()).to.deep.equal(["x", "2"]);
    const link = bubble.locator("a");
    expect(await link.getAttribute("href")).to.equal("https://example.com/docs");
    expect(await link.getAttribute("target")).to.equal("_blank");
    expect(await link.getAttribute("rel")).to.equal("noopener noreferrer nofollow");
  });

  it(`runs none of ${XSS.length} attacks, sent as messages and given back as answers`, async () => {
    for (const payload of XSS) await chat(payload, [payload.slice(0, 10), payload.slice(10)]);
    const bubbles = page.locator(".message .bubble");
    // Every message shows exactly the text sent.
    const questions = await page.locator(".message.user .bubble").allTextContents();
    for (const payload of XSS) expect(questions).to.include(payload);
    // Hovering, focusing, clicking and toggling what the answers became runs nothing either.
    await page.locator(".message.assistant .bubble").evaluateAll((nodes) => {
      for (const node of nodes.flatMap((n) => [...n.querySelectorAll("*")])) {
        if (node.tagName === "A") continue;
        for (const type of ["mouseover", "focus", "click", "toggle", "load", "error"])
          node.dispatchEvent(new Event(type));
      }
    });
    const found = await bubbles.evaluateAll((nodes) => {
      const problems: string[] = [];
      for (const bubble of nodes) {
        for (const node of bubble.querySelectorAll("*")) {
          const tag = node.tagName.toLowerCase();
          if (
            [
              "script",
              "img",
              "svg",
              "iframe",
              "object",
              "embed",
              "style",
              "form",
              "input",
              "math",
              "details",
            ].includes(tag)
          )
            problems.push(`<${tag}>`);
          for (const attribute of node.getAttributeNames()) {
            if (attribute.startsWith("on")) problems.push(`${tag}[${attribute}]`);
          }
          // The widget's own copy button on a code block is the only element with a class of its own.
          const own = tag === "button" && node.parentElement?.tagName === "PRE";
          const cls = node.getAttribute("class");
          if (cls !== null && !own && !/^language-/.test(cls)) problems.push(`${tag}.${cls}`);
          for (const name of node.getAttributeNames())
            if (name.startsWith("data-") || name.startsWith("aria-")) problems.push(`${tag}[${name}]`);
          const href = node.getAttribute("href");
          if (href !== null && !/^(https?:|mailto:)/i.test(href)) problems.push(`href=${href}`);
        }
      }
      return problems;
    });
    expect(found).to.deep.equal([]);
    expect(await page.evaluate(() => (window as unknown as { __xss?: unknown }).__xss)).to.equal(undefined);
    expect(dialogs).to.deep.equal([]);
    const messages = await stored();
    expect(
      messages
        .filter((m) => m.role === "assistant")
        .slice(-XSS.length)
        .map((m) => m.content),
    ).to.deep.equal(XSS);
  });

  it("draws only the answer being written while it streams (20,000 characters in 30 ms steps)", async () => {
    const pieces = Array.from(
      { length: 100 },
      (_, i) => `${"word ".repeat(39)}${String(i).padStart(4, "0")}\n`,
    );
    expect(pieces.join("").length).to.equal(20_000);
    // Every change to the message list while the answer streams, and the frames drawn meanwhile.
    // As a string: the test's compiler would wrap named functions in a helper the page lacks.
    await page.evaluate(`(() => {
      window.__touched = new Set();
      window.__frames = 0;
      window.__counting = true;
      const list = document.getElementById("chat").shadowRoot.querySelector(".messages");
      new MutationObserver((records) => {
        for (const r of records) {
          const element = r.target instanceof Element ? r.target : r.target.parentElement;
          const row = element && element.closest(".message");
          window.__touched.add(row ? row.dataset.id || "new" : "list");
        }
      }).observe(list, { subtree: true, childList: true, characterData: true, attributes: true });
      requestAnimationFrame(function tick() {
        window.__frames++;
        if (window.__counting) requestAnimationFrame(tick);
      });
    })()`);
    const started = Date.now();
    await chat("Write a long one", pieces, 30);
    const result = await page.evaluate(() => {
      const w = window as unknown as { __touched: Set<string>; __frames: number; __counting: boolean };
      w.__counting = false;
      return { touched: [...w.__touched], frames: w.__frames };
    });
    const messages = await stored();
    const [question, answer] = messages.slice(-2);
    expect(answer!.content).to.equal(pieces.join(""));
    // As the reader sees it (innerText: line breaks included).
    const shown = await page.locator(".message.assistant .bubble").last().innerText();
    expect(shown.replace(/\s+/g, " ").trim()).to.equal(pieces.join("").replace(/\s+/g, " ").trim());
    // Only the new question's row, the answer's row and the list itself (to add them) changed.
    expect(
      result.touched.filter((t) => ![question!.id, answer!.id, "new", "list"].includes(t)),
    ).to.deep.equal([]);
    console.log(
      `      20,000 characters in ${pieces.length} pieces: ${result.frames} frames in ${((Date.now() - started) / 1000).toFixed(1)} s`,
    );
  });
});
