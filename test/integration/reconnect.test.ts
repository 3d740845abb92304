// Covers: the src/realtime/ chat namespace handlers (join with afterSeq, snapshots), src/realtime/
// other-nodes.ts (snapshots from the writing node), src/chat/ (turns, regenerate, edit, checkout).
import { expect } from "chai";
import type { ConversationResource, MessageResource } from "../../src/conversations/resources.js";
import type { AssistantDeltaEvent, ConversationExport, JoinResult } from "../../src/protocol/index.js";
import { call, connect, observeAnswer, type ChatClient } from "../support/clients.js";
import { startCluster, type TestCluster } from "../support/cluster.js";
import { newConversation } from "../support/conversations.js";
import { FakeChatModel } from "../support/fake-chat-model.js";
import { rest } from "../support/rest.js";
import { letTimePass } from "../support/waiting.js";

/** A small deterministic random source, so a failure can be replayed with its seed. */
function random(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state * 1664525 + 1013904223) >>> 0;
    return state / 2 ** 32;
  };
}

/**
 * What a tab shows, kept by the rules of PROTOCOL.md: stored messages by seq; for the answer being
 * written, the join snapshot followed by the deltas with larger seq. It records every delta that
 * would have to be skipped over (a gap) or that contradicts the snapshot.
 */
class TabView {
  readonly messages = new Map<number, MessageResource>();
  /** The conversation as last known: the newest `updatedAt` wins, whichever way it arrived. */
  conversation: ConversationResource | undefined;
  live: { messageId: string; seq: number; text: string } | undefined;
  readonly problems: string[] = [];
  deltasApplied = 0;
  snapshotsUsed = 0;
  private buffer: AssistantDeltaEvent[] | undefined;

  highestSettledSeq(): number | undefined {
    let highest: number | undefined;
    let lowestOpen = Infinity;
    for (const m of this.messages.values()) {
      if (m.status === "streaming") lowestOpen = Math.min(lowestOpen, m.seq);
      else highest = Math.max(highest ?? 0, m.seq);
    }
    return highest === undefined ? undefined : Math.min(highest, lowestOpen - 1);
  }

  beginJoin(): void {
    this.buffer = [];
    this.live = undefined;
  }

  updated(conversation: ConversationResource): void {
    if (!this.conversation || conversation.updatedAt >= this.conversation.updatedAt) {
      this.conversation = conversation;
    }
  }

  /** The path the tab shows: walked up the parent links from the head. */
  path(): MessageResource[] {
    const byId = new Map([...this.messages.values()].map((m) => [m.id, m]));
    const path: MessageResource[] = [];
    for (let m = byId.get(this.conversation?.headId ?? ""); m; m = byId.get(m.parentId ?? "")) path.push(m);
    return path.reverse();
  }

  applyJoin(result: JoinResult): void {
    this.updated(result.conversation);
    for (const m of result.messages) this.store(m);
    const g = result.generation;
    if (g) {
      this.snapshotsUsed++;
      this.live = { messageId: g.messageId, seq: g.seq, text: g.content };
    }
    const buffered = this.buffer ?? [];
    this.buffer = undefined;
    for (const d of buffered) this.delta(d);
  }

  delta(d: AssistantDeltaEvent): void {
    if (this.buffer) {
      this.buffer.push(d);
      return;
    }
    if (!this.live || this.live.messageId !== d.messageId) {
      // An answer we know only from its start: it covers no delta yet.
      const stored = [...this.messages.values()].find((m) => m.id === d.messageId);
      if (stored && stored.status !== "streaming") return;
      this.live = { messageId: d.messageId, seq: 0, text: "" };
    }
    if (d.seq <= this.live.seq) return; // already shown
    if (d.seq !== this.live.seq + 1) this.problems.push(`gap: had ${this.live.seq}, got ${d.seq}`);
    this.live.seq = d.seq;
    this.live.text += d.delta;
    this.deltasApplied++;
  }

  finished(message: MessageResource): void {
    if (this.live?.messageId === message.id) {
      if (this.live.text !== message.content) {
        this.problems.push(`answer ${message.seq}: shown "${this.live.text}", stored "${message.content}"`);
      }
      this.live = undefined;
    }
    this.store(message);
  }

  store(m: MessageResource): void {
    const known = this.messages.get(m.seq);
    if (known && known.status !== "streaming" && m.status === "streaming") return;
    this.messages.set(m.seq, m);
  }
}

