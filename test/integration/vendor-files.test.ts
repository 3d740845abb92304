// Covers: src/providers/compatible-messages.ts, prompt-files.ts, openai/openai-file-part.ts,
// groq/groq-file-part.ts, anthropic/anthropic-file-block.ts, anthropic/anthropic-messages.ts.
import { randomBytes } from "node:crypto";
import { expect } from "chai";
import { AnthropicChatModel } from "../../src/providers/anthropic/index.js";
import type {
  ChatModel,
  ChatPromptMessage,
  ChatRequest,
  ChatStreamPart,
  PromptFile,
} from "../../src/providers/chat-model.js";
import { GroqChatModel } from "../../src/providers/groq/index.js";
import { OpenAIChatModel } from "../../src/providers/openai/index.js";
import { imageFile, textFile } from "../support/prompt-files.js";
import { type Vendor, VendorServer } from "../support/vendor-server.js";

/**
 * Files through each vendor's official SDK, against a local server that records what it was sent:
 * the request body carries the image and the PDF in the vendor's own format, byte for byte, before
 * the text; the answer streams as usual.
 */

const KEY = "sk-test-0a1b2c3d4e5f60718293a4b5c6d7e8f9";

interface VendorCase {
  vendor: Vendor;
  model: string;
  create(server: VendorServer): ChatModel;
}

const CASES: VendorCase[] = [
  {
    vendor: "openai",
    model: "gpt-4.1-mini",
    create: (server) => new OpenAIChatModel({ apiKey: KEY, baseURL: server.baseURL }),
  },
  {
    vendor: "anthropic",
    model: "claude-sonnet-5-5",
    create: (server) => new AnthropicChatModel({ apiKey: KEY, baseURL: server.baseURL }),
  },
  {
    vendor: "groq",
    model: "meta-llama/llama-4-scout-17b-16e-instruct",
    create: (server) => new GroqChatModel({ apiKey: KEY, baseURL: server.baseURL }),
  },
];

const PHOTO = imageFile("photo.png", 320, 200);
/** A PDF of 4 MB (a header, then noise): what the vendor gets must be every byte of it. */
const BIG_PDF_DATA = Buffer.concat([Buffer.from("%PDF-1.7\n", "latin1"), randomBytes(4 * 1024 * 1024)]);
const BIG_PDF: PromptFile = {
  name: "scan.pdf",
  mediaType: "application/pdf",
  size: BIG_PDF_DATA.length,
  data: BIG_PDF_DATA,
};
const NOTES = textFile("notes.txt", "Buy milk.\nCall Ada.");
const NOTES_TEXT = "File notes.txt (text/plain):\nBuy milk.\nCall Ada.";
const QUESTION = "What do these say?";

const PROMPT: ChatPromptMessage[] = [
  { role: "system", content: "You are Confab's helpful assistant." },
  { role: "user", content: "Hello" },
  { role: "assistant", content: "Hi! How can I help?" },
  { role: "user", content: QUESTION, files: [PHOTO, BIG_PDF, NOTES] },
];

function request(model: string, messages = PROMPT): ChatRequest {
  return {
    model,
    messages,
    temperature: 0.3,
    maxOutputTokens: 256,
    abortSignal: new AbortController().signal,
  };
}

async function collect(model: ChatModel, req: ChatRequest): Promise<ChatStreamPart[]> {
  const parts: ChatStreamPart[] = [];
  for await (const part of model.stream(req)) parts.push(part);
  return parts;
}

type Json = Record<string, unknown>;

/** The messages of the request the server received last. */
function sentMessages(server: VendorServer): Json[] {
  return (server.requests.at(-1)!.body as { messages: Json[] }).messages;
}

/** The bytes of a `data:` URL, after checking its media type. */
function bytesOfDataUrl(url: unknown, mediaType: string): Buffer {
  expect(url).to.be.a("string");
  const prefix = `data:${mediaType};base64,`;
  expect((url as string).startsWith(prefix), `a data URL of ${mediaType}`).to.equal(true);
  return Buffer.from((url as string).slice(prefix.length), "base64");
}

for (const c of CASES) {
  describe(`files with ${c.vendor}, through its official SDK`, () => {
    let server: VendorServer;

    before(async () => {
      server = await VendorServer.start(c.vendor);
    });
    afterEach(() => server.reset());
    after(() => server.close());

    it("sends the image, the PDF and the text file in the vendor's own format, before the text", async () => {
      const parts = await collect(c.create(server), request(c.model));
      expect(
        parts.filter((p) => p.type === "text-delta").map((p) => (p as { delta: string }).delta),
      ).to.deep.equal(["Hello", "!"]);
      expect(parts.at(-1)?.type).to.equal("finish");

      const messages = sentMessages(server);
      const last = messages.at(-1)!;
      expect(last.role).to.equal("user");
      const content = last.content as Json[];
      expect(content.map((p) => p.type)).to.deep.equal(
        {
          openai: ["image_url", "file", "text", "text"],
          groq: ["image_url", "text", "text", "text"],
          anthropic: ["image", "document", "text", "text"],
        }[c.vendor],
      );
      const [image, pdf, notes, text] = content as [Json, Json, Json, Json];

      if (c.vendor === "anthropic") {
        expect(image.source).to.deep.include({ type: "base64", media_type: "image/png" });
        expect(Buffer.from((image.source as Json).data as string, "base64").equals(PHOTO.data)).to.equal(
          true,
        );
        expect(pdf.title).to.equal("scan.pdf");
        expect(pdf.source).to.deep.include({ type: "base64", media_type: "application/pdf" });
        expect(Buffer.from((pdf.source as Json).data as string, "base64").equals(BIG_PDF_DATA)).to.equal(
          true,
        );
      } else {
        const url = (image.image_url as Json).url;
        expect(bytesOfDataUrl(url, "image/png").equals(PHOTO.data)).to.equal(true);
        if (c.vendor === "openai") {
          const file = pdf.file as Json;
          expect(file.filename).to.equal("scan.pdf");
          expect(bytesOfDataUrl(file.file_data, "application/pdf").equals(BIG_PDF_DATA)).to.equal(true);
        } else {
          expect(pdf).to.deep.equal({
            type: "text",
            text: "File scan.pdf (application/pdf) was attached, but it could not be read by this model.",
          });
        }
      }
      expect(notes).to.deep.equal({ type: "text", text: NOTES_TEXT });
      expect(text).to.deep.equal({ type: "text", text: QUESTION });
    });

    it("sends the messages without files as strings, as before", async () => {
      await collect(c.create(server), request(c.model));
      const messages = sentMessages(server);
      const plain = messages.slice(0, -1).filter((m) => m.role !== "system");
      expect(plain.map((m) => m.content)).to.deep.equal(["Hello", "Hi! How can I help?"]);
    });

    it("sends a message of text files only as one string to chat completions, as text blocks to Anthropic", async () => {
      const messages: ChatPromptMessage[] = [{ role: "user", content: QUESTION, files: [NOTES] }];
      await collect(c.create(server), request(c.model, messages));
      const content = sentMessages(server).at(-1)!.content;
      if (c.vendor === "anthropic") {
        expect(content).to.deep.equal([
          { type: "text", text: NOTES_TEXT },
          { type: "text", text: QUESTION },
        ]);
      } else {
        expect(content).to.equal(`${NOTES_TEXT}\n\n${QUESTION}`);
      }
    });
  });
}
