import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { expect } from "chai";
import type { Browser, BrowserContext, Page } from "playwright-core";
import type { ConversationResource, MessageResource } from "../../src/conversations/resources.js";
import { launchChromium } from "../support/browser.js";
import { rest } from "../support/rest.js";
import { startServerProcess, type ServerProcess } from "../support/server-process.js";

const NAME = "Ada Lovelace";
/** The widget's user id when the optional field is left empty: the name, slugged. */
const SUB = "ada-lovelace";
const XSS = `<img src=x onerror="window.__xss=1">`;

interface ShownMessage {
  role: string;
  status: string;
  content: string;
}

/** A message with the branch picker's label ("2/3"), or "" where it has no siblings. */
interface ShownVersion extends ShownMessage {
  branch: string;
}

const ROWS = "#message-list .message";

/** The rows of the message list, as the page shows them. */
function shownMessages(page: Page): Promise<ShownMessage[]> {
  return page.locator(ROWS).evaluateAll((rows) =>
    rows.map((row) => ({
      role: row.classList.contains("user") ? "user" : row.classList.contains("assistant") ? "assistant" : "?",
      status: (row as HTMLElement).dataset.status ?? "",
      content: row.querySelector(".bubble")?.textContent ?? "",
    })),
  );
}

/** The rows with their branch labels. */
function shownVersions(page: Page): Promise<ShownVersion[]> {
  return page.locator(ROWS).evaluateAll((rows) =>
    rows.map((row) => ({
      role: row.classList.contains("user") ? "user" : row.classList.contains("assistant") ? "assistant" : "?",
      status: (row as HTMLElement).dataset.status ?? "",
      content: row.querySelector(".bubble")?.textContent ?? "",
      branch: row.querySelector(".branch-label")?.textContent ?? "",
    })),
  );
}

/** Waits until the page shows `count` settled messages and the row at `index` has the branch label. */
async function waitForBranch(
  page: Page,
  count: number,
  index: number,
  label: string,
): Promise<ShownVersion[]> {
  await page.waitForFunction(
    ({ selector, count, index, label }) => {
      const rows = [...document.querySelectorAll<HTMLElement>(selector)];
      return (
        rows.length === count &&
        rows.every((r) => r.dataset.status === "complete") &&
        rows[index]?.querySelector(".branch-label")?.textContent === label
      );
    },
    { selector: ROWS, count, index, label },
  );
  return shownVersions(page);
}

/** Waits until the page shows `count` messages, all settled. */
async function waitForSettled(page: Page, count: number): Promise<ShownMessage[]> {
  await page.waitForFunction(
    ({ selector, count }) => {
      const rows = [...document.querySelectorAll<HTMLElement>(selector)];
      return rows.length === count && rows.every((r) => r.dataset.status === "complete");
    },
    { selector: ROWS, count },
  );
  return shownMessages(page);
}

/** Types into the composer and presses Send, as a person would. */
async function say(page: Page, text: string): Promise<void> {
  await page.getByPlaceholder(/^Message…/).fill(text);
  await page.getByRole("button", { name: "Send", exact: true }).click();
}

