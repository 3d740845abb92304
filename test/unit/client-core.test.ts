// Covers: sdk/token-source.ts, sdk/typing-signal.ts, sdk/people.ts, sdk/conversation-handle.ts (joins, tool decisions) — the client core's rules that need no server.
import { expect } from "chai";
import type { AgentResource, UserResource } from "../../src/protocol/index.js";
import type { AckDataOf, AckEvent, PayloadOf } from "../../sdk/acks.js";
import { ConversationHandle, type HandleHost } from "../../sdk/conversation-handle.js";
import { ConfabError } from "../../sdk/errors.js";
import { People } from "../../sdk/people.js";
import { TokenSource, expiryOf } from "../../sdk/token-source.js";
import { TypingSignal } from "../../sdk/typing-signal.js";
import { waitUntil } from "../support/waiting.js";

/** An unsigned JWT-shaped token with this `exp` (seconds): the client reads it, the server verifies it. */
function jwt(exp: number | undefined, id = "x"): string {
  const part = (o: object) => Buffer.from(JSON.stringify(o)).toString("base64url");
  return `${part({ alg: "HS256" })}.${part(exp === undefined ? { sub: id } : { sub: id, exp })}.sig`;
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
    await waitUntil("typing: false after the idle time", () => sent.length === 3);
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
    await waitUntil("Bob's typing to expire", () => people.typingNames().length === 0);
    people.typingEvent({ conversationId: "c", userId: "cy", name: "Cy", typing: true });
    people.left("cy");
    expect(people.typingNames()).to.deep.equal([]);
    people.dispose();
  });
});

describe("the client's token source under refusals, failures and a wrong clock", () => {
  it("survives a getToken that throws at once, and asks it again next time", async () => {
    let calls = 0;
    const tokens = new TokenSource({
      getToken: () => {
        if (++calls === 1) throw new Error("not signed in yet");
        return jwt(Math.floor(Date.now() / 1000) + 3600);
      },
    });
    const first = await tokens.current().then(
      () => "token",
      (e: Error) => e.message,
    );
    expect(first).to.equal("not signed in yet");
    expect(await tokens.current()).to.match(/\./);
    expect(calls).to.equal(2);
  });

  it("renews once for every refusal of the same token, and never sends a refused one again", async () => {
    let calls = 0;
    let fail = false;
    const tokens = new TokenSource({
      getToken: async () => {
        calls++;
        await new Promise((r) => setTimeout(r, 5));
        if (fail) throw new Error("the identity provider is down");
        return jwt(Math.floor(Date.now() / 1000) + 3600, String(calls));
      },
    });
    const refused = await tokens.current();
    const renewed = await tokens.renew(refused);
    // A second 401 for the same token, arriving after the renewal ended: the newer token is the answer.
    expect(await tokens.renew(refused)).to.equal(renewed);
    expect(calls).to.equal(2);
    fail = true;
    await tokens.renew(renewed).catch(() => undefined);
    const next = await tokens.current().then(
      () => "sent a refused token",
      () => "asked again",
    );
    expect(next).to.equal("asked again");
  });

  it("reuses a token that looks expired on a clock ahead of the server's, for a while", async () => {
    let calls = 0;
    const serverNow = () => Date.now();
    const tokens = new TokenSource({
      now: () => serverNow() + 120_000,
      getToken: () => (calls++, jwt(Math.floor(serverNow() / 1000) + 60)),
    });
    for (let i = 0; i < 5; i++) await tokens.current();
    expect(calls).to.equal(1);
  });

  it("keeps using the held token when a renewal before its expiry fails", async () => {
    let clock = 3_000_000_000_000;
    let fail = false;
    const tokens = new TokenSource({
      now: () => clock,
      getToken: () => {
        if (fail) throw new Error("down");
        return jwt(clock / 1000 + 3600);
      },
    });
    const held = await tokens.current();
    fail = true;
    clock += 3600_000 - 30_000; // 30 s before expiry: a renewal is due, and fails
    expect(await tokens.current()).to.equal(held);
    clock += 60_000; // expired now
    expect(
      await tokens.current().then(
        () => "sent",
        () => "refused",
      ),
    ).to.equal("refused");
  });
});

/** A fake of the handle's own host interface: a socket that connects and drops on the test's word. */
class FakeHost implements HandleHost {
  connected = false;
  readonly calls: string[] = [];
  join: "answer" | "drop" = "answer";
  meFails = false;
  /** What the joined conversation says of the caller and of who decides tool calls. */
  seat: { role: string; toolApproval: string } = { role: "owner", toolApproval: "participant" };
  /** The answer being written that a join gives, if any. */
  generation: unknown = null;
  /** What `tool:decide` answers: its part, or a refusal. */
  decision: ConfabError | object = {};
  readonly payloads: unknown[] = [];
  private readonly listeners = { connect: new Set<() => void>(), disconnect: new Set<() => void>() };
  private readonly waiting: (() => void)[] = [];

