// Covers: src/members/member-service.ts, src/http/routes/member-routes.ts, src/conversations/
// conversation-policy.ts, src/realtime/ (presence, typing, member-tabs.ts, chat namespace handlers),
// src/chat/ (assistantMode; authors named in the prompt), src/admin/admin-service.ts (erasure), on two nodes.
import { expect } from "chai";
import type {
  ConversationResource,
  CreatedInvite,
  InviteList,
  MemberList,
  MemberResource,
  MessageResource,
  PresentUser,
  TypingEvent,
} from "../../src/protocol/index.js";
import {
  arrivesWithin,
  call,
  connectAdmin,
  nextEvent,
  observeAnswer,
  request,
  Tabs,
  type ChatClient,
} from "../support/clients.js";
import { startCluster, type TestCluster } from "../support/cluster.js";
import { DEMO_AGENT_ID } from "../support/conversations.js";
import { FakeChatModel } from "../support/fake-chat-model.js";
import { rest, type ErrorBody } from "../support/rest.js";
import { waitUntil } from "../support/waiting.js";

const userIds = (online: PresentUser[]) => online.map((u) => u.userId).sort();

describe("people sharing a conversation, across two nodes", () => {
  let cluster: TestCluster;
  const models = [new FakeChatModel(), new FakeChatModel()];
  const openTabs = new Tabs();

  before(async () => {
    cluster = await startCluster(2, { chatModels: (i) => ({ demo: models[i]! }) });
  });
  after(async () => {
    await cluster.close();
  });
  beforeEach(() => {
    for (const m of models) m.script = { chunks: ["Shared ", "answer", "."], delayMs: 2 };
  });
  afterEach(() => {
    for (const m of models) m.release();
    openTabs.closeAll();
  });

  const node = (i: number) => cluster.nodes[i]!;
  const names: Record<string, string> = { olga: "Olga Owner", pete: "Pete Participant", vera: "Vera Viewer" };
  const api = (sub: string, i = 0) => rest(node(i).url, node(i).token(sub, { name: names[sub] ?? sub }));
  const tab = (sub: string, i: number): Promise<ChatClient> =>
    openTabs.connect(node(i).url, node(i).token(sub, { name: names[sub] ?? sub }));

  /** A conversation of `owner`'s with these members added by the owner. */
  async function shared(
    owner: string,
    members: Record<string, "participant" | "viewer"> = {},
  ): Promise<string> {
    const c = await api(owner).post<ConversationResource>("/api/v1/conversations", {
      agentId: DEMO_AGENT_ID,
    });
    expect(c.status).to.equal(201);
    expect(c.body.role).to.equal("owner");
    for (const [userId, role] of Object.entries(members)) {
      // The member's first token makes its user (with its name), as a real client would.
      await api(userId).get("/api/v1/me");
      const added = await api(owner).post(`/api/v1/conversations/${c.body.id}/members`, { userId, role });
      expect(added.status, JSON.stringify(added.body)).to.equal(201);
    }
    return c.body.id;
  }

  it("shows a participant's turn on every member's tabs on both nodes, with its author", async () => {
    const id = await shared("olga", { pete: "participant", vera: "viewer" });
    const tabs = [await tab("olga", 0), await tab("pete", 1), await tab("vera", 0), await tab("vera", 1)];
    for (const t of tabs) await call(t, "conversation:join", { conversationId: id });
    const created = tabs.map((t) => nextEvent(t, "message:created"));
    const answers = tabs.map((t) => observeAnswer(t, id));
    const sent = await call(tabs[1]!, "message:send", { conversationId: id, content: "from Pete" });
    expect(sent.message.author).to.deep.equal({ id: "pete", name: "Pete Participant" });
    for (const event of await Promise.all(created)) {
      expect(event.message.author).to.deep.equal({ id: "pete", name: "Pete Participant" });
    }
    for (const answer of await Promise.all(answers)) expect(answer.text).to.equal("Shared answer.");

    // Each sees the conversation in its list, with its own role.
    for (const [sub, role] of [
      ["olga", "owner"],
      ["pete", "participant"],
      ["vera", "viewer"],
    ] as const) {
      const list = await api(sub, 1).get<{ conversations: ConversationResource[] }>("/api/v1/conversations");
      expect(list.body.conversations.map((c) => [c.id, c.role])).to.deep.include([id, role]);
      const only = await api(sub).get<{ conversations: ConversationResource[] }>(
        `/api/v1/conversations?role=${role}`,
      );
      expect(only.body.conversations.every((c) => c.role === role)).to.equal(true);
    }
    const members = await api("vera").get<MemberList>(`/api/v1/conversations/${id}/members`);
    expect(members.body.members.map((m) => [m.userId, m.role, m.name])).to.deep.equal([
      ["olga", "owner", "Olga Owner"],
      ["pete", "participant", "Pete Participant"],
      ["vera", "viewer", "Vera Viewer"],
    ]);
    expect(members.body.members.every((m) => m.online)).to.equal(true);
  });

  it("gives presence in the join ack and tells the room when people come and go, on either node", async () => {
    const id = await shared("olga", { pete: "participant" });
    const olga = await tab("olga", 0);
    const joined = await call(olga, "conversation:join", { conversationId: id });
    expect(userIds(joined.presence)).to.deep.equal(["olga"]);

    const peteComes = nextEvent(olga, "presence:update", (e) => e.conversationId === id);
    const pete = await tab("pete", 1);
    const peteJoined = await call(pete, "conversation:join", { conversationId: id });
    expect(userIds(peteJoined.presence)).to.deep.equal(["olga", "pete"]);
    expect((await peteComes).online).to.deep.include({ userId: "pete", name: "Pete Participant" });

    // A second tab of Pete's changes nothing; closing one of two leaves him online.
    const pete2 = await tab("pete", 0);
    const noChange = arrivesWithin(olga, "presence:update", 400);
    await call(pete2, "conversation:join", { conversationId: id });
    pete2.close();
    expect(await noChange).to.equal(false);

    const peteGoes = nextEvent(olga, "presence:update", (e) => e.conversationId === id);
    pete.close();
    expect(userIds((await peteGoes).online)).to.deep.equal(["olga"]);
  });

  it("relays typing to the others and ends it by itself after 6 s, or when the tab leaves", async () => {
    const id = await shared("olga", { pete: "participant", vera: "viewer" });
    const [olga, pete, vera] = [await tab("olga", 0), await tab("pete", 1), await tab("vera", 1)];
    for (const t of [olga, pete, vera]) await call(t, "conversation:join", { conversationId: id });

    const starts = nextEvent(olga, "typing", (e) => e.typing);
    const ends = nextEvent(olga, "typing", (e) => !e.typing);
    const notToSelf = arrivesWithin(pete, "typing", 500);
    pete.emit("typing", { conversationId: id, typing: true });
    const started: TypingEvent = await starts;
    expect(started).to.deep.equal({
      conversationId: id,
      userId: "pete",
      name: "Pete Participant",
      typing: true,
    });
    expect(await notToSelf).to.equal(false);
    // A renewal keeps it going (nothing relayed); nobody says it stopped: it ends by itself, later.
    pete.emit("typing", { conversationId: id, typing: true });
    const early = arrivesWithin(olga, "typing", 2000, (e) => !e.typing);
    expect(await early, "ended before its time").to.equal(false);
    expect(await ends).to.deep.include({ userId: "pete", typing: false });

    // A tab that leaves stops typing at once.
    const again = nextEvent(olga, "typing", (e) => e.typing);
    pete.emit("typing", { conversationId: id, typing: true });
    await again;
    const stopped = nextEvent(olga, "typing", (e) => !e.typing);
    await call(pete, "conversation:leave", { conversationId: id });
    expect((await stopped).userId).to.equal("pete");

    // A viewer's typing goes nowhere.
    const fromViewer = arrivesWithin(olga, "typing", 500);
    vera.emit("typing", { conversationId: id, typing: true });
    expect(await fromViewer).to.equal(false);
  });

  it("refuses a viewer every write with forbidden, and lets it read, join and export", async () => {
    const id = await shared("olga", { vera: "viewer" });
    const olga = await tab("olga", 0);
    await call(olga, "conversation:join", { conversationId: id });
    const firstAnswer = observeAnswer(olga, id);
    const first = await call(olga, "message:send", { conversationId: id, content: "mine" });
    await firstAnswer;

    const vera = await tab("vera", 1);
    await call(vera, "conversation:join", { conversationId: id });
    const refused = async (event: Parameters<typeof request>[1], payload: Record<string, unknown>) => {
      const answer = await request(vera, event, { conversationId: id, ...payload });
      expect(answer.ok, event).to.equal(false);
      if (!answer.ok) expect(answer.error.code, event).to.equal("forbidden");
    };
    await refused("message:send", { content: "hi" });
    await refused("message:edit", { messageId: first.message.id, content: "changed" });
    await refused("message:regenerate", { messageId: first.assistantMessageId });
    await refused("generation:stop", {});
    await refused("conversation:checkout", { messageId: first.message.id });
    const v = api("vera", 1);
    for (const [method, path, body] of [
      ["post", `/api/v1/conversations/${id}/messages`, { content: "hi" }],
      ["post", `/api/v1/conversations/${id}/messages/${first.message.id}/edit`, { content: "x" }],
      ["post", `/api/v1/conversations/${id}/messages/${first.assistantMessageId}/regenerate`, {}],
      ["post", `/api/v1/conversations/${id}/stop`, {}],
      ["post", `/api/v1/conversations/${id}/checkout`, { messageId: first.message.id }],
      ["patch", `/api/v1/conversations/${id}`, { title: "mine now" }],
      ["delete", `/api/v1/conversations/${id}`, undefined],
      ["post", `/api/v1/conversations/${id}/invites`, { role: "viewer" }],
      ["post", `/api/v1/conversations/${id}/members`, { userId: "someone", role: "viewer" }],
    ] as const) {
      const res = await (
        v as unknown as Record<
          string,
          (p: string, b?: unknown) => Promise<{ status: number; body: ErrorBody }>
        >
      )[method]!(path, body);
      expect(res.status, `${method} ${path}`).to.equal(403);
      expect(res.body.error.code).to.equal("forbidden");
    }
    expect((await v.get(`/api/v1/conversations/${id}`)).status).to.equal(200);
    expect((await v.get(`/api/v1/conversations/${id}/messages`)).status).to.equal(200);
    expect((await v.get(`/api/v1/conversations/${id}/export?format=markdown`)).status).to.equal(200);
  });

  it("answers not_found to a stranger on every route and event", async () => {
    const id = await shared("olga", { pete: "participant" });
    const stranger = await tab("sam", 1);
    for (const [event, payload] of [
      ["conversation:join", {}],
      ["message:send", { content: "hi" }],
      ["generation:stop", {}],
      ["conversation:checkout", { messageId: id }],
    ] as const) {
      const answer = await request(stranger, event, { conversationId: id, ...payload });
      expect(answer.ok).to.equal(false);
      if (!answer.ok) expect(answer.error.code, event).to.equal("not_found");
    }
    const s = api("sam");
    for (const [method, path] of [
      ["get", `/api/v1/conversations/${id}`],
      ["get", `/api/v1/conversations/${id}/members`],
      ["get", `/api/v1/conversations/${id}/invites`],
      ["post", `/api/v1/conversations/${id}/members`],
      ["patch", `/api/v1/conversations/${id}/members/pete`],
      ["delete", `/api/v1/conversations/${id}/members/pete`],
      ["post", `/api/v1/conversations/${id}/invites`],
      ["get", `/api/v1/conversations/${id}/export`],
    ] as const) {
      const body =
        method === "patch"
          ? { role: "viewer" }
          : method === "post"
            ? { userId: "x", role: "viewer" }
            : undefined;
      const res = await (
        s as unknown as Record<
          string,
          (p: string, b?: unknown) => Promise<{ status: number; body: ErrorBody }>
        >
      )[method]!(path, path.endsWith("/invites") && method === "post" ? { role: "viewer" } : body);
      expect(res.status, `${method} ${path}`).to.equal(404);
      expect(res.body.error.code).to.equal("not_found");
    }
  });

  it("lets a link make members: limited uses, expiry, revocation, unknown tokens, and accepting twice", async () => {
    const id = await shared("olga");
    const olga = api("olga");
    const created = await olga.post<CreatedInvite>(`/api/v1/conversations/${id}/invites`, {
      role: "participant",
      maxUses: 2,
    });
    expect(created.status).to.equal(201);
    expect(created.body.token).to.match(/^[A-Za-z0-9_-]{43}$/);
    const { token } = created.body;

    const olgaTab = await tab("olga", 0);
    await call(olgaTab, "conversation:join", { conversationId: id });
    const joinedEvent = nextEvent(olgaTab, "member:joined", (e) => e.member.userId === "ann");
    const annTab = await tab("ann", 1);
    const appears = nextEvent(annTab, "conversation:updated", (e) => e.conversation.id === id);
    const accepted = await api("ann", 1).post<{ conversation: ConversationResource }>(
      `/api/v1/invites/${token}/accept`,
    );
    expect(accepted.status).to.equal(200);
    expect(accepted.body.conversation).to.deep.include({ id, role: "participant" });
    expect((await appears).conversation.role).to.equal("participant");
    expect((await joinedEvent).member).to.deep.include({ userId: "ann", role: "participant" });

    // Accepting again uses nothing up; a second person takes the last use; a third finds nothing.
    expect((await api("ann").post(`/api/v1/invites/${token}/accept`)).status).to.equal(200);
    expect((await api("bob").post(`/api/v1/invites/${token}/accept`)).status).to.equal(200);
    const usedUp = await api("cid").post<ErrorBody>(`/api/v1/invites/${token}/accept`);
    expect(usedUp.status).to.equal(404);
    const listed = await olga.get<InviteList>(`/api/v1/conversations/${id}/invites`);
    expect(listed.body.invites).to.have.length(1);
    expect(listed.body.invites[0]).to.deep.include({ uses: 2, maxUses: 2, revoked: false });
    expect(JSON.stringify(listed.body)).to.not.include(token);

    // Revoked, expired, unknown.
    const second = await olga.post<CreatedInvite>(`/api/v1/conversations/${id}/invites`, { role: "viewer" });
    expect((await olga.delete(`/api/v1/conversations/${id}/invites/${second.body.id}`)).status).to.equal(204);
    expect((await api("dan").post(`/api/v1/invites/${second.body.token}/accept`)).status).to.equal(404);
    const third = await olga.post<CreatedInvite>(`/api/v1/conversations/${id}/invites`, { role: "viewer" });
    await node(0).confab.db.models.Invite.update(
      { expiresAt: new Date(Date.now() - 1000) },
      { where: { id: third.body.id } },
    );
    expect((await api("dan").post(`/api/v1/invites/${third.body.token}/accept`)).status).to.equal(404);
    expect((await api("dan").post(`/api/v1/invites/${"A".repeat(43)}/accept`)).status).to.equal(404);
    expect((await api("dan").post(`/api/v1/invites/not a token/accept`)).status).to.equal(400);
    // The token itself is nowhere in the database.
    const [rows] = await node(0).confab.db.sequelize.query(`SELECT * FROM invites`);
    expect(JSON.stringify(rows)).to.not.include(token);

    // A viewer link never lowers a participant.
    const viewers = await olga.post<CreatedInvite>(`/api/v1/conversations/${id}/invites`, { role: "viewer" });
    const again = await api("ann").post<{ conversation: ConversationResource }>(
      `/api/v1/invites/${viewers.body.token}/accept`,
    );
    expect(again.body.conversation.role).to.equal("participant");
  });

  it("cuts a removed member off at once, mid-answer, on the other node", async () => {
    const id = await shared("olga", { pete: "participant" });
    const olga = await tab("olga", 0);
    const pete = await tab("pete", 1);
    for (const t of [olga, pete]) await call(t, "conversation:join", { conversationId: id });
    models[0]!.hold(1);
    models[1]!.hold(1);
    const paused = Promise.race([models[0]!.paused(), models[1]!.paused()]);
    const olgaSees = observeAnswer(olga, id);
    await call(olga, "message:send", { conversationId: id, content: "a long one" });
    await paused;

    const gone = nextEvent(pete, "conversation:deleted", (e) => e.conversationId === id);
    const left = nextEvent(olga, "member:left", (e) => e.conversationId === id);
    let afterRemoval = 0;
    const removed = (await api("olga").delete(`/api/v1/conversations/${id}/members/pete`)).status;
    expect(removed).to.equal(204);
    await gone;
    expect((await left).userId).to.equal("pete");
    for (const event of [
      "assistant:delta",
      "assistant:done",
      "message:created",
      "presence:update",
    ] as const) {
      pete.on(event as "assistant:delta", () => void afterRemoval++);
    }
    models[0]!.release();
    models[1]!.release();
    const answer = await olgaSees;
    expect(answer.end.message.status).to.equal("complete");
    const later = observeAnswer(olga, id);
    await call(olga, "message:send", { conversationId: id, content: "after" });
    await later;
    expect(afterRemoval).to.equal(0);
    const rejoin = await request(pete, "conversation:join", { conversationId: id });
    expect(rejoin.ok).to.equal(false);
    if (!rejoin.ok) expect(rejoin.error.code).to.equal("not_found");
  });

  it("hands ownership on: the old owner becomes a participant and the new one may manage", async () => {
    const id = await shared("olga", { pete: "participant" });
    expect((await api("olga").delete(`/api/v1/conversations/${id}/members/olga`)).status).to.equal(400);
    const handed = await api("olga").patch<MemberResource>(`/api/v1/conversations/${id}/members/pete`, {
      role: "owner",
    });
    expect(handed.status).to.equal(200);
    expect(handed.body.role).to.equal("owner");
    const members = await api("pete").get<MemberList>(`/api/v1/conversations/${id}/members`);
    expect(members.body.members.map((m) => [m.userId, m.role])).to.deep.equal([
      ["pete", "owner"],
      ["olga", "participant"],
    ]);
    expect((await api("olga").patch(`/api/v1/conversations/${id}`, { title: "no" })).status).to.equal(403);
    expect((await api("pete").patch(`/api/v1/conversations/${id}`, { title: "Pete's now" })).status).to.equal(
      200,
    );
    const detail = await api("pete").get<ConversationResource>(`/api/v1/conversations/${id}`);
    expect(detail.body).to.deep.include({ userId: "pete", role: "owner" });
    // A participant may leave by itself.
    expect((await api("olga").delete(`/api/v1/conversations/${id}/members/olga`)).status).to.equal(204);
    expect((await api("olga").get(`/api/v1/conversations/${id}`)).status).to.equal(404);
  });

  it("answers by assistantMode: auto, manual when asked, off never; the owner changes it", async () => {
    const id = await shared("olga", { pete: "participant" });
    const pete = await tab("pete", 1);
    await call(pete, "conversation:join", { conversationId: id });
    expect(
      (await api("pete").patch(`/api/v1/conversations/${id}`, { assistantMode: "off" })).status,
    ).to.equal(403);

    const manual = await api("olga").patch<ConversationResource>(`/api/v1/conversations/${id}`, {
      assistantMode: "manual",
    });
    expect(manual.body.assistantMode).to.equal("manual");
    const quiet = await call(pete, "message:send", { conversationId: id, content: "just us" });
    expect(quiet.assistantMessageId).to.equal(null);
    const asked = observeAnswer(pete, id);
    const ask = await call(pete, "message:send", {
      conversationId: id,
      content: "now you",
      askAssistant: true,
    });
    expect(ask.assistantMessageId).to.be.a("string");
    expect((await asked).end.message.status).to.equal("complete");

    await api("olga").patch(`/api/v1/conversations/${id}`, { assistantMode: "off" });
    const off = await call(pete, "message:send", {
      conversationId: id,
      content: "human only",
      askAssistant: true,
    });
    expect(off.assistantMessageId).to.equal(null);
    const rest1 = await api("pete").post<{ assistantMessage: MessageResource | null }>(
      `/api/v1/conversations/${id}/messages`,
      { content: "over REST" },
    );
    expect(rest1.status).to.equal(201);
    expect(rest1.body.assistantMessage).to.equal(null);
    const regenerate = await request(pete, "message:regenerate", {
      conversationId: id,
      messageId: ask.assistantMessageId,
    });
    expect(regenerate.ok).to.equal(false);
    if (!regenerate.ok) expect(regenerate.error.code).to.equal("validation_failed");

    // The path holds every message, in order; the head is the last question.
    const page = await api("olga").get<{ messages: MessageResource[] }>(
      `/api/v1/conversations/${id}/messages`,
    );
    expect(page.body.messages.map((m) => m.content)).to.deep.equal([
      "just us",
      "now you",
      "Shared answer.",
      "human only",
      "over REST",
    ]);
  });

  it("lets the model tell the authors apart when several wrote in the window", async () => {
    const id = await shared("olga", { pete: "participant" });
    const [olga, pete] = [await tab("olga", 0), await tab("pete", 0)];
    for (const t of [olga, pete]) await call(t, "conversation:join", { conversationId: id });
    const alone = [observeAnswer(olga, id), observeAnswer(pete, id)];
    await call(olga, "message:send", { conversationId: id, content: "first" });
    await Promise.all(alone);
    // One author so far: no names.
    const answerRequest = () => models[0]!.requests.filter((r) => r.purpose === "answer").at(-1)!;
    expect(answerRequest().messages.some((m) => m.name !== undefined)).to.equal(false);
    const both = observeAnswer(pete, id);
    await call(pete, "message:send", { conversationId: id, content: "second" });
    await both;
    const users = answerRequest().messages.filter((m) => m.role === "user");
    expect(users.map((m) => [m.content, m.name])).to.deep.equal([
      ["first", "Olga Owner"],
      ["second", "Pete Participant"],
    ]);
  });

  it("erases a user: its conversations go, its words elsewhere are emptied, its memberships end", async () => {
    const id = await shared("olga", { erin: "participant" });
    const own = await api("erin").post<ConversationResource>("/api/v1/conversations", {
      agentId: DEMO_AGENT_ID,
    });
    // Olga is a member of Erin's own conversation: it goes for her too.
    await api("erin").post(`/api/v1/conversations/${own.body.id}/members`, {
      userId: "olga",
      role: "viewer",
    });
    const olga = await tab("olga", 1);
    await call(olga, "conversation:join", { conversationId: id });
    const erin = await tab("erin", 0);
    await call(erin, "conversation:join", { conversationId: id });
    const answered = observeAnswer(erin, id);
    const said = await call(erin, "message:send", { conversationId: id, content: "a secret of Erin's" });
    await answered;

    // A summary may retell what Erin wrote.
    await node(0).confab.db.models.Conversation.update({ summary: "Erin told a secret." }, { where: { id } });
    const left = nextEvent(olga, "member:left", (e) => e.userId === "erin");
    const ownGone = nextEvent(olga, "conversation:deleted", (e) => e.conversationId === own.body.id);
    const admin = rest(node(0).url, node(0).token("root", { role: "admin" }));
    expect((await admin.delete("/api/v1/admin/users/erin")).status).to.equal(204);
    await left;
    await ownGone;
    const page = await api("olga").get<{ messages: MessageResource[] }>(
      `/api/v1/conversations/${id}/messages`,
    );
    const erased = page.body.messages.find((m) => m.id === said.message.id)!;
    expect(erased).to.deep.include({ content: "", author: null });
    expect(erased.metadata).to.deep.equal({ erased: true });
    expect(JSON.stringify(page.body)).to.not.include("secret");
    const detail = await api("olga").get<ConversationResource>(`/api/v1/conversations/${id}`);
    expect(detail.body.summary).to.equal(null);
    expect((await admin.get(`/api/v1/admin/conversations/${own.body.id}`)).status).to.equal(404);
    const members = await api("olga").get<MemberList>(`/api/v1/conversations/${id}/members`);
    expect(members.body.members.map((m) => m.userId)).to.deep.equal(["olga"]);
  });

  it("shows admins the members, and the feed who joins and leaves", async () => {
    const id = await shared("olga");
    const adminToken = node(1).token("root", { role: "admin" });
    const feed = await connectAdmin(node(1).url, adminToken);
    const events: { type: string; memberId?: unknown; conversationId: string }[] = [];
    feed.on("activity", (e) => events.push(e));
    try {
      await api("max").get("/api/v1/me");
      await api("olga").post(`/api/v1/conversations/${id}/members`, { userId: "max", role: "viewer" });
      await api("olga").delete(`/api/v1/conversations/${id}/members/max`);
      await api("olga").post(`/api/v1/conversations/${id}/members`, { userId: "max", role: "participant" });
      const detail = await rest(node(1).url, adminToken).get<{ role: unknown; members: MemberResource[] }>(
        `/api/v1/admin/conversations/${id}`,
      );
      expect(detail.body.role).to.equal(null);
      expect(detail.body.members.map((m) => [m.userId, m.role])).to.deep.equal([
        ["olga", "owner"],
        ["max", "participant"],
      ]);
      await waitUntil("three activities on the feed", () => events.length >= 3);
      expect(events.filter((e) => e.conversationId === id).map((e) => [e.type, e.memberId])).to.deep.equal([
        ["member.joined", "max"],
        ["member.left", "max"],
        ["member.joined", "max"],
      ]);
    } finally {
      feed.close();
    }
  });
});
