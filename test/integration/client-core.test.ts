// Covers: sdk/confab-client.ts, sdk/conversation-handle.ts, sdk/conversation-list.ts, sdk/token-source.ts,
// sdk/rest-client.ts — the headless client core every face draws from, against a real server.
import { expect } from "chai";
import { ConfabClient, ConfabError, type ConversationHandle, type MessageView } from "../../sdk/index.js";
import { FakeChatModel } from "../support/fake-chat-model.js";
import { seedConversation } from "../support/seeded-conversation.js";
import { DEMO_AGENT_ID, startTestServer, type TestServer } from "../support/test-server.js";

/** Resolves once `check` holds after one of the handle's events (or at once); fails naming `what`. */
function when<T>(
  handle: ConversationHandle,
  what: string,
  check: () => T | undefined | false,
  limitMs = 10_000,
): Promise<T> {
  return new Promise((resolve, reject) => {
    const offs: (() => void)[] = [];
    const timer = setTimeout(() => {
      for (const off of offs) off();
      reject(new Error(`gave up waiting for ${what}`));
    }, limitMs);
    const test = () => {
      const value = check();
      if (value === undefined || value === false) return;
      clearTimeout(timer);
      for (const off of offs) off();
      resolve(value);
    };
    for (const event of ["change", "people", "conversation", "presence"] as const)
      offs.push(handle.on(event, test));
    test();
  });
}

const settledTexts = (messages: MessageView[]) =>
  messages.filter((m) => m.status === "complete").map((m) => [m.role, m.content]);

