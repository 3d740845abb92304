// Covers: sdk/token-source.ts, sdk/typing-signal.ts, sdk/people.ts — the client core's rules that need no server.
import { expect } from "chai";
import { People } from "../../sdk/people.js";
import { TokenSource, expiryOf } from "../../sdk/token-source.js";
import { TypingSignal } from "../../sdk/typing-signal.js";

/** An unsigned JWT-shaped token with this `exp` (seconds): the client reads it, the server verifies it. */
function jwt(exp: number | undefined, id = "x"): string {
  const part = (o: object) => Buffer.from(JSON.stringify(o)).toString("base64url");
  return `${part({ alg: "HS256" })}.${part(exp === undefined ? { sub: id } : { sub: id, exp })}.sig`;
}

/** Resolves when `check` holds, polling each macrotask turn; fails naming what it waited for. */
async function until(what: string, check: () => boolean, limitMs = 2000): Promise<void> {
  const end = Date.now() + limitMs;
  while (!check()) {
    if (Date.now() > end) throw new Error(`gave up waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

describe("the client's token source", () => {
  it("asks getToken once for calls made together, and reuses the token until it nears expiry", async () => {
    let clock = 1_000_000_000_000;
    const calls: number[] = [];
    const tokens = new TokenSource({
      now: () => clock,
      getToken: async () => {
        calls.push(clock);
        await new Promise((r) => setTimeout(r, 10));
        return jwt(clock / 1000 + 3600, String(calls.length));
      },
    });
    const first = await Promise.all([tokens.current(), tokens.current(), tokens.current()]);
    expect(calls).to.have.length(1);
    expect(new Set(first).size).to.equal(1);
    clock += 58 * 60_000; // two minutes before expiry: still reused
    expect(await tokens.current()).to.equal(first[0]);
    expect(calls).to.have.length(1);
    clock += 90_000; // 30 s before expiry: renewed once
    const [a, b] = await Promise.all([tokens.current(), tokens.current()]);
    expect(calls).to.have.length(2);
    expect(a).to.equal(b).and.not.equal(first[0]);
  });

  it("reuses a short-lived token for half of its life, and renews on demand once for many callers", async () => {
    let clock = 2_000_000_000_000;
    let count = 0;
    const tokens = new TokenSource({
      now: () => clock,
      getToken: () => jwt(clock / 1000 + 30, String(++count)),
    });
    const held = await tokens.current();
    clock += 10_000;
    expect(await tokens.current()).to.equal(held);
    clock += 6_000;
    expect(await tokens.current()).to.not.equal(held);
    const renewed = await Promise.all([tokens.renew(), tokens.renew()]);
    expect(count).to.equal(3);
    expect(renewed[0]).to.equal(renewed[1]);
  });

  it("keeps a fixed token, and one without exp until it is refused", async () => {
    const fixed = new TokenSource({ token: "fixed" });
    expect(fixed.renewable).to.equal(false);
    expect(await fixed.renew()).to.equal("fixed");
    let count = 0;
    const opaque = new TokenSource({ getToken: () => `opaque-${++count}` });
    expect(await opaque.current()).to.equal("opaque-1");
    expect(await opaque.current()).to.equal("opaque-1");
    expect(await opaque.renew()).to.equal("opaque-2");
  });

  it("refuses an empty token from getToken, and asks again next time", async () => {
    let answers = ["", "good"];
    const tokens = new TokenSource({ getToken: () => answers.shift()! });
    let refused = false;
    await tokens.current().catch(() => (refused = true));
    expect(refused).to.equal(true);
    expect(await tokens.current()).to.equal("good");
    answers = [];
  });

  it("reads exp from a JWT and nothing from what is not one", () => {
    expect(expiryOf(jwt(1234))).to.equal(1234);
    expect(expiryOf(jwt(undefined))).to.equal(undefined);
    expect(expiryOf("not a jwt")).to.equal(undefined);
    expect(expiryOf("a.%%%.c")).to.equal(undefined);
  });
});

describe("the client's typing signal", () => {
  it("tells typing once, renews it while keys go on, and ends it when idle, emptied or sent", async () => {
    let clock = 0;
    const sent: boolean[] = [];
    const signal = new TypingSignal({
      emit: (t) => sent.push(t),
      now: () => clock,
      renewMs: 3000,
      idleMs: 30,
    });
    signal.composing("h");
    signal.composing("he");
    clock += 1000;
    signal.composing("hel");
    expect(sent).to.deep.equal([true]);
    clock += 2500;
    signal.composing("hell");
    expect(sent).to.deep.equal([true, true]);
    await until("typing: false after the idle time", () => sent.length === 3);
    expect(sent).to.deep.equal([true, true, false]);
    signal.composing("again");
    signal.composing("");
    signal.stop();
    expect(sent).to.deep.equal([true, true, false, true, false]);
  });
});

describe("the people of a conversation, as a tab holds them", () => {
  const member = (userId: string, role: "owner" | "participant" | "viewer") => ({
    userId,
    name: userId.toUpperCase(),
    role,
    joinedAt: "2026-01-01T00:00:00.000Z",
    online: false,
  });

  it("follows roles (one owner at a time), presence and departures", () => {
    let changes = 0;
    const people = new People(() => changes++);
    people.setMembers([member("ann", "owner"), member("bob", "participant")]);
    people.setOnline([{ userId: "bob", name: "BOB" }]);
    people.updated({ ...member("bob", "owner") });
    expect(people.list().map((m) => [m.userId, m.role, m.online])).to.deep.equal([
      ["bob", "owner", true],
      ["ann", "participant", false],
    ]);
    people.joined(member("cy", "viewer"));
    people.left("ann");
    expect(people.list().map((m) => m.userId)).to.deep.equal(["bob", "cy"]);
    expect(changes).to.equal(5);
  });

  it("shows someone typing until they stop, or until no news comes for a while", async () => {
    const people = new People(() => undefined, 40);
    people.typingEvent({ conversationId: "c", userId: "ann", name: "Ann", typing: true });
    people.typingEvent({ conversationId: "c", userId: "bob", name: "Bob", typing: true });
    expect(people.typingNames()).to.deep.equal(["Ann", "Bob"]);
    people.typingEvent({ conversationId: "c", userId: "ann", name: "Ann", typing: false });
    expect(people.typingNames()).to.deep.equal(["Bob"]);
    await until("Bob's typing to expire", () => people.typingNames().length === 0);
    people.typingEvent({ conversationId: "c", userId: "cy", name: "Cy", typing: true });
    people.left("cy");
    expect(people.typingNames()).to.deep.equal([]);
    people.dispose();
  });
});
