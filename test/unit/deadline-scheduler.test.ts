import { expect } from "chai";
import { DeadlineScheduler } from "../../src/realtime/deadline-scheduler.js";

describe("the deadline scheduler", () => {
  it("hands items to its runner in the order of their deadlines, with one timer", async () => {
    const ran: string[] = [];
    // The runner decides whether a deadline still stands: here, whether its item was withdrawn.
    const withdrawn = new Set(["withdrawn"]);
    const scheduler = new DeadlineScheduler<string>((item) => {
      if (!withdrawn.has(item)) ran.push(item);
    });
    const now = Date.now();
    scheduler.schedule(now + 60, "c");
    scheduler.schedule(now + 20, "a");
    scheduler.schedule(now + 40, "withdrawn");
    scheduler.schedule(now + 40, "b");
    scheduler.schedule(now - 5, "overdue");
    await new Promise((r) => setTimeout(r, 120));
    expect(ran).to.deep.equal(["overdue", "a", "b", "c"]);
    expect(scheduler.size).to.equal(0);
    scheduler.close();
  });

  it("gives the runner each deadline's time", async () => {
    const ran: [string, number][] = [];
    const scheduler = new DeadlineScheduler<string>((item, at) => ran.push([item, at]));
    const at = Date.now() + 10;
    scheduler.schedule(at, "x");
    await new Promise((r) => setTimeout(r, 40));
    expect(ran).to.deep.equal([["x", at]]);
    scheduler.close();
  });

  it("keeps a thousand deadlines in order", async () => {
    const ran: number[] = [];
    const scheduler = new DeadlineScheduler<number>((offset) => ran.push(offset));
    const now = Date.now();
    const offsets = Array.from({ length: 1000 }, (_, i) => (i * 7919) % 50);
    for (const offset of offsets) scheduler.schedule(now + offset, offset);
    await new Promise((r) => setTimeout(r, 100));
    expect(ran).to.deep.equal([...offsets].sort((a, b) => a - b));
    scheduler.close();
  });
});