describe("the browser widget in headless Chromium", () => {
  let dataDir: string;
  let server: ServerProcess;
  let browser: Browser;
  let context: BrowserContext;
  let first: Page;
  let second: Page | undefined;
  let api: ReturnType<typeof rest>;
  let conversationId: string;
  const pageErrors: string[] = [];

  /** What the server has stored along the head, as the page should show it. */
  async function stored(id = conversationId): Promise<ShownMessage[]> {
    return (await storedVersions(id)).map(({ role, status, content }) => ({ role, status, content }));
  }

  async function storedVersions(id = conversationId): Promise<ShownVersion[]> {
    const res = await api.get<{ messages: MessageResource[] }>(`/api/v1/conversations/${id}/messages`);
    expect(res.status).to.equal(200);
    return res.body.messages
      .toSorted((a, b) => a.seq - b.seq)
      .map((m) => ({
        role: m.role,
        status: m.status,
        content: m.content,
        branch: m.branch.count > 1 ? `${m.branch.index}/${m.branch.count}` : "",
      }));
  }

  function watch(page: Page): Page {
    page.on("pageerror", (err) => pageErrors.push(err.message));
    return page;
  }

  before(async () => {
    dataDir = await mkdtemp(path.join(tmpdir(), "confab-browser-"));
    [server, browser] = await Promise.all([
      startServerProcess({ DATA_DIR: dataDir, DEMO_WORD_DELAY_MS: "5" }),
      launchChromium(),
    ]);
    context = await browser.newContext();
    first = watch(await context.newPage());
    const token = await rest(server.url).post<{ token: string }>("/api/v1/dev/token", { sub: SUB });
    expect(token.status).to.equal(200);
    api = rest(server.url, token.body.token);
  });

  after(async () => {
    await browser?.close();
    await server?.stop("SIGKILL");
    await rm(dataDir, { recursive: true, force: true });
  });

  afterEach(() => {
    expect(pageErrors, "errors thrown in the page").to.deep.equal([]);
  });

  it("signs in, starts a chat with the demo assistant and streams the stored answer", async () => {
    await first.goto(`${server.url}/app.html`);
    await first.getByLabel("Display name").fill(NAME);
    await first.getByRole("button", { name: "Continue" }).click();
    await first.locator("#whoami").getByText(`${NAME} · ${SUB}`).waitFor();

    await first.getByLabel("Assistant", { exact: true }).selectOption({ label: "Demo assistant" });
    await first.getByRole("button", { name: "New chat" }).click();
    await first.getByText("No messages yet. Say hello!").waitFor();

    // The user's only conversation, seen over REST, is the one the page opened.
    const list = await api.get<{ conversations: ConversationResource[] }>("/api/v1/conversations");
    expect(list.body.conversations).to.have.length(1);
    conversationId = list.body.conversations[0]!.id;
    expect(list.body.conversations[0]!.agentId).to.equal("00000000-0000-4000-8000-000000000001");
    expect(await first.evaluate(() => localStorage.getItem("confab.conversation"))).to.equal(conversationId);

    // Every text the answer's bubble goes through, to see it written a piece at a time.
    await first.evaluate((selector) => {
      const seen: string[] = [];
      (window as unknown as { __answerTexts: string[] }).__answerTexts = seen;
      const list = document.querySelector("#message-list")!;
      new MutationObserver(() => {
        const bubble = list.querySelector(`${selector}.assistant .bubble`);
        if (bubble?.textContent) seen.push(bubble.textContent);
      }).observe(list, { subtree: true, childList: true, characterData: true });
    }, ROWS);

    await say(first, "Remember the word pineapple");
    const shown = await waitForSettled(first, 2);
    const expected = await stored();
    expect(shown).to.deep.equal(expected);
    expect(expected.map((m) => m.role)).to.deep.equal(["user", "assistant"]);
    expect(expected[0]!.content).to.equal("Remember the word pineapple");
    const answer = expected[1]!.content;
    expect(answer).to.include('You said: "Remember the word pineapple".');

    const texts = await first.evaluate(
      () => (window as unknown as { __answerTexts: string[] }).__answerTexts,
    );
    expect(texts.at(-1)).to.equal(answer);
    expect(
      texts.some((t) => t.length < answer.length && answer.startsWith(t)),
      "a partial answer was shown",
    ).to.be.true;
  });

  it("shows the same conversation in a second tab", async () => {
    // Same browser profile: the tab signs in from localStorage and reopens the last conversation.
    second = watch(await context.newPage());
    await second.goto(`${server.url}/app.html`);
    await second.locator("#whoami").getByText(`${NAME} · ${SUB}`).waitFor();
    const shown = await waitForSettled(second, 2);
    expect(shown).to.deep.equal(await stored());
    expect(shown).to.deep.equal(await shownMessages(first));
  });

  it("shows markup sent as a message as text, in both tabs", async () => {
    await say(first, XSS);
    const [inFirst, inSecond] = await Promise.all([waitForSettled(first, 4), waitForSettled(second!, 4)]);
    const expected = await stored();
    expect(inFirst).to.deep.equal(expected);
    expect(inSecond).to.deep.equal(expected);
    expect(expected[2]).to.deep.equal({ role: "user", status: "complete", content: XSS });
    // The demo model quotes the message back: the answer carries the markup too.
    expect(expected[3]!.content).to.include(XSS);

    for (const page of [first, second!]) {
      expect(await page.locator(`${ROWS}.user .bubble`).last().textContent()).to.equal(XSS);
      expect(await page.locator("#message-list img").count()).to.equal(0);
      expect(await page.locator("img").count()).to.equal(0);
      expect(await page.evaluate(() => (window as unknown as { __xss?: unknown }).__xss)).to.equal(undefined);
    }
  });

  it("regenerates an answer and flips between its versions, the second tab following", async () => {
    const before = await storedVersions();
    await first.locator(`${ROWS}.assistant`).last().getByRole("button", { name: "Regenerate" }).click();
    // A new answer to the same question: the head moves to it in both tabs, shown as version 2 of 2.
    const [inFirst, inSecond] = await Promise.all([
      waitForBranch(first, 4, 3, "2/2"),
      waitForBranch(second!, 4, 3, "2/2"),
    ]);
    const after = await storedVersions();
    expect(inFirst).to.deep.equal(after);
    expect(inSecond).to.deep.equal(after);
    expect(after.slice(0, 3)).to.deep.equal(before.slice(0, 3));
    expect(after[3]!.branch).to.equal("2/2");

    // Back to the first version from the second tab: the first tab follows.
    await second!
      .locator(`${ROWS}.assistant`)
      .last()
      .getByRole("button", { name: "Previous version" })
      .click();
    const [back, backInFirst] = await Promise.all([
      waitForBranch(second!, 4, 3, "1/2"),
      waitForBranch(first, 4, 3, "1/2"),
    ]);
    expect(back).to.deep.equal(await storedVersions());
    expect(backInFirst).to.deep.equal(back);
    expect(back.slice(0, 3)).to.deep.equal(before.slice(0, 3));
  });

  it("edits a question: the new version is answered on its own path, and the old one stays a click away", async () => {
    const question = first.locator(`${ROWS}.user`).last();
    await question.getByRole("button", { name: "Edit" }).click();
    await first.getByText("Editing a message").waitFor();
    expect(await first.getByPlaceholder(/^Message…/).inputValue()).to.equal(XSS);
    await say(first, "Remember the word mango");

    const [inFirst, inSecond] = await Promise.all([
      waitForBranch(first, 4, 2, "2/2"),
      waitForBranch(second!, 4, 2, "2/2"),
    ]);
    const after = await storedVersions();
    expect(inFirst).to.deep.equal(after);
    expect(inSecond).to.deep.equal(after);
    expect(after[2]).to.deep.include({ role: "user", content: "Remember the word mango", branch: "2/2" });
    expect(after[3]!.content).to.include('You said: "Remember the word mango".');
    expect(after[3]!.branch).to.equal("");
    expect(await first.getByText("Editing a message").isVisible()).to.be.false;

    // The earlier question is version 1, with its own two answers (from the regenerate before).
    await first.locator(`${ROWS}.user`).last().getByRole("button", { name: "Previous version" }).click();
    const old = await waitForBranch(first, 4, 2, "1/2");
    expect(old).to.deep.equal(await storedVersions());
    expect(old[2]!.content).to.equal(XSS);
    // A checkout follows the newest child at each step: the regenerated answer.
    expect(old[3]!.branch).to.equal("2/2");
    await waitForBranch(second!, 4, 2, "1/2");
  });

  it("offers the agent's starters on an empty conversation and sends one when clicked", async () => {
    await first.getByLabel("Assistant", { exact: true }).selectOption({ label: "Demo assistant" });
    await first.getByRole("button", { name: "New chat" }).click();
    const starter = first.locator("#starters").getByRole("button", { name: "Remember the word pineapple" });
    await starter.waitFor();
    await starter.click();
    const shown = await waitForSettled(first, 2);
    const id = await first.evaluate(() => localStorage.getItem("confab.conversation"));
    expect(id).to.be.a("string").and.not.equal(conversationId);
    expect(shown).to.deep.equal(await stored(id!));
    expect(shown[0]!.content).to.equal("Remember the word pineapple");
    expect(await first.locator("#starters").isVisible()).to.be.false;
  });

  it("starts a conversation from a template, its messages in place and answered on from there", async () => {
    await first.getByLabel("Assistant", { exact: true }).selectOption({ label: "Trip planner" });
    await first.getByRole("button", { name: "New chat" }).click();
    await first.locator("#conversation-title").getByText("Planning a trip").waitFor();
    const opened = await waitForSettled(first, 2);
    expect(opened.map((m) => m.role)).to.deep.equal(["user", "assistant"]);
    expect(opened[0]!.content).to.include("What should I pack?");
    await say(first, "And for a week?");
    const shown = await waitForSettled(first, 4);
    const id = await first.evaluate(() => localStorage.getItem("confab.conversation"));
    expect(shown).to.deep.equal(await stored(id!));
    expect(await first.locator(".conversation[aria-current] .title").textContent()).to.equal(
      "Planning a trip",
    );
  });
});

