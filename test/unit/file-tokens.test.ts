import { randomBytes } from "node:crypto";
import { expect } from "chai";
import { getDocument } from "pdfjs-dist/legacy/build/pdf.mjs";
import { estimateFileTokens } from "../../src/tokens/file-tokens.js";
import { countPdfPages } from "../../src/tokens/pdf-page-count.js";
import { objectStreamPdf, pdfkitPdf } from "../support/prompt-files.js";

/**
 * Each figure is worked out by hand from the vendor's published rule (see file-tokens.ts), so that a
 * change of the rule shows here as a changed number.
 */

const image = (width: number, height: number) => ({ mediaType: "image/png", size: 50_000, width, height });

describe("the token estimate of a file", () => {
  describe("an image, OpenAI's high-detail tiles (also Groq's and the demo model's)", () => {
    it("counts 1024 × 1024 as 768 × 768: 4 tiles, 4 × 170 + 85 = 765", () => {
      expect(estimateFileTokens("openai", image(1024, 1024))).to.equal(765);
    });

    it("fits 2048 × 4096 in 2048 (1024 × 2048), then 768 × 1536: 6 tiles, 1105 (OpenAI's own example)", () => {
      expect(estimateFileTokens("openai", image(2048, 4096))).to.equal(1105);
    });

    it("never scales a small image up: 512 × 512 is one tile, 255; 100 × 600 is two, 425", () => {
      expect(estimateFileTokens("openai", image(512, 512))).to.equal(255);
      expect(estimateFileTokens("openai", image(100, 600))).to.equal(425);
    });

    it("counts 1920 × 1080 as 1365 × 768: 3 × 2 tiles, 1105", () => {
      expect(estimateFileTokens("openai", image(1920, 1080))).to.equal(1105);
    });

    it("counts Groq and the demo model the same way", () => {
      expect(estimateFileTokens("groq", image(1024, 1024))).to.equal(765);
      expect(estimateFileTokens("demo", image(2048, 4096))).to.equal(1105);
    });

    it("counts an image without its size at the most one can cost, 8 tiles: 1445", () => {
      expect(estimateFileTokens("openai", { mediaType: "image/jpeg", size: 80_000 })).to.equal(1445);
    });
  });

  describe("an image, Anthropic's width × height / 750", () => {
    it("counts 1000 × 1000 as 1,000,000 / 750 = 1333.3, so 1334", () => {
      expect(estimateFileTokens("anthropic", image(1000, 1000))).to.equal(1334);
    });

    it("counts 200 × 200 as 54 and 1092 × 1092 as 1590, as the docs' table does", () => {
      expect(estimateFileTokens("anthropic", image(200, 200))).to.equal(54);
      expect(estimateFileTokens("anthropic", image(1092, 1092))).to.equal(1590);
    });

    it("scales a long image to 1568 px on its long edge: 3136 × 1000 is 1568 × 500, 1046", () => {
      expect(estimateFileTokens("anthropic", image(3136, 1000))).to.equal(1046);
    });

    it("scales a large image to the pixel cap: 4000 × 4000 is 1109 × 1109, 1640", () => {
      // 784 × 1568 = 1,229,312 pixels; its square root is 1108.74, so 1109 × 1109 = 1,229,881 / 750.
      expect(estimateFileTokens("anthropic", image(4000, 4000))).to.equal(1640);
    });

    it("counts an image without its size at the pixel cap: 1,229,312 / 750, so 1640", () => {
      expect(estimateFileTokens("anthropic", { mediaType: "image/webp", size: 80_000 })).to.equal(1640);
    });
  });

  describe("a PDF, 3,000 tokens a page, a page taken as 16 KB unless the count is known", () => {
    it("counts a 40 KB PDF as 3 pages, 9,000 tokens, with OpenAI and Anthropic", () => {
      const pdf = { mediaType: "application/pdf", size: 40 * 1024 };
      expect(estimateFileTokens("anthropic", pdf)).to.equal(9000);
      expect(estimateFileTokens("openai", pdf)).to.equal(9000);
    });

    it("counts a tiny PDF as one page, and the page count when it is known", () => {
      expect(estimateFileTokens("anthropic", { mediaType: "application/pdf", size: 900 })).to.equal(3000);
      expect(
        estimateFileTokens("anthropic", { mediaType: "application/pdf", size: 900_000, pages: 2 }),
      ).to.equal(6000);
    });

    it("counts at most the 100 pages a vendor reads: 300,000", () => {
      expect(estimateFileTokens("openai", { mediaType: "application/pdf", size: 10_000_000 })).to.equal(
        300_000,
      );
    });

    it("counts with Groq only the sentence saying it could not be read", () => {
      expect(estimateFileTokens("groq", { mediaType: "application/pdf", size: 40 * 1024 })).to.equal(30);
    });
  });

  describe("a PDF's pages, counted from its bytes when it comes with them", () => {
    /** What pdf.js, a real reader, counts. */
    async function readerPages(data: Buffer): Promise<number> {
      const pdf = await getDocument({ data: new Uint8Array(data), isEvalSupported: false }).promise;
      const pages = pdf.numPages;
      await pdf.destroy();
      return pages;
    }

    it("counts the pages a reader counts, with page objects in the open (pdfkit, PDF 1.3)", async () => {
      const pdf = await pdfkitPdf(7);
      expect(await readerPages(pdf)).to.equal(7);
      expect(countPdfPages(pdf)).to.equal(7);
      const file = { mediaType: "application/pdf", size: pdf.length, data: pdf };
      expect(estimateFileTokens("anthropic", file)).to.equal(21_000);
    });

    it("counts the pages inside compressed object streams (PDF 1.5 writers)", async () => {
      const pdf = objectStreamPdf(12);
      expect(await readerPages(pdf)).to.equal(12);
      expect(countPdfPages(pdf)).to.equal(12);
      // 644 bytes would be one page by the size.
      expect(
        estimateFileTokens("openai", { mediaType: "application/pdf", size: pdf.length, data: pdf }),
      ).to.equal(36_000);
    });

    it("falls back on the size for bytes where it finds no page, or that are no PDF", () => {
      const noise = Buffer.concat([Buffer.from("%PDF-1.7\n"), randomBytes(100 * 1024)]);
      expect(countPdfPages(noise)).to.equal(undefined);
      expect(countPdfPages(Buffer.from("<< /Type /Page >>"))).to.equal(undefined);
      // 100 KB + 9 bytes at 16 KB a page: 7 pages.
      const file = { mediaType: "application/pdf", size: noise.length, data: noise };
      expect(estimateFileTokens("anthropic", file)).to.equal(21_000);
    });
  });

  describe("a text file, a token per 4 bytes", () => {
    it("counts 120 bytes as 30 tokens and 121 as 31, for every vendor", () => {
      for (const provider of ["openai", "anthropic", "groq", "demo"] as const) {
        expect(estimateFileTokens(provider, { mediaType: "text/plain", size: 120 })).to.equal(30);
        expect(estimateFileTokens(provider, { mediaType: "application/json", size: 121 })).to.equal(31);
      }
    });
  });
});
