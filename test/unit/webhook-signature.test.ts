import { createHmac } from "node:crypto";
import { expect } from "chai";
import { newSigningSecret, signatureHeader, verifySignature } from "../../src/tools/webhook-signature.js";

describe("the Confab-Signature of webhooks and webhook tools", () => {
  const secret = newSigningSecret();
  const body = JSON.stringify({ toolCallId: "c1", input: { a: "é" } });

  it("is t=<seconds>,v1=<hex HMAC-SHA256 of t.body>", () => {
    const header = signatureHeader(secret, body, 1_700_000_000);
    const v1 = createHmac("sha256", secret).update(`1700000000.${body}`).digest("hex");
    expect(header).to.equal(`t=1700000000,v1=${v1}`);
    expect(secret).to.match(/^whsec_[A-Za-z0-9_-]{43}$/);
    expect(newSigningSecret()).to.not.equal(secret);
  });

  it("verifies the right secret and body within 5 minutes, and nothing else", () => {
    const now = 1_700_000_000;
    const header = signatureHeader(secret, body, now);
    expect(verifySignature(secret, header, body, { nowSeconds: now + 299 })).to.equal(true);
    expect(verifySignature(secret, header, body, { nowSeconds: now + 301 })).to.equal(false);
    expect(verifySignature(newSigningSecret(), header, body, { nowSeconds: now })).to.equal(false);
    expect(verifySignature(secret, header, `${body} `, { nowSeconds: now })).to.equal(false);
    expect(verifySignature(secret, undefined, body, { nowSeconds: now })).to.equal(false);
    expect(verifySignature(secret, "t=abc,v1=zz", body, { nowSeconds: now })).to.equal(false);
  });
});