  call<E extends AckEvent>(event: E, payload: PayloadOf<E>): Promise<AckDataOf<E>> {
    this.calls.push(event);
    this.payloads.push(payload);
    if (event === "tool:decide") {
      const decision = this.decision;
      if (decision instanceof ConfabError) return Promise.reject(decision);
      return Promise.resolve({ part: decision } as AckDataOf<E>);
    }
    if (event !== "conversation:join") return Promise.resolve({} as AckDataOf<E>);
    if (this.join === "drop") {
      this.disconnect();
      return Promise.reject(
        new ConfabError({ code: "unavailable", message: "socket has been disconnected" }),
      );
    }
    const conversationId = (payload as { conversationId: string }).conversationId;
    const result = {
      conversation: { id: conversationId, headId: null, status: "active", agentId: "a", ...this.seat },
      messages: [],
      hasMore: false,
      generation: this.generation,
      presence: [],
    };
    return Promise.resolve(result as unknown as AckDataOf<E>);
  }
  rest<T>(method: string, path: string): Promise<T> {
    this.calls.push(`${method} ${path}`);
    return Promise.resolve({ members: [] } as T);
  }
  emitTyping(): void {}
  upload(): Promise<never> {
    return Promise.reject(new ConfabError({ code: "unavailable", message: "no uploads here" }));
  }
  fileUrl(): Promise<never> {
    return Promise.reject(new ConfabError({ code: "unavailable", message: "no files here" }));
  }
  connectedOnce(): Promise<void> {
    return this.connected ? Promise.resolve() : new Promise((r) => this.waiting.push(r));
  }
  onSocket(event: "connect" | "disconnect", listener: () => void): () => void {
    this.listeners[event].add(listener);
    return () => void this.listeners[event].delete(listener);
  }
  me(): Promise<UserResource> {
    if (this.meFails) return Promise.reject(new ConfabError({ code: "rate_limited", message: "slow down" }));
    return Promise.resolve({ id: "me" } as UserResource);
  }
  agents(): Promise<AgentResource[]> {
    return Promise.resolve([]);
  }
  released(): void {}
  connect(): void {
    this.connected = true;
    for (const l of this.listeners.connect) l();
    for (const w of this.waiting.splice(0)) w();
  }
  disconnect(): void {
    this.connected = false;
    for (const l of this.listeners.disconnect) l();
  }
  joins(): number {
    return this.calls.filter((c) => c === "conversation:join").length;
  }
}

describe("the conversation handle's joins", () => {
  it("joins again at the next connect when the first join was cut by a disconnect", async () => {
    const host = new FakeHost();
    host.join = "drop";
    const handle = new ConversationHandle(host, "c1");
    host.connect();
    host.join = "answer";
    host.connect();
    await handle.ready();
    expect(host.joins()).to.equal(2);
    expect(handle.conversation?.id).to.equal("c1");
  });

  it("joins once per connect, however the first connect is seen", async () => {
    const host = new FakeHost();
    const handle = new ConversationHandle(host, "c2");
    host.connect();
    await handle.ready();
    expect(host.joins()).to.equal(1);
  });

  it("never joins once closed, and tells a waiting ready() so", async () => {
    const host = new FakeHost();
    const handle = new ConversationHandle(host, "c3");
    handle.close();
    host.connect();
    const outcome = await handle.ready().then(
      () => "joined",
      (e: ConfabError) => e.code,
    );
    expect(outcome).to.equal("unavailable");
    expect(host.calls).to.deep.equal([]);
  });

  it("is ready when joined even if who the caller is cannot be had yet, and says why", async () => {
    const host = new FakeHost();
    host.meFails = true;
    const handle = new ConversationHandle(host, "c4");
    const errors: string[] = [];
    handle.on("error", (e) => errors.push(e.code));
    host.connect();
    await handle.ready();
    expect(handle.conversation?.id).to.equal("c4");
    expect(handle.me).to.equal(null);
    expect(errors).to.deep.equal(["rate_limited"]);
    host.meFails = false;
    host.disconnect();
    host.connect();
    await handle.ready();
    expect(handle.me).to.equal("me");
  });
});

describe("the conversation handle's tool decisions", () => {
  const requested = {
    type: "tool" as const,
    toolCallId: "call-1",
    toolName: "open_ticket",
    input: { title: "Printer" },
    state: "approval-requested" as const,
  };

  it("lets the owner decide always, a participant when the conversation says so, a viewer never", async () => {
    const cases = [
      ["owner", "owner", true],
      ["owner", "participant", true],
      ["participant", "participant", true],
      ["participant", "owner", false],
      ["viewer", "participant", false],
    ] as const;
    for (const [role, toolApproval, may] of cases) {
      const host = new FakeHost();
      host.seat = { role, toolApproval };
      const handle = new ConversationHandle(host, `d-${role}-${toolApproval}`);
      expect(handle.canDecide).to.equal(false);
      host.connect();
      await handle.ready();
      expect(handle.canDecide, `${role} with toolApproval ${toolApproval}`).to.equal(may);
    }
  });

  it("sends tool:decide, shows the decided part at once, and passes a refusal on with its code", async () => {
    const host = new FakeHost();
    host.generation = { messageId: "a1", seq: 3, content: "Shall I?", parts: [requested] };
    const handle = new ConversationHandle(host, "d1");
    host.connect();
    await handle.ready();
    expect(handle.streaming()?.status).to.equal("awaiting_approval");
    expect(handle.busy).to.equal(true);
    const approval = {
      decidedBy: { id: "me", name: "Me" },
      decidedAt: "2026-01-01T00:00:00Z",
      approved: true,
    };
    host.decision = { ...requested, state: "approved", approval };
    const part = await handle.decide("a1", "call-1", true, "fine");
    expect(part.state).to.equal("approved");
    expect(host.payloads.at(-1)).to.deep.equal({
      conversationId: "d1",
      messageId: "a1",
      toolCallId: "call-1",
      approved: true,
      reason: "fine",
    });
    expect(handle.streaming()?.parts).to.deep.equal([{ ...requested, state: "approved", approval }]);
    expect(handle.streaming()?.status).to.equal("streaming");
    host.decision = new ConfabError({ code: "conflict", message: "already decided" });
    const refused = await handle.decide("a1", "call-1", false).then(
      () => "decided",
      (e: ConfabError) => e.code,
    );
    expect(refused).to.equal("conflict");
  });
});
