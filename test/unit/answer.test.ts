import { expect } from "chai";
import { Answer } from "../../src/chat/answer.js";
import type { AssistantDeltaEvent } from "../../src/protocol/index.js";

function answer(flushMs: number, now: () => number) {
  const events: AssistantDeltaEvent[] = [];
  const g = new Answer({
    conversationId: "c",
    messageId: "m",
    flushMs,
    emit: (e) => events.push(e),
    now,
  });
  return { g, events };
}

describe("an answer's deltas", () => {
  it("keeps a surrogate pair cut between two chunks whole, and makes what PostgreSQL cannot store U+FFFD", () => {
    const { g, events } = answer(0, () => 0);
    g.append("smile \ud83d");
    g.append("\ude00 and NUL \u0000, lone \udc00");
    g.append("end \ud83d");
    g.end();
    const text = events.map((e) => e.delta).join("");
    expect(text).to.equal("smile 😀 and NUL \ufffd, lone \ufffdend \ufffd");
    expect(g.text).to.equal(text);
    expect(text.isWellFormed()).to.equal(true);
  });

  it("sends one event per chunk with STREAM_FLUSH_MS=0, numbered from 1", () => {
    const { g, events } = answer(0, () => 0);
    for (const chunk of ["a", "b", "c"]) g.append(chunk);
    expect(events.map((e) => [e.seq, e.delta])).to.deep.equal([
      [1, "a"],
      [2, "b"],
      [3, "c"],
    ]);
  });

  it("merges chunks into at most one event per flush interval, the first at once", async () => {
    let clock = 0;
    const { g, events } = answer(20, () => clock);
    g.append("Hel");
    g.append("lo");
    g.append(", ");
    expect(events.map((e) => e.delta)).to.deep.equal(["Hel"]);
    clock = 25;
    await new Promise((r) => setTimeout(r, 40));
    expect(events.map((e) => e.delta)).to.deep.equal(["Hel", "lo, "]);
    g.append("world");
    g.flush();
    expect(events.map((e) => [e.seq, e.delta])).to.deep.equal([
      [1, "Hel"],
      [2, "lo, "],
      [3, "world"],
    ]);
  });

  it("gives a snapshot that the later deltas complete exactly", () => {
    let clock = 0;
    const { g, events } = answer(50, () => clock);
    g.append("one ");
    g.append("two ");
    const snapshot = g.snapshot();
    clock = 100;
    g.flush();
    g.append("three");
    g.flush();
    const later = events.filter((e) => e.seq > snapshot.seq).map((e) => e.delta);
    expect(snapshot.content + later.join("")).to.equal("one two three");
    expect(g.text).to.equal("one two three");
  });

  it("keeps what was produced on stop, and accepts nothing after", () => {
    const clock = 0;
    const { g, events } = answer(1000, () => clock);
    g.append("kept ");
    g.append("also kept");
    g.stop();
    g.append(" dropped");
    expect(events.map((e) => e.delta).join("")).to.equal("kept also kept");
    expect(g.text).to.equal("kept also kept");
    expect(g.stopReason).to.equal("stop");
    expect(g.signal.aborted).to.equal(true);
  });
});
