import { expect } from "chai";
import { anthropicMessages } from "../../src/providers/anthropic/anthropic-messages.js";
import type { ChatPromptMessage } from "../../src/providers/chat-model.js";
import { compatibleMessages } from "../../src/providers/compatible-messages.js";
import { groqFilePart } from "../../src/providers/groq/index.js";
import { openAIFilePart } from "../../src/providers/openai/index.js";
import { imageFile, ONE_PAGE_PDF, pdfFile, png, textFile } from "../support/prompt-files.js";

/**
 * What each vendor's request carries for a user message with files: images as image input, PDFs as
 * documents where the vendor reads them, text files as text, the files before the text; and a
 * message without files exactly as before.
 */

const PHOTO = imageFile("photo.png", 64, 48);
const PHOTO_BASE64 = png(64, 48).toString("base64");
const REPORT = pdfFile("report.pdf");
const PDF_BASE64 = ONE_PAGE_PDF.toString("base64");
const NOTES = textFile("notes.md", "# Groceries\n- milk\n- bread\n", "text/markdown");
const NOTES_TEXT = "File notes.md (text/markdown):\n# Groceries\n- milk\n- bread\n";

const user = (content: string, files: ChatPromptMessage["files"], name?: string): ChatPromptMessage => ({
  role: "user",
  content,
  ...(files ? { files } : {}),
  ...(name ? { name } : {}),
});

const openAI = (messages: ChatPromptMessage[]) => compatibleMessages(messages, openAIFilePart);
const groq = (messages: ChatPromptMessage[]) => compatibleMessages(messages, groqFilePart);

