import { randomUUID } from "node:crypto";
import type { Logger } from "../observability/logger.js";
import type { GenerationSnapshot, MemberRole } from "../protocol/index.js";
import type { RedisChannels } from "../redis/redis-channels.js";

/** What one node asks of the others, and what each of them answers. */
export interface NodeQuestions {
  /** Stop the answer you write in this conversation, if you do; with `settle`, answer once it is stored. */
  "answer:stop": { ask: { conversationId: string; settle: boolean }; answer: boolean };
  /** The answer you write in this conversation, as your tabs have been sent it; null if you write none. */
  "answer:snapshot": { ask: { conversationId: string }; answer: GenerationSnapshot | null };
  /** How many sockets `/chat` has on you. */
  "sockets:count": { ask: Record<string, never>; answer: number };
}

/** What one node tells the others, expecting nothing back. */
export interface NodeNotices {
  /** A user was erased: every node forgets what it remembers of them. */
  "user:erased": { userId: string };
  /** A member's role changed, or it was removed (null): each node updates the tabs it holds. */
  "member:role": { conversationId: string; userId: string; role: MemberRole | null };
}

type Question = keyof NodeQuestions;
type Notice = keyof NodeNotices;

/** What came back from the other nodes: `complete` when every node that got the question answered. */
export interface NodeAnswers<A> {
  answers: A[];
  complete: boolean;
}

/** How long a question waits for the other nodes: a join or a stop answers within 2.5 s. */
export const NODE_QUESTION_TIMEOUT_MS = 2000;

/** What travels on the nodes' channel and on each node's own. */
type Envelope =
  | { kind: "ask"; id: string; from: string; name: Question; body: unknown }
  | { kind: "tell"; from: string; name: Notice; body: unknown }
  | { kind: "answer"; id: string; answer?: unknown; failed?: true };

interface Pending {
  answers: unknown[];
  failed: number;
  /** How many nodes got the question, once Redis has said. */
  expected: number | undefined;
  enough: (answer: unknown) => boolean;
  finish: (complete: boolean) => void;
}

function parse(payload: Buffer): Envelope | null {
  try {
    const value = JSON.parse(payload.toString()) as unknown;
    return typeof value === "object" && value !== null && "kind" in value ? (value as Envelope) : null;
  } catch {
    return null;
  }
}

/**
 * Questions and notices between the nodes of one deployment, on Confab's own Redis channels rather
 * than the Socket.IO adapter's: every node listens on one channel for questions and on one of its own
 * for answers. A question waits for as many answers as Redis delivered it to (the count `PUBLISH`
 * returns), for one that settles it (`enough`), or for `NODE_QUESTION_TIMEOUT_MS`, whichever is first:
 * a frozen node costs a question its bound, never more.
 */
export class NodeBus {
  readonly nodeId = randomUUID();
  private readonly pending = new Map<string, Pending>();
  private readonly answerers = new Map<Question, (body: unknown) => unknown>();
  private readonly listeners = new Map<Notice, Set<(body: unknown) => void>>();
  private readonly questionsChannel: string;
  private readonly ownChannel: string;

  constructor(
    private readonly deps: {
      channels: RedisChannels;
      prefix: string;
      logger: Logger;
      timeoutMs?: number;
    },
  ) {
    this.questionsChannel = `${deps.prefix}#nodes#`;
    this.ownChannel = `${deps.prefix}#nodes#${this.nodeId}#`;
  }

  /** Listens on the nodes' channel and on this node's own; resolves once Redis has confirmed both. */
  async start(): Promise<void> {
    await Promise.all([
      this.deps.channels.subscribe(this.questionsChannel, (payload) => this.received(payload)),
      this.deps.channels.subscribe(this.ownChannel, (payload) => this.received(payload)),
    ]);
  }

  /** Ends the questions still waiting; the subscriptions end with the connection (Redis may be away). */
  stop(): void {
    for (const pending of this.pending.values()) pending.finish(false);
  }

  /** How this node answers a question from another. */
  answer<N extends Question>(
    name: N,
    answerer: (
      body: NodeQuestions[N]["ask"],
    ) => NodeQuestions[N]["answer"] | Promise<NodeQuestions[N]["answer"]>,
  ): void {
    this.answerers.set(name, answerer as (body: unknown) => unknown);
  }

