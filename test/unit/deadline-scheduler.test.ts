import { expect } from "chai";
import { DeadlineScheduler } from "../../src/realtime/deadline-scheduler.js";

describe("the deadline scheduler", () => {
  it("runs callbacks in the order of their deadlines, skips cancelled ones, with one timer", async () => {
    const scheduler = new DeadlineScheduler();
    const ran: string[] = [];
    const now = Date.now();
    scheduler.schedule(now + 60, () => ran.push("c"));
    scheduler.schedule(now + 20, () => ran.push("a"));
    const cancel = scheduler.schedule(now + 40, () => ran.push("cancelled"));
    scheduler.schedule(now + 40, () => ran.push("b"));
    scheduler.schedule(now - 5, () => ran.push("overdue"));
    cancel();
    await new Promise((r) => setTimeout(r, 120));
    expect(ran).to.deep.equal(["overdue", "a", "b", "c"]);
    expect(scheduler.size).to.equal(0);
    scheduler.close();
  });

  it("keeps a thousand deadlines in order", async () => {
    const scheduler = new DeadlineScheduler();
    const now = Date.now();
    const ran: number[] = [];
    const offsets = Array.from({ length: 1000 }, (_, i) => (i * 7919) % 50);
    for (const offset of offsets) scheduler.schedule(now + offset, () => ran.push(offset));
    await new Promise((r) => setTimeout(r, 100));
    expect(ran).to.deep.equal([...offsets].sort((a, b) => a - b));
    scheduler.close();
  });
});