describe("the vendors' messages with files", () => {
  describe("a message without files", () => {
    const plain: ChatPromptMessage[] = [
      { role: "system", content: "Be brief." },
      user("Hello", undefined, "Ada"),
      { role: "assistant", content: "Hi Ada." },
      user("And again", []),
    ];

    it("is sent to OpenAI and Groq as its text, a string, as before", () => {
      const expected = [
        { role: "system", content: "Be brief." },
        { role: "user", content: "Hello", name: "Ada" },
        { role: "assistant", content: "Hi Ada." },
        { role: "user", content: "And again" },
      ];
      expect(openAI(plain)).to.deep.equal(expected);
      expect(groq(plain)).to.deep.equal(expected);
    });

    it("is sent to Anthropic as its text, a string, as before", () => {
      expect(anthropicMessages(plain)).to.deep.equal([
        { role: "user", content: "Ada: Hello" },
        { role: "assistant", content: "Hi Ada." },
        { role: "user", content: "And again" },
      ]);
    });
  });

  describe("OpenAI", () => {
    it("takes an image as an image_url part with a data URL, before the text", () => {
      expect(openAI([user("What is this?", [PHOTO], "Ada")])).to.deep.equal([
        {
          role: "user",
          name: "Ada",
          content: [
            { type: "image_url", image_url: { url: `data:image/png;base64,${PHOTO_BASE64}` } },
            { type: "text", text: "What is this?" },
          ],
        },
      ]);
    });

    it("takes a PDF as a file part with its name and a data URL", () => {
      expect(openAI([user("Sum it up.", [REPORT])])).to.deep.equal([
        {
          role: "user",
          content: [
            {
              type: "file",
              file: { filename: "report.pdf", file_data: `data:application/pdf;base64,${PDF_BASE64}` },
            },
            { type: "text", text: "Sum it up." },
          ],
        },
      ]);
    });

    it("takes a text file as text: one string with the message when nothing else is sent", () => {
      expect(openAI([user("What is missing?", [NOTES])])).to.deep.equal([
        { role: "user", content: `${NOTES_TEXT}\n\nWhat is missing?` },
      ]);
    });

    it("takes a text file as a text part beside an image, and leaves out a blank text", () => {
      expect(openAI([user(" \n", [PHOTO, NOTES])])).to.deep.equal([
        {
          role: "user",
          content: [
            { type: "image_url", image_url: { url: `data:image/png;base64,${PHOTO_BASE64}` } },
            { type: "text", text: NOTES_TEXT },
          ],
        },
      ]);
    });
  });

  describe("Groq", () => {
    it("takes an image as an image_url part with a data URL, before the text", () => {
      expect(groq([user("What is this?", [PHOTO])])).to.deep.equal([
        {
          role: "user",
          content: [
            { type: "image_url", image_url: { url: `data:image/png;base64,${PHOTO_BASE64}` } },
            { type: "text", text: "What is this?" },
          ],
        },
      ]);
    });

    it("reads no PDF: the model is told the file, by name, could not be read", () => {
      expect(groq([user("Sum it up.", [REPORT])])).to.deep.equal([
        {
          role: "user",
          content:
            "File report.pdf (application/pdf) was attached, but it could not be read by this model.\n\nSum it up.",
        },
      ]);
    });

    it("takes a text file as text, in one string (its models without vision take only strings)", () => {
      expect(groq([user("What is missing?", [NOTES])])).to.deep.equal([
        { role: "user", content: `${NOTES_TEXT}\n\nWhat is missing?` },
      ]);
    });
  });

  describe("Anthropic", () => {
    it("takes an image as a base64 image block, before the text", () => {
      expect(anthropicMessages([user("What is this?", [PHOTO])])).to.deep.equal([
        {
          role: "user",
          content: [
            { type: "image", source: { type: "base64", media_type: "image/png", data: PHOTO_BASE64 } },
            { type: "text", text: "What is this?" },
          ],
        },
      ]);
    });

    it("takes a PDF as a base64 document block titled with the file's name", () => {
      expect(anthropicMessages([user("Sum it up.", [REPORT])])).to.deep.equal([
        {
          role: "user",
          content: [
            {
              type: "document",
              source: { type: "base64", media_type: "application/pdf", data: PDF_BASE64 },
              title: "report.pdf",
            },
            { type: "text", text: "Sum it up." },
          ],
        },
      ]);
    });

    it("takes a text file as a text block, and the author's name with the text", () => {
      expect(anthropicMessages([user("What is missing?", [NOTES], "Ada")])).to.deep.equal([
        {
          role: "user",
          content: [
            { type: "text", text: NOTES_TEXT },
            { type: "text", text: "Ada: What is missing?" },
          ],
        },
      ]);
    });

    it("says who sent files without text by the name alone, and sends no blank text block", () => {
      expect(anthropicMessages([user(" ", [PHOTO], "Ada"), user("", [REPORT])])).to.deep.equal([
        {
          role: "user",
          content: [
            { type: "image", source: { type: "base64", media_type: "image/png", data: PHOTO_BASE64 } },
            { type: "text", text: "Ada:" },
          ],
        },
        {
          role: "user",
          content: [
            {
              type: "document",
              source: { type: "base64", media_type: "application/pdf", data: PDF_BASE64 },
              title: "report.pdf",
            },
          ],
        },
      ]);
    });

    it("puts a message with files after tool results into the same user message", () => {
      const messages: ChatPromptMessage[] = [
        user("Look", undefined),
        { role: "assistant", content: "", toolCalls: [{ id: "c1", name: "get_time", input: {} }] },
        { role: "tool", content: "12:00", toolCallId: "c1", toolName: "get_time" },
        user("And this?", [PHOTO]),
      ];
      expect(anthropicMessages(messages).at(-1)).to.deep.equal({
        role: "user",
        content: [
          { type: "tool_result", tool_use_id: "c1", content: "12:00" },
          { type: "image", source: { type: "base64", media_type: "image/png", data: PHOTO_BASE64 } },
          { type: "text", text: "And this?" },
        ],
      });
    });
  });

  describe("a text file's text", () => {
    it("is its UTF-8 text without a byte-order mark, bad bytes as U+FFFD, the same for every vendor", () => {
      const data = Buffer.concat([
        Buffer.from([0xef, 0xbb, 0xbf]),
        Buffer.from("naïve,café\n", "utf8"),
        Buffer.from([0xff]),
      ]);
      const csv = { name: "t.csv", mediaType: "text/csv", size: data.length, data };
      const expected = "File t.csv (text/csv):\nnaïve,café\n\uFFFD";
      expect(openAI([user("", [csv])])).to.deep.equal([{ role: "user", content: expected }]);
      expect(groq([user("", [csv])])).to.deep.equal([{ role: "user", content: expected }]);
      expect(anthropicMessages([user("", [csv])])).to.deep.equal([
        { role: "user", content: [{ type: "text", text: expected }] },
      ]);
    });
  });
});
