// Covers: src/conversations/conversation-pdf.ts (long words cut before layout, the event loop given turns),
// src/http/ export route.
import { randomBytes } from "node:crypto";
import { expect } from "chai";
import { pdfText } from "../support/pdf-text.js";
import { seedConversation } from "../support/seeded-conversation.js";
import { DEMO_AGENT_ID, startTestServer, type TestServer } from "../support/test-server.js";

/** Random letters and digits, with no place to wrap between them (base64 without `+` and `/`). */
function unbroken(length: number): string {
  let text = "";
  while (text.length < length) text += randomBytes(length).toString("base64").replace(/[+/=]/g, "");
  return text.slice(0, length);
}

/** Letters of other scripts and accented ones, each one code point, in a random order. */
function unbrokenOtherScripts(length: number): string {
  const letters = [..."αβγδεζηθλμξπσφψωЖЗИЙЛФЦЧШЩЮЯжзийлфцчшщюяéèçñøåüßąłžđ"];
  return Array.from(randomBytes(length), (b) => letters[b % letters.length]).join("");
}

describe("a PDF export of words longer than a line", () => {
  let server: TestServer;

  before(async () => {
    server = await startTestServer();
  });
  after(async () => {
    await server.close();
  });

  it("keeps answering /healthz while words of 10,000 characters are laid out, and keeps every character of them", async () => {
    const words = [
      unbroken(10_000),
      `https://example.com/download?blob=${unbroken(10_000 - 34)}`,
      "x".repeat(10_000),
      unbrokenOtherScripts(10_000),
      unbroken(4_990),
      unbroken(4_990),
    ];
    expect(words.slice(0, 4).every((w) => w.length === 10_000)).to.equal(true);
    const contents = [
      words[0]!,
      `Here is the link: ${words[1]!} (it expires tomorrow)`,
      words[2]!,
      words[3]!,
      `${words[4]!} and ${words[5]!}`,
      "noted",
    ];
    const seeded = await seedConversation(server.confab.db, {
      userId: "wanda",
      agentId: DEMO_AGENT_ID,
      messages: contents.length,
      content: (n) => contents[n - 1]!,
    });

    const exportPdf = () =>
      fetch(`${server.url}/api/v1/conversations/${seeded.id}/export?format=pdf`, {
        headers: { Authorization: `Bearer ${server.token("wanda")}` },
      });
    // A process's first exports compile pdfkit's and fontkit's code, slow whatever the words. The
    // defect was every later export of such a conversation holding the node: the second is measured.
    const first = await exportPdf();
    expect(first.status).to.equal(200);
    await first.arrayBuffer();

    let exporting = true;
    const waits: number[] = [];
    const poll = (async () => {
      while (exporting) {
        const started = performance.now();
        await fetch(`${server.url}/healthz`);
        waits.push(performance.now() - started);
      }
    })();
    const res = await exportPdf();
    const bytes = new Uint8Array(await res.arrayBuffer());
    exporting = false;
    await poll;

    expect(res.status).to.equal(200);
    expect(Buffer.from(bytes.subarray(0, 5)).toString("latin1")).to.equal("%PDF-");
    // Wrapped one line at a time by pdfkit, each of these words held the node for seconds.
    expect(waits.length).to.be.greaterThan(3);
    expect(Math.max(...waits), JSON.stringify(waits.map(Math.round))).to.be.below(250);
    // The words may be cut into lines, but not one character is lost, changed or moved.
    const text = (await pdfText(bytes)).replace(/\s+/g, "");
    for (const word of words) {
      expect(text.includes(word), `${word.slice(0, 20)}… (${word.length} characters)`).to.equal(true);
    }
    expect(text).to.include("Hereisthelink:").and.include("(itexpirestomorrow)");
  });
});
