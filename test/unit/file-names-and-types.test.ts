// Covers: src/files/display-name.ts, src/files/media-type.ts, src/files/file-links.ts.
import { expect } from "chai";
import { displayName } from "../../src/files/display-name.js";
import { FileLinks } from "../../src/files/file-links.js";
import { sniffMediaType } from "../../src/files/media-type.js";
import { AppError } from "../../src/errors.js";
import { png } from "../support/files.js";

const codeOf = async (work: Promise<unknown>): Promise<string> => {
  try {
    await work;
    return "ok";
  } catch (err) {
    return err instanceof AppError ? err.code : String(err);
  }
};

describe("a file's display name", () => {
  it("keeps only what follows the last separator, without control or bidi characters", () => {
    expect(displayName("../../etc/passwd")).to.equal("passwd");
    expect(displayName("C:\\temp\\x.txt")).to.equal("x.txt");
    expect(displayName("a\u0000b\u0007c\u007f\u0085d\u202Ee.txt")).to.equal("abcde.txt");
    expect(displayName("  \n ")).to.equal("file");
    expect(displayName("..")).to.equal("file");
    expect(displayName("bad\uD800half.txt")).to.equal("bad\uFFFDhalf.txt");
    expect(Array.from(displayName("😀".repeat(300)))).to.have.length(255);
  });
});

describe("what a file's bytes are", () => {
  const claimed = { name: "x", type: "" };
  it("reads images and their size from the header, refusing a declared bomb", async () => {
    expect(await sniffMediaType(png(3, 2), true, claimed)).to.deep.equal({
      mediaType: "image/png",
      width: 3,
      height: 2,
    });
    expect(await codeOf(sniffMediaType(png(1, 1, { declared: [60_000, 60_000] }), true, claimed))).to.equal(
      "validation_failed",
    );
  });

  it("takes UTF-8 text, refusing markup and text with control characters", async () => {
    expect(
      (await sniffMediaType(Buffer.from("# Title\n"), true, { name: "a.md", type: "" }))?.mediaType,
    ).to.equal("text/markdown");
    expect(
      (await sniffMediaType(Buffer.from("[1]"), true, { name: "a", type: "application/json" }))?.mediaType,
    ).to.equal("application/json");
    expect(
      (await sniffMediaType(Buffer.from("not json"), true, { name: "a.json", type: "" }))?.mediaType,
    ).to.equal("text/plain");
    for (const bytes of ["<html><body>x", "  <svg/>", "<script>alert(1)</script>", "a\u0001b"]) {
      expect(await codeOf(sniffMediaType(Buffer.from(bytes), true, claimed)), bytes).to.equal(
        "unsupported_media_type",
      );
    }
    // A character cut at the end of the head is fine when more follows.
    expect((await sniffMediaType(Buffer.from("é").subarray(0, 1), false, claimed))?.mediaType).to.equal(
      "text/plain",
    );
  });
});

describe("signed file links", () => {
  const links = new FileLinks("a-secret-of-at-least-thirty-two-characters");
  it("verify only for their file, before they expire, unaltered", () => {
    const now = Date.UTC(2026, 0, 1);
    const { url, expiresAt } = links.link("f1", now);
    expect(expiresAt).to.equal(new Date(now + 300_000).toISOString());
    const q = new URL(url, "http://x").searchParams;
    const [expires, signature] = [q.get("expires")!, q.get("signature")!];
    expect(links.verify("f1", expires, signature, now + 299_000)).to.equal(true);
    expect(links.verify("f1", expires, signature, now + 300_000)).to.equal(false);
    expect(links.verify("f2", expires, signature, now)).to.equal(false);
    expect(links.verify("f1", String(Number(expires) + 1), signature, now)).to.equal(false);
    expect(links.verify("f1", expires, signature.slice(0, 63), now)).to.equal(false);
    expect(
      new FileLinks("another-secret-of-at-least-thirty-two-chars").verify("f1", expires, signature, now),
    ).to.equal(false);
  });
});