describe("the client core (the SDK's conversation handle) against a real server", () => {
  let server: TestServer;
  const model = new FakeChatModel({ chunks: ["Hello", " there", "!"] });
  const clients: ConfabClient[] = [];

  before(async () => {
    server = await startTestServer({ chatModels: { demo: model } });
  });
  after(async () => {
    await server.close();
  });
  afterEach(() => {
    model.release();
    for (const c of clients.splice(0)) c.close();
  });

  function client(sub: string, name = sub.toUpperCase()): ConfabClient {
    const c = new ConfabClient({ url: server.url, getToken: () => server.token(sub, { name }) });
    clients.push(c);
    return c;
  }

  async function opened(c: ConfabClient, id: string): Promise<ConversationHandle> {
    const handle = c.conversation(id);
    await handle.ready();
    return handle;
  }

  it("asks for one token for everything a start does, and sends no request without it", async () => {
    const asked: number[] = [];
    const requests: { path: string; authorization: string | null; status: number }[] = [];
    const counting: typeof fetch = async (input, init) => {
      const res = await fetch(input, init);
      requests.push({
        path: new URL(input instanceof Request ? input.url : input).pathname,
        authorization: new Headers(init?.headers).get("authorization"),
        status: res.status,
      });
      return res;
    };
    const c = new ConfabClient({
      url: server.url,
      fetch: counting,
      getToken: async () => {
        asked.push(Date.now());
        await new Promise((r) => setImmediate(r));
        return server.token("tessa");
      },
    });
    clients.push(c);
    // What a face does on its first load, all at once: who am I, the agents, a new conversation.
    const [, , conversation] = await Promise.all([
      c.me(),
      c.agents(),
      c.createConversation({ agentId: DEMO_AGENT_ID }),
    ]);
    const handle = await opened(c, conversation.id);
    await handle.send("hello");
    expect(asked).to.have.length(1);
    expect(requests.length).to.be.greaterThan(3);
    for (const r of requests) expect(r.authorization, r.path).to.match(/^Bearer [\w-]+\.[\w-]+\.[\w-]+$/);
    expect(requests.filter((r) => r.status === 401)).to.deep.equal([]);
  });

  it("keeps a second person's membership, presence, typing and the assistant mode live", async () => {
    const ann = client("ann");
    const { id } = await ann.createConversation({ agentId: DEMO_AGENT_ID });
    const annHandle = await opened(ann, id);
    expect(
      annHandle.starters().length,
      "the demo agent's starters on an empty conversation",
    ).to.be.greaterThan(0);
    const invite = await annHandle.createInvite("participant");
    const bob = client("bob");
    expect((await bob.acceptInvite(invite.token)).id).to.equal(id);
    const bobHandle = await opened(bob, id);

    await when(annHandle, "Bob online as a participant", () =>
      annHandle.members().some((m) => m.userId === "bob" && m.role === "participant" && m.online),
    );
    expect(bobHandle.members().map((m) => [m.userId, m.role])).to.deep.equal([
      ["ann", "owner"],
      ["bob", "participant"],
    ]);

    bobHandle.composing("Hi Ann");
    await when(annHandle, "Bob typing", () => annHandle.typingNames().includes("BOB"));
    expect(bobHandle.typingNames(), "one's own typing is not shown").to.deep.equal([]);
    await bobHandle.send("Hi Ann");
    await when(annHandle, "Bob's typing to end with his send", () => annHandle.typingNames().length === 0);
    await when(annHandle, "Bob's answer", () => settledTexts(annHandle.messages()).length === 2);
    expect(annHandle.showsAuthors()).to.equal(false);
    expect(annHandle.starters()).to.deep.equal([]);

    // Only the owner chooses who answers; every tab follows.
    const refused = await bobHandle.setAssistantMode("off").catch((e: unknown) => e);
    expect(refused).to.be.instanceOf(ConfabError).with.property("code", "forbidden");
    await annHandle.setAssistantMode("manual");
    await when(bobHandle, "manual mode in Bob's tab", () => bobHandle.asksForAnswers);
    const quiet = await bobHandle.send("no answer please");
    expect(quiet.assistantMessageId).to.equal(null);
    await bobHandle.send("now answer", { askAssistant: true });
    await when(annHandle, "the asked answer", () => settledTexts(annHandle.messages()).length === 5);
    expect(annHandle.showsAuthors(), "one person wrote").to.equal(false);
    await annHandle.send("Ann here");
    expect(annHandle.showsAuthors(), "two people wrote").to.equal(true);

    bob.close();
    await when(annHandle, "Bob offline", () =>
      annHandle.members().some((m) => m.userId === "bob" && !m.online),
    );
  });

  it("offers each member only the actions its role and authorship allow", async () => {
    const ann = client("ava");
    const { id } = await ann.createConversation({ agentId: DEMO_AGENT_ID });
    const annHandle = await opened(ann, id);
    await annHandle.send("mine");
    await when(annHandle, "the answer", () => settledTexts(annHandle.messages()).length === 2);
    const viewer = client("vic");
    await viewer.acceptInvite((await annHandle.createInvite("viewer")).token);
    const vicHandle = await opened(viewer, id);
    const [question, answer] = annHandle.messages();
    expect(annHandle.actions(question!)).to.deep.equal({ versions: null, regenerate: false, edit: true });
    expect(annHandle.actions(answer!)).to.deep.equal({ versions: null, regenerate: true, edit: false });
    for (const view of vicHandle.messages())
      expect(vicHandle.actions(view)).to.deep.equal({ versions: null, regenerate: false, edit: false });
    expect(vicHandle.canWrite).to.equal(false);
    expect(vicHandle.starters()).to.deep.equal([]);
  });

  it("switches versions in every tab, fetching the path a late tab never held", async () => {
    const ann = client("amy");
    const { id } = await ann.createConversation({ agentId: DEMO_AGENT_ID });
    const first = await opened(ann, id);
    model.script = { chunks: ["first answer"] };
    await first.send("question");
    await when(first, "the first answer", () => settledTexts(first.messages()).length === 2);
    model.script = { chunks: ["second answer"] };
    const answerId = first.messages()[1]!.id!;
    const regenerated = await first.regenerate(answerId);
    await first.settled(regenerated);
    // A tab opened now holds only the path to the new head: version 2 of the answer.
    const late = await opened(client("amy"), id);
    expect(late.messages().map((m) => m.content)).to.deep.equal(["question", "second answer"]);
    expect(late.actions(late.messages()[1]!).versions).to.deep.equal({
      index: 2,
      count: 2,
      previous: true,
      next: false,
    });

    await first.switchVersion(regenerated, -1);
    const back = await when(late, "version 1 in the late tab", () => {
      const shown = late.messages();
      return shown[1]?.content === "first answer" && shown;
    });
    expect(back.map((m) => [m.content, m.branch])).to.deep.equal([
      ["question", { index: 1, count: 1 }],
      ["first answer", { index: 1, count: 2 }],
    ]);
  });

  it("pages earlier messages along the path until there are none, and reads nothing more per turn", async () => {
    const seeded = await seedConversation(server.confab.db, {
      userId: "pam",
      agentId: DEMO_AGENT_ID,
      messages: 120,
    });
    const reads: string[] = [];
    const c = new ConfabClient({
      url: server.url,
      getToken: () => server.token("pam"),
      fetch: (input, init) => {
        const url = new URL(input instanceof Request ? input.url : input);
        if (url.pathname.endsWith("/messages")) reads.push(url.search);
        return fetch(input, init);
      },
    });
    clients.push(c);
    const handle = await opened(c, seeded.id);
    expect(handle.messages()).to.have.length(50);
    const sent = await handle.send("one more");
    await handle.settled(sent.assistantMessageId!);
    // Above the join's 50 messages the path goes on by design: that is no gap to fetch, at join or per turn.
    expect(reads).to.deep.equal([]);
    expect(handle.hasEarlier).to.equal(true);
    await handle.loadEarlier();
    await handle.loadEarlier();
    expect(handle.hasEarlier).to.equal(false);
    expect(reads).to.have.length(2);
    expect(
      handle
        .messages()
        .map((m) => m.id)
        .slice(0, 120),
    ).to.deep.equal(seeded.path);
  });

  it("keeps the caller's conversation list live: created, renamed and deleted elsewhere", async () => {
    const c = client("lia");
    const list = c.conversations();
    await list.ready();
    const other = client("lia");
    const created = await other.createConversation({ agentId: DEMO_AGENT_ID, title: "one" });
    const seen = () => list.list().map((x) => [x.id, x.title]);
    const changed = (check: () => boolean) =>
      new Promise<void>((resolve) => {
        if (check()) return resolve();
        const off = list.on("change", () => check() && (off(), resolve()));
      });
    await other.rest("PATCH", `/conversations/${created.id}`, { title: "renamed" });
    await changed(() => seen().some(([id, title]) => id === created.id && title === "renamed"));
    await other.rest("DELETE", `/conversations/${created.id}`);
    await changed(() => !seen().some(([id]) => id === created.id));
  });
});