describe("two people sharing a conversation in headless Chromium", () => {
  let dataDir: string;
  let server: ServerProcess;
  let browser: Browser;
  const pageErrors: string[] = [];

  before(async () => {
    dataDir = await mkdtemp(path.join(tmpdir(), "confab-sharing-"));
    [server, browser] = await Promise.all([
      startServerProcess({ DATA_DIR: dataDir, DEMO_WORD_DELAY_MS: "20" }),
      launchChromium(),
    ]);
  });
  after(async () => {
    await browser?.close();
    await server?.stop("SIGKILL");
    await rm(dataDir, { recursive: true, force: true });
  });
  afterEach(() => {
    expect(pageErrors, "errors thrown in the page").to.deep.equal([]);
  });

  /** A person in a browser profile of their own, signed in by name. */
  async function person(name: string, url = `${server.url}/app.html`): Promise<Page> {
    const page = await (await browser.newContext()).newPage();
    page.on("pageerror", (err) => pageErrors.push(err.message));
    await page.goto(url);
    await page.getByLabel("Display name").fill(name);
    await page.getByRole("button", { name: "Continue" }).click();
    await page.locator("#whoami").getByText(name).waitFor();
    return page;
  }

  /** The authors' labels and the texts of the rows. */
  const authored = (page: Page) =>
    page
      .locator(ROWS)
      .evaluateAll((rows) =>
        rows.map((row) => [
          row.querySelector(".author")?.textContent ?? "",
          row.querySelector(".bubble")?.textContent ?? "",
        ]),
      );

  it("lets one invite the other by link; both see the answer stream, each other online and typing", async () => {
    const ada = await person("Ada Lovelace");
    await ada.getByLabel("Assistant", { exact: true }).selectOption({ label: "Demo assistant" });
    await ada.getByRole("button", { name: "New chat" }).click();
    await ada.getByText("No messages yet. Say hello!").waitFor();
    await say(ada, "Hello from Ada");
    await waitForSettled(ada, 2);

    // The owner makes a link; another person opens it, signs in, and is in.
    await ada.getByRole("button", { name: "Invite link" }).click();
    await ada.waitForFunction(
      () => (document.querySelector("#invite-link") as HTMLInputElement).value !== "",
    );
    const link = await ada.locator("#invite-link").inputValue();
    expect(link).to.match(/\/app\.html\?invite=[A-Za-z0-9_-]{43}$/);
    const bob = await person("Bob Babbage", link);
    expect(await waitForSettled(bob, 2)).to.deep.equal(await waitForSettled(ada, 2));
    await ada.locator('.member[data-user-id="bob-babbage"][data-online="true"]').waitFor();
    await bob.locator('.member[data-user-id="ada-lovelace"][data-online="true"]').waitFor();
    expect(await bob.locator(".member .member-role").allTextContents()).to.deep.equal([
      "owner",
      "participant",
    ]);

    // Bob types: Ada sees it; then he sends, and both watch the same answer being written.
    await bob.getByPlaceholder(/^Message…/).fill("Hello from Bob");
    await ada.locator("#typing").getByText("Bob Babbage is typing…").waitFor();
    await ada.evaluate((selector) => {
      const seen: string[] = [];
      (window as unknown as { __answerTexts: string[] }).__answerTexts = seen;
      new MutationObserver(() => {
        const bubble = document.querySelectorAll(`${selector}.assistant .bubble`)[1];
        if (bubble?.textContent) seen.push(bubble.textContent);
      }).observe(document.querySelector("#message-list")!, {
        subtree: true,
        childList: true,
        characterData: true,
      });
    }, ROWS);
    await bob.getByRole("button", { name: "Send", exact: true }).click();
    const [inAda, inBob] = await Promise.all([waitForSettled(ada, 4), waitForSettled(bob, 4)]);
    expect(inAda).to.deep.equal(inBob);
    expect(inAda[3]!.content).to.include('You said: "Hello from Bob".');
    const texts = await ada.evaluate(() => (window as unknown as { __answerTexts: string[] }).__answerTexts);
    expect(
      texts.some((t) => t.length < inAda[3]!.content.length),
      "Ada saw Bob's answer being written",
    ).to.be.true;
    expect(await ada.locator("#typing").textContent()).to.equal("");

    // Two people wrote: each question shows its author, and Bob's sits on the other side for Ada.
    expect(await authored(ada)).to.deep.equal([
      ["Ada Lovelace", "Hello from Ada"],
      ["", inAda[1]!.content],
      ["Bob Babbage", "Hello from Bob"],
      ["", inAda[3]!.content],
    ]);
    expect(await ada.locator(`${ROWS}.user.other .bubble`).allTextContents()).to.deep.equal([
      "Hello from Bob",
    ]);
    expect(await bob.locator(`${ROWS}.user.other .bubble`).allTextContents()).to.deep.equal([
      "Hello from Ada",
    ]);

    // Bob leaves the page: Ada sees him go offline.
    await bob.close();
    await ada.locator('.member[data-user-id="bob-babbage"][data-online="false"]').waitFor();
  });

  it("shows the demo agent's approval card to both people; one approves and both see the answer go on", async () => {
    const ada = await person("Ada Approver");
    await ada.getByLabel("Assistant", { exact: true }).selectOption({ label: "Demo assistant" });
    await ada.getByRole("button", { name: "New chat" }).click();
    await ada.getByText("No messages yet. Say hello!").waitFor();
    await ada.getByRole("button", { name: "Invite link" }).click();
    await ada.waitForFunction(
      () => (document.querySelector("#invite-link") as HTMLInputElement).value !== "",
    );
    const bob = await person("Bob Decider", await ada.locator("#invite-link").inputValue());
    await bob.getByText("No messages yet. Say hello!").waitFor();

    await say(ada, "Please open a ticket: the coffee machine is broken");
    const asking = '.tool-card[data-state="approval-requested"]';
    await Promise.all([ada.locator(asking).waitFor(), bob.locator(asking).waitFor()]);
    // Both may decide (Bob is a participant); Bob does, once.
    await bob.locator(`${asking} button.approve`).click();
    const done = '.tool-card[data-state="output-available"]';
    await Promise.all([ada.locator(done).waitFor(), bob.locator(done).waitFor()]);
    for (const page of [ada, bob]) {
      expect(await page.locator(done).textContent()).to.contain("approved by Bob Decider");
      expect(await page.locator(`${asking} button`).count()).to.equal(0);
    }
    const [inAda, inBob] = await Promise.all([waitForSettled(ada, 2), waitForSettled(bob, 2)]);
    expect(inAda).to.deep.equal(inBob);
    expect(inAda[1]!.content).to.match(/T-\d+/);
  });
});

