// Covers: widget/parts-view.ts, widget/tool-card-view.ts, widget/thinking-view.ts — an answer's tool calls, reasoning and sources drawn in Chromium as text, whatever a model or a tool wrote.
import { expect } from "chai";
import type { Browser, Page } from "playwright-core";
import type { MessagePart } from "../../src/protocol/index.js";
import { launchChromium } from "../support/browser.js";
import { PROJECT_ROOT } from "../support/server-process.js";
import { XSS } from "../support/xss-attacks.js";

/**
 * The widget's parts view, bundled as the server bundles the widget, exposed to the page as
 * `drawParts(parts, canDecide)`; each Approve/Deny click is recorded in `window.decisions`.
 */
async function partsViewScript(): Promise<string> {
  const { build } = await import("esbuild");
  const entry = `
    import { PartsView } from "./widget/parts-view.ts";
    const root = document.getElementById("root");
    window.decisions = [];
    let view = null;
    window.drawParts = (parts, canDecide) => {
      view ??= new PartsView(root, {
        markdown: true,
        toolActions: (toolCallId) => ({
          canDecide,
          decide: (approved) => (window.decisions.push([toolCallId, approved]), Promise.resolve()),
          onError: (err) => window.decisions.push(["error", String(err)]),
        }),
      });
      view.draw(parts);
    };`;
  const result = await build({
    stdin: { contents: entry, resolveDir: PROJECT_ROOT, loader: "ts" },
    bundle: true,
    format: "iife",
    platform: "browser",
    target: "es2022",
    write: false,
    logLevel: "silent",
  });
  return result.outputFiles[0]?.text ?? "";
}

/** Every part kind, each carrying the attack where a model or a tool could put text. */
function attackParts(payload: string, n: number): MessagePart[] {
  const decided = { decidedBy: { id: "u", name: payload }, decidedAt: "2026-01-01T00:00:00Z" };
  return [
    { type: "reasoning", text: payload },
    {
      type: "tool",
      toolCallId: `a${n}`,
      toolName: payload,
      input: { query: payload },
      state: "output-available",
      output: { html: payload, list: [payload] },
      approval: { ...decided, approved: true, reason: payload },
    },
    {
      type: "tool",
      toolCallId: `b${n}`,
      toolName: "t",
      input: payload,
      state: "output-error",
      error: payload,
    },
    { type: "tool", toolCallId: `c${n}`, toolName: "t", input: payload, state: "approval-requested" },
    { type: "source", url: `javascript:window.__xss=${100 + n}`, title: payload },
  ];
}

describe("tool cards, Thinking and sources in the widget", () => {
  let browser: Browser;
  let page: Page;
  let script: string;

  before(async () => {
    script = await partsViewScript();
    browser = await launchChromium();
  });
  after(async () => browser?.close());

  beforeEach(async () => {
    page = await browser.newPage();
    await page.setContent(`<!doctype html><div id="root"></div>`);
    await page.addScriptTag({ content: script });
  });
  afterEach(async () => page?.close());

  it(`runs none of ${XSS.length} attacks given as tool input, output, errors, names, reasoning and sources`, async () => {
    const shown: { name: string; thinking: string; error: string; decision: string }[] = [];
    for (const [n, payload] of XSS.entries()) {
      await page.evaluate(
        (parts) => {
          (window as unknown as { drawParts: (p: unknown, c: boolean) => void }).drawParts(parts, true);
        },
        attackParts(payload, n),
      );
      shown.push(
        await page.evaluate(() => ({
          name: document.querySelector(".tool-card .tool-name")?.textContent ?? "",
          thinking: document.querySelector(".thinking-text")?.textContent ?? "",
          error: document.querySelectorAll(".tool-card .tool-output")[1]?.textContent ?? "",
          decision: document.querySelector(".tool-card .tool-decision")?.textContent ?? "",
        })),
      );
      // Poke every element drawn: nothing may run on a hover, a focus, a click or a toggle.
      await page.evaluate(() => {
        for (const node of document.querySelectorAll("#root *")) {
          if (node.tagName === "BUTTON" || node.tagName === "A") continue;
          for (const type of ["mouseover", "focus", "click", "toggle", "load", "error"])
            node.dispatchEvent(new Event(type));
        }
      });
      const problems = await page.evaluate(() => {
        const found: string[] = [];
        const allowed = ["DIV", "SPAN", "PRE", "DETAILS", "SUMMARY", "BUTTON", "A"];
        for (const node of document.querySelectorAll("#root *:not(.text-part *)"))
          if (!allowed.includes(node.tagName)) found.push(node.tagName);
        for (const link of document.querySelectorAll("#root a.source"))
          if (link.hasAttribute("href")) found.push(`href=${link.getAttribute("href")}`);
        return found;
      });
      expect(problems, payload).to.deep.equal([]);
      expect(shown.at(-1)).to.deep.equal({
        name: payload,
        thinking: payload,
        error: payload,
        decision: `approved by ${payload}: ${payload}`,
      });
    }
    expect(await page.evaluate(() => (window as unknown as { __xss?: unknown }).__xss)).to.equal(undefined);
    // The input and output are formatted JSON, as text.
    const output = await page.locator(".tool-card .tool-output").first().textContent();
    expect(JSON.parse(output!)).to.deep.equal({ html: XSS.at(-1), list: [XSS.at(-1)] });
  });

  it("offers Approve and Deny only while a decision is asked and the caller may decide", async () => {
    const requested: MessagePart = {
      type: "tool",
      toolCallId: "x",
      toolName: "open_ticket",
      input: {},
      state: "approval-requested",
    };
    await page.evaluate(
      (parts) => {
        (window as unknown as { drawParts: (p: unknown, c: boolean) => void }).drawParts(parts, true);
      },
      [requested],
    );
    expect(
      await page.locator(".tool-card[data-state=approval-requested] .tool-state").textContent(),
    ).to.equal("waiting for approval");
    await page.getByRole("button", { name: "Deny open_ticket" }).click();
    expect(
      await page.evaluate(() => (window as unknown as { decisions: unknown[] }).decisions),
    ).to.deep.equal([["x", false]]);
    const denied = {
      ...requested,
      state: "denied",
      approval: { decidedBy: null, decidedAt: "2026-01-01T00:00:00Z", approved: false },
    };
    await page.evaluate(
      (parts) => {
        (window as unknown as { drawParts: (p: unknown, c: boolean) => void }).drawParts(parts, true);
      },
      [denied],
    );
    expect(await page.locator(".tool-card .tool-decision").textContent()).to.equal(
      "denied: no decision in time",
    );
    expect(await page.locator(".tool-card button").count()).to.equal(0);
    // A reader's open Thinking block stays open while the reasoning grows.
    const thinking = (text: string): MessagePart[] => [{ type: "reasoning", text }, denied as MessagePart];
    await page.evaluate(
      (parts) =>
        (window as unknown as { drawParts: (p: unknown, c: boolean) => void }).drawParts(parts, true),
      thinking("Let"),
    );
    await page.locator("details.thinking summary").click();
    await page.evaluate(
      (parts) =>
        (window as unknown as { drawParts: (p: unknown, c: boolean) => void }).drawParts(parts, true),
      thinking("Let me think"),
    );
    expect(await page.locator("details.thinking").evaluate((d) => (d as HTMLDetailsElement).open)).to.equal(
      true,
    );
    expect(await page.locator(".thinking-text").textContent()).to.equal("Let me think");
  });
});
