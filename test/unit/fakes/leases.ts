import type { AnswerLeases, AnswerRef } from "../../../src/chat/answer-leases.js";

/**
 * Leases as the nodes' shared store would keep them, in memory: `held` is what other nodes'
 * recovery reads. `unreadable` makes `live` fail, as an unreachable Redis does.
 */
export class MemoryLeases implements AnswerLeases {
  readonly held = new Set<string>();
  readonly renewals: AnswerRef[][] = [];
  readonly released: AnswerRef[] = [];
  unreadable = false;

  renew(answers: AnswerRef[]): Promise<void> {
    this.renewals.push(answers);
    for (const a of answers) this.held.add(a.messageId);
    return Promise.resolve();
  }

  live(answers: AnswerRef[]): Promise<Set<string>> {
    if (this.unreadable) return Promise.reject(new Error("the lease store cannot be reached"));
    return Promise.resolve(new Set(answers.map((a) => a.messageId).filter((id) => this.held.has(id))));
  }

  release(answer: AnswerRef): Promise<void> {
    this.released.push(answer);
    this.held.delete(answer.messageId);
    return Promise.resolve();
  }
}
