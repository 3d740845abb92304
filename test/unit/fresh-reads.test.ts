import { expect } from "chai";
import { FreshReads } from "../../src/realtime/fresh-reads.js";

/** A read that answers how many reads began before it, once `release` is called. */
function counter() {
  let began = 0;
  const pending: (() => void)[] = [];
  return {
    read: () => {
      const n = ++began;
      return new Promise<number>((resolve) => pending.push(() => resolve(n)));
    },
    release: () => {
      for (const done of pending.splice(0)) done();
    },
    began: () => began,
  };
}

const tick = () => new Promise((r) => setImmediate(r));

describe("shared reads", () => {
  it("answer fresh questions with a read begun after them, one read per round trip", async () => {
    const reads = new FreshReads<number>();
    const c = counter();
    const first = reads.fresh("k", c.read);
    const same = reads.fresh("k", c.read);
    await tick();
    // Asked while the first read is on its way: they share the next one.
    const later = [reads.fresh("k", c.read), reads.fresh("k", c.read)];
    expect(c.began()).to.equal(1);
    c.release();
    expect(await first).to.equal(1);
    await tick();
    c.release();
    expect(await Promise.all(later)).to.deep.equal([2, 2]);
    expect(await same).to.equal(2);
    expect(c.began()).to.equal(2);
  });

  it("answer recent questions with the read on its way or the last answer, and read other keys apart", async () => {
    const reads = new FreshReads<number>();
    const c = counter();
    const first = reads.fresh("k", c.read);
    await tick();
    const recent = reads.recent("k", c.read);
    const other = reads.recent("other", c.read);
    await tick();
    c.release();
    expect(await first).to.equal(1);
    expect(await recent).to.equal(1);
    expect(await other).to.equal(2);
    expect(await reads.recent("k", c.read)).to.equal(1);
    expect(c.began()).to.equal(2);
  });

  it("share an error, and never keep it", async () => {
    const reads = new FreshReads<number>();
    let calls = 0;
    const failing = () => {
      calls++;
      return Promise.reject(new Error("no"));
    };
    const results = await Promise.allSettled([reads.fresh("k", failing), reads.recent("k", failing)]);
    expect(results.map((r) => r.status)).to.deep.equal(["rejected", "rejected"]);
    await Promise.allSettled([reads.recent("k", failing)]);
    expect(calls).to.equal(2);
  });
});