  /** What this node does with a notice from another. */
  on<N extends Notice>(name: N, listener: (body: NodeNotices[N]) => void): void {
    const listeners = this.listeners.get(name) ?? new Set();
    listeners.add(listener as (body: unknown) => void);
    this.listeners.set(name, listeners);
  }

  /** Tells every other node; nothing comes back. */
  async tell<N extends Notice>(name: N, body: NodeNotices[N]): Promise<void> {
    await this.deps.channels.publish(
      this.questionsChannel,
      JSON.stringify({ kind: "tell", from: this.nodeId, name, body } satisfies Envelope),
    );
  }

  /**
   * Asks every other node. Resolves with the answers once each node that got the question answered,
   * once one answer is `enough`, or at the time limit with those that came (`complete` false). With
   * `afterSubscriptions`, the question is published once this node's subscriptions asked for so far
   * are in effect (within the same limit).
   */
  async ask<N extends Question>(
    name: N,
    body: NodeQuestions[N]["ask"],
    options: { enough?: (answer: NodeQuestions[N]["answer"]) => boolean; afterSubscriptions?: boolean } = {},
  ): Promise<NodeAnswers<NodeQuestions[N]["answer"]>> {
    const enough = options.enough ?? (() => false);
    const id = randomUUID();
    const result = new Promise<NodeAnswers<NodeQuestions[N]["answer"]>>((resolve) => {
      const timer = setTimeout(() => pending.finish(false), this.deps.timeoutMs ?? NODE_QUESTION_TIMEOUT_MS);
      const pending: Pending = {
        answers: [],
        failed: 0,
        expected: undefined,
        enough: enough as (answer: unknown) => boolean,
        finish: (complete) => {
          clearTimeout(timer);
          this.pending.delete(id);
          resolve({
            answers: pending.answers as NodeQuestions[N]["answer"][],
            complete: complete && pending.failed === 0,
          });
        },
      };
      this.pending.set(id, pending);
    });
    try {
      if (options.afterSubscriptions) await this.deps.channels.settled();
      if (!this.pending.has(id)) return await result;
      const delivered = await this.deps.channels.publish(
        this.questionsChannel,
        JSON.stringify({ kind: "ask", id, from: this.nodeId, name, body } satisfies Envelope),
      );
      const pending = this.pending.get(id);
      if (pending) {
        // This node got its own question too.
        pending.expected = delivered - 1;
        this.settleIfDone(pending);
      }
    } catch (err) {
      this.pending.get(id)?.finish(false);
      this.deps.logger.warn({ err, question: name }, "could not ask the other nodes");
    }
    return result;
  }

  private received(payload: Buffer): void {
    const envelope = parse(payload);
    if (!envelope) return;
    if (envelope.kind === "answer") {
      const pending = this.pending.get(envelope.id);
      if (!pending) return;
      if (envelope.failed) pending.failed++;
      else pending.answers.push(envelope.answer ?? null);
      if (!envelope.failed && pending.enough(envelope.answer ?? null)) pending.finish(true);
      else this.settleIfDone(pending);
      return;
    }
    if (envelope.from === this.nodeId) return;
    if (envelope.kind === "tell") {
      for (const listener of this.listeners.get(envelope.name) ?? []) listener(envelope.body);
      return;
    }
    void this.reply(envelope);
  }

  private settleIfDone(pending: Pending): void {
    if (pending.expected !== undefined && pending.answers.length + pending.failed >= pending.expected)
      pending.finish(true);
  }

  private async reply(question: Extract<Envelope, { kind: "ask" }>): Promise<void> {
    const answerer = this.answerers.get(question.name);
    let answer: Extract<Envelope, { kind: "answer" }>;
    try {
      if (!answerer) throw new Error(`no answer to ${question.name}`);
      answer = { kind: "answer", id: question.id, answer: await answerer(question.body) };
    } catch (err) {
      this.deps.logger.warn({ err, question: question.name }, "could not answer another node");
      answer = { kind: "answer", id: question.id, failed: true };
    }
    await this.deps.channels
      .publish(`${this.deps.prefix}#nodes#${question.from}#`, JSON.stringify(answer))
      .catch((err: unknown) => this.deps.logger.warn({ err }, "could not answer another node"));
  }
}
