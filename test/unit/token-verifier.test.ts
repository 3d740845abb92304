import { generateKeyPairSync } from "node:crypto";
import { expect } from "chai";
import jwt from "jsonwebtoken";
import { TokenVerifier } from "../../src/auth/token-verifier.js";
import { AppError } from "../../src/errors.js";

const secret = "unit-test-secret-of-at-least-thirty-two-bytes";

function reason(verify: () => unknown): unknown {
  try {
    verify();
  } catch (err) {
    expect(err).to.be.instanceOf(AppError);
    return ((err as AppError).details as { reason: string }).reason;
  }
  return "accepted";
}

describe("token verification", () => {
  const verifier = new TokenVerifier({ secret });

  it("accepts an HS256 token with sub and exp, with role user by default", () => {
    const claims = verifier.verify(jwt.sign({ sub: "u1", name: "U" }, secret, { expiresIn: 60 }));
    expect(claims).to.include({ sub: "u1", role: "user", name: "U" });
  });

  it("names why a token is refused", () => {
    expect(reason(() => verifier.verify(undefined))).to.equal("token_missing");
    expect(reason(() => verifier.verify(""))).to.equal("token_missing");
    expect(reason(() => verifier.verify("a.b.c"))).to.equal("token_invalid");
    expect(reason(() => verifier.verify(jwt.sign({ sub: "u" }, secret, { expiresIn: -1 })))).to.equal(
      "token_expired",
    );
    expect(reason(() => verifier.verify(jwt.sign({ sub: "u" }, secret)))).to.equal("token_invalid");
    expect(reason(() => verifier.verify(jwt.sign({ exp: 9999999999 }, secret)))).to.equal("token_invalid");
    expect(
      reason(() => verifier.verify(jwt.sign({ sub: "u", role: "root" }, secret, { expiresIn: 60 }))),
    ).to.equal("token_invalid");
    expect(
      reason(() => verifier.verify(jwt.sign({ sub: "x".repeat(256) }, secret, { expiresIn: 60 }))),
    ).to.equal("token_invalid");
  });

  it("pins the algorithm: HS384 with the same secret is refused", () => {
    const token = jwt.sign({ sub: "u" }, secret, { algorithm: "HS384", expiresIn: 60 });
    expect(reason(() => verifier.verify(token))).to.equal("token_invalid");
  });

  it("checks issuer and audience when configured", () => {
    const strict = new TokenVerifier({ secret, issuer: "host-app", audience: "confab" });
    const good = jwt.sign({ sub: "u" }, secret, { expiresIn: 60, issuer: "host-app", audience: "confab" });
    const bad = jwt.sign({ sub: "u" }, secret, { expiresIn: 60, issuer: "elsewhere", audience: "confab" });
    expect(strict.verify(good).sub).to.equal("u");
    expect(reason(() => strict.verify(bad))).to.equal("token_invalid");
  });

  it("verifies RS256 and ES256 with a public key, and refuses an HS256 token made with that key", () => {
    const rsa = generateKeyPairSync("rsa", { modulusLength: 2048 });
    const rsaPublic = rsa.publicKey.export({ type: "spki", format: "pem" }).toString();
    const rs = new TokenVerifier({ publicKey: rsaPublic });
    expect(
      rs.verify(jwt.sign({ sub: "r" }, rsa.privateKey, { algorithm: "RS256", expiresIn: 60 })).sub,
    ).to.equal("r");
    const confused = jwt.sign({ sub: "r" }, rsaPublic, { algorithm: "HS256", expiresIn: 60 });
    expect(reason(() => rs.verify(confused))).to.equal("token_invalid");

    const ec = generateKeyPairSync("ec", { namedCurve: "P-256" });
    const es = new TokenVerifier({
      publicKey: ec.publicKey.export({ type: "spki", format: "pem" }).toString(),
    });
    expect(
      es.verify(jwt.sign({ sub: "e" }, ec.privateKey, { algorithm: "ES256", expiresIn: 60 })).sub,
    ).to.equal("e");
  });

  it("knows a token it verified until its exp, and then refuses it as expired", async () => {
    const once = new TokenVerifier({ secret });
    const exp = Math.floor(Date.now() / 1000) + 1;
    const token = jwt.sign({ sub: "again", exp }, secret);
    expect(once.verify(token).sub).to.equal("again");
    expect(once.verify(token).sub).to.equal("again");
    expect(reason(() => once.verify(`${token}x`))).to.equal("token_invalid");
    await new Promise((r) => setTimeout(r, exp * 1000 - Date.now() + 50));
    expect(reason(() => once.verify(token))).to.equal("token_expired");
    expect(reason(() => new TokenVerifier({ secret }).verify(token))).to.equal("token_expired");
  });
});
