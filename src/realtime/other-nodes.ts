import { AppError } from "../errors.js";
import type { Logger } from "../observability/logger.js";
import { userRoom, type GenerationSnapshot, type MemberRole } from "../protocol/index.js";
import type { RedisConnection } from "../redis/redis-connection.js";
import type { AdminNamespace } from "./admin-namespace.js";
import type { ChatNamespace } from "./chat-namespace.js";
import type { NodeBus, NodeNotices } from "./node-bus.js";

export interface OtherNodesDeps {
  chat: ChatNamespace;
  admin: AdminNamespace;
  /** Absent on a lone node: there is no other to ask. */
  redis: RedisConnection | undefined;
  /** Confab's own channels between the nodes (absent with no Redis). */
  bus: NodeBus | undefined;
  logger: Logger;
}

/**
 * What one node asks of all the others, on the nodes' own channels (`NodeBus`): stop an answer, the
 * answer another node writes, count sockets, forget a user, a member's new role. With no Redis there
 * is one node, and nothing to ask. Every question is answered within its bound: while Redis is away
 * at once, and with a frozen node at `NODE_QUESTION_TIMEOUT_MS`.
 */
export class OtherNodes {
  constructor(private readonly deps: OtherNodesDeps) {}

  private get chat(): ChatNamespace {
    return this.deps.chat;
  }

  /** The bus, when Redis is there and every connection is up; null with no other node to ask. */
  private reachable(unreachable: () => AppError): NodeBus | null {
    if (!this.deps.redis || !this.deps.bus) return null;
    if (!this.deps.redis.ready()) throw unreachable();
    return this.deps.bus;
  }

  /**
   * Asks every other node to stop the answer it writes in the conversation; true if one did. With
   * `settle`, each node answers once that answer is stored. `unavailable` when Redis is away or a node
   * does not answer in time and none stopped it: whether the answer stopped is then unknown, and the
   * client may ask again.
   */
  async stop(conversationId: string, settle: boolean): Promise<boolean> {
    const unreachable = () =>
      new AppError("unavailable", "the server writing this answer cannot be reached: try again in a moment");
    const bus = this.reachable(unreachable);
    if (!bus) return false;
    // Only one node writes the answer: its yes settles it, whatever a frozen node would have said.
    const { answers, complete } = await bus.ask(
      "answer:stop",
      { conversationId, settle },
      {
        enough: (stopped) => stopped,
      },
    );
    if (answers.some(Boolean)) return true;
    if (!complete) throw unreachable();
    return false;
  }

  /**
   * The answer another node writes in the conversation, as its tabs have been sent it: every node is
   * asked, and the one writing it answers. Null when every node answered and none writes it (its
   * writer is gone). `unavailable` when Redis is away or a node does not answer in time.
   *
   * The tab has just joined the room; with sharded Pub/Sub this node may only now be subscribing to
   * it. The question waits until that subscription is in effect, so every delta published after the
   * writer's snapshot reaches this node.
   */
  async snapshot(conversationId: string): Promise<GenerationSnapshot | null> {
    const unreachable = () =>
      new AppError(
        "unavailable",
        "the answer being written cannot be read right now: join again in a moment",
      );
    const bus = this.reachable(unreachable);
    if (!bus) return null;
    const { answers, complete } = await bus.ask(
      "answer:snapshot",
      { conversationId },
      {
        enough: (a) => a !== null,
        afterSubscriptions: true,
      },
    );
    const found = answers.find((a) => a !== null);
    if (found) return found;
    if (!complete) throw unreachable();
    return null;
  }

  /**
   * Sockets on `/chat` on every node; partial when some node cannot be asked or does not answer in
   * time (it is not counted, rather than failing the whole stats).
   */
  async countSockets(): Promise<{ count: number; partial: boolean }> {
    const here = this.chat.sockets.size;
    if (!this.deps.redis || !this.deps.bus) return { count: here, partial: false };
    if (!this.deps.redis.ready()) return { count: here, partial: true };
    const { answers, complete } = await this.deps.bus.ask("sockets:count", {});
    if (!complete) this.deps.logger.warn("could not count the sockets of every node");
    return { count: answers.reduce((sum, n) => sum + n, here), partial: !complete };
  }

  /** Closes every socket of the user, on every node, in both namespaces. */
  disconnectUser(userId: string): void {
    this.chat.in(userRoom(userId)).disconnectSockets(true);
    this.deps.admin.in(userRoom(userId)).disconnectSockets(true);
  }

  /** Tells the other nodes that a member's role changed (null: removed), for the tabs they hold. */
  memberRole(change: { conversationId: string; userId: string; role: MemberRole | null }): void {
    this.tell("member:role", change);
  }

  /** Tells the other nodes to forget what they remember of an erased user. */
  forgetUser(userId: string): void {
    this.tell("user:erased", { userId });
  }

  private tell<N extends keyof NodeNotices>(name: N, body: NodeNotices[N]): void {
    this.deps.bus
      ?.tell(name, body)
      .catch((err: unknown) =>
        this.deps.logger.warn({ err, notice: name }, "could not tell the other nodes"),
      );
  }
}