describe("a tab that drops and re-joins at random moments", () => {
  let cluster: TestCluster;

  before(async () => {
    cluster = await startCluster(2, {
      env: { STREAM_FLUSH_MS: "5" },
      chatModels: () => ({
        demo: new FakeChatModel({
          chunks: "one two three four five six seven eight nine ten eleven twelve"
            .split(" ")
            .map((w) => `${w} `),
          delayMs: 4,
        }),
      }),
    });
  });
  after(async () => {
    await cluster.close();
  });

  it("always ends with exactly the stored text and path, no delta missing or doubled, over many turns, regenerates and checkouts", async () => {
    const seed = 20261125;
    const rand = random(seed);
    const [a, b] = cluster.nodes as [(typeof cluster.nodes)[0], (typeof cluster.nodes)[0]];
    const conversationId = await newConversation(a, "rita");
    const writer = await connect(a.url, a.token("rita"));
    const view = new TabView();
    let socket: ChatClient | undefined;
    let writing = true;
    let reconnects = 0;
    // Snapshots a tab got on the node that does not write: asked of the writer through the adapter.
    let remoteSnapshots = 0;

    const attach = async () => {
      const target = rand() < 0.5 ? a : b;
      const s = await connect(target.url, target.token("rita"));
      s.on("assistant:delta", (d) => view.delta(d));
      s.on("assistant:done", (e) => view.finished(e.message));
      s.on("assistant:error", (e) => view.finished(e.message));
      s.on("message:created", (e) => view.store(e.message));
      s.on("conversation:updated", (e) => {
        if (e.conversation.id === conversationId) view.updated(e.conversation);
      });
      view.beginJoin();
      const afterSeq = view.highestSettledSeq();
      const joined = await call(s, "conversation:join", {
        conversationId,
        ...(afterSeq !== undefined ? { afterSeq } : {}),
      });
      if (target === b && joined.generation) remoteSnapshots++;
      view.applyJoin(joined);
      return s;
    };

    const observer = (async () => {
      while (writing) {
        socket = await attach();
        // The tab stays a random moment before it drops: those moments are what the test varies.
        await letTimePass(rand() * 40);
        if (!writing) break;
        socket.close();
        reconnects++;
      }
    })();

    // Turns, with regenerates, edits and checkouts of earlier branches in between. Chosen by a
    // source of their own: the drops above draw from theirs as timing allows, which must not change
    // the plan (nor how many regenerates, edits and checkouts it holds).
    const plan = random(seed + 1);
    const turns = 25;
    const asked: MessageResource[] = [];
    const answered: MessageResource[] = [];
    let regenerates = 0;
    let checkouts = 0;
    let edits = 0;
    for (let i = 0; i < turns; i++) {
      const done = observeAnswer(writer, conversationId);
      const choice = plan();
      if (i > 0 && choice < 0.25) {
        await call(writer, "message:regenerate", { conversationId, messageId: answered.at(-1)!.id });
        regenerates++;
      } else if (i > 0 && choice < 0.4) {
        const edited = await call(writer, "message:edit", {
          conversationId,
          messageId: asked[Math.floor(plan() * asked.length)]!.id,
          content: `edit ${i}`,
        });
        asked.push(edited.message);
        edits++;
      } else {
        const sent = await call(writer, "message:send", { conversationId, content: `turn ${i}` });
        asked.push(sent.message);
      }
      answered.push((await done).end.message);
      if (i > 0 && plan() < 0.3) {
        const target = answered[Math.floor(plan() * answered.length)]!;
        await call(writer, "conversation:checkout", { conversationId, messageId: target.id });
        checkouts++;
      }
    }
    writing = false;
    await observer;
    // Settle: one last join after everything has ended.
    socket?.close();
    socket = await attach();
    socket.close();
    writer.close();

    const api = rest(a.url, a.token("rita"));
    const tree = await api.get<ConversationExport>(`/api/v1/conversations/${conversationId}/export`);
    const path = await api.get<{ messages: MessageResource[] }>(
      `/api/v1/conversations/${conversationId}/messages?limit=100`,
    );
    expect(view.problems, `seed ${seed}`).to.deep.equal([]);
    expect(tree.body.messages).to.have.length(turns * 2 - regenerates);
    for (const m of tree.body.messages) {
      const shown = view.messages.get(m.seq);
      if (!shown) continue; // a branch older than the tab's first join, which showed the head's path
      expect(shown.content, `seq ${m.seq}`).to.equal(m.content);
      expect(shown.status, `seq ${m.seq}`).to.equal("complete");
      expect(shown.parentId, `seq ${m.seq}`).to.equal(m.parentId);
    }
    // What the tab shows is the path stored along the head.
    expect(view.conversation?.headId).to.equal(tree.body.conversation.headId);
    expect(view.path().map((m) => [m.id, m.content])).to.deep.equal(
      path.body.messages.map((m) => [m.id, m.content]),
    );
    expect(regenerates, "regenerates").to.be.greaterThan(2);
    expect(checkouts, "checkouts").to.be.greaterThan(2);
    expect(edits, "edits").to.be.greaterThan(1);
    // The test exercised what it claims to: reconnects, snapshots and live deltas.
    expect(reconnects).to.be.greaterThan(10);
    expect(view.snapshotsUsed).to.be.greaterThan(3);
    expect(remoteSnapshots).to.be.greaterThan(1);
    expect(view.deltasApplied).to.be.greaterThan(50);
  });
});