describe("useChat with Confab's transport in headless Chromium", () => {
  let dataDir: string;
  let server: ServerProcess;
  let browser: Browser;
  const pageErrors: string[] = [];

  before(async () => {
    dataDir = await mkdtemp(path.join(tmpdir(), "confab-usechat-"));
    [server, browser] = await Promise.all([
      startServerProcess({ DATA_DIR: dataDir, DEMO_WORD_DELAY_MS: "100" }),
      launchChromium(),
    ]);
  });
  after(async () => {
    await browser?.close();
    await server?.stop("SIGKILL");
    await rm(dataDir, { recursive: true, force: true });
  });

  it("streams an answer, and after a reload mid-answer resumes it to the stored text", async () => {
    const page = await (await browser.newContext()).newPage();
    page.on("pageerror", (err) => pageErrors.push(err.message));
    await page.goto(`${server.url}/react.html`);
    await page.getByLabel("Message").fill("Tell me about resuming");
    await page.getByRole("button", { name: "Send" }).click();
    // Part of the answer is shown: reload in the middle of it.
    await page.waitForFunction(
      () => (document.querySelector("li.assistant .text")?.textContent ?? "").length > 10,
    );
    const partial = await page.locator("li.assistant .text").textContent();
    await page.reload();
    // The reloaded page finds the answer still being written and follows it to its end.
    await page.waitForFunction(() => document.querySelector("#status")?.textContent === "streaming");
    await page.waitForFunction(() => document.querySelector("#status")?.textContent === "ready");

    const token = (await rest(server.url).post<{ token: string }>("/api/v1/dev/token", { sub: "react-demo" }))
      .body.token;
    const list = await rest(server.url, token).get<{ conversations: { id: string }[] }>(
      "/api/v1/conversations",
    );
    const id = list.body.conversations[0]!.id;
    const messages = (
      await rest(server.url, token).get<{ messages: MessageResource[] }>(
        `/api/v1/conversations/${id}/messages`,
      )
    ).body.messages;
    expect(messages.map((m) => [m.role, m.status])).to.deep.equal([
      ["user", "complete"],
      ["assistant", "complete"],
    ]);
    const shown = await page
      .locator("#messages li")
      .evaluateAll((items: Element[]) =>
        items.map((li): string[] => [li.className, li.querySelector(".text")?.textContent ?? ""]),
      );
    expect(shown).to.deep.equal([
      ["user", "Tell me about resuming"],
      ["assistant", messages[1]!.content],
    ]);
    expect(messages[1]!.content.startsWith(partial!)).to.equal(true);
    expect(messages[1]!.content.length).to.be.greaterThan(partial!.length);
    expect(pageErrors).to.deep.equal([]);
  });

  it("serves a page that mounts the widget with three lines, and chats through it", async () => {
    const page = await (await browser.newContext()).newPage();
    page.on("pageerror", (err) => pageErrors.push(err.message));
    await page.goto(`${server.url}/`);
    await page.locator("textarea").fill("hi from the embed page");
    await page.getByRole("button", { name: "Send", exact: true }).click();
    await page.locator(".message.assistant[data-status=complete]").waitFor();
    expect(await page.locator(".message.user .bubble").textContent()).to.equal("hi from the embed page");
    expect(await page.locator(".message.assistant .bubble").innerText()).to.include(
      'You said: "hi from the embed page".',
    );
    expect(await page.evaluate(() => document.getElementById("chat")!.shadowRoot !== null)).to.equal(true);
    expect(pageErrors).to.deep.equal([]);
  });

  it("loads / with one development token for all its requests, and no request refused for want of one", async () => {
    const page = await (await browser.newContext()).newPage();
    page.on("pageerror", (err) => pageErrors.push(err.message));
    const calls: { method: string; path: string; authorization: string | undefined; status: number }[] = [];
    page.on("response", (res) => {
      const url = new URL(res.url());
      if (!url.pathname.startsWith("/api/v1/")) return;
      const req = res.request();
      calls.push({
        method: req.method(),
        path: url.pathname,
        authorization: req.headers()["authorization"],
        status: res.status(),
      });
    });
    await page.goto(`${server.url}/`);
    await page.locator("textarea").fill("one token is enough");
    await page.getByRole("button", { name: "Send", exact: true }).click();
    await page.locator(".message.assistant[data-status=complete]").waitFor();
    const tokens = calls.filter((c) => c.path === "/api/v1/dev/token");
    expect(tokens, "dev token requests").to.have.length(1);
    const others = calls.filter((c) => c.path !== "/api/v1/dev/token");
    // Who am I, the agents, and the conversation: each with the one token, none refused.
    expect(others.map((c) => `${c.method} ${c.path}`)).to.include.members([
      "GET /api/v1/me",
      "GET /api/v1/agents",
      "POST /api/v1/conversations",
    ]);
    for (const c of others) expect(c.authorization, `${c.method} ${c.path}`).to.match(/^Bearer \S+$/);
    expect(calls.filter((c) => c.status === 401)).to.deep.equal([]);
    expect(pageErrors).to.deep.equal([]);
  });
});
