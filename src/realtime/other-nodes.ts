import { AppError } from "../errors.js";
import type { Logger } from "../observability/logger.js";
import { userRoom, type GenerationSnapshot, type MemberRole } from "../protocol/index.js";
import type { RedisConnection } from "../redis/redis-connection.js";
import { withTimeLimit } from "../time-limit.js";
import type { AdminNamespace } from "./admin-namespace.js";
import type { ChatNamespace } from "./chat-namespace.js";
import { ADAPTER_REQUEST_TIMEOUT_MS } from "./socket-server.js";

/** How long a request waits for the other nodes: a little past the adapter's own limit. */
const OTHER_NODES_TIMEOUT_MS = ADAPTER_REQUEST_TIMEOUT_MS + 500;

export interface OtherNodesDeps {
  chat: ChatNamespace;
  admin: AdminNamespace;
  /** Absent on a lone node: there is no other to ask. */
  redis: RedisConnection | undefined;
  logger: Logger;
}

/**
 * What one node asks of all the others, through the Socket.IO adapter: stop an answer, count
 * sockets, forget or disconnect a user. With no Redis there is one node, and nothing to ask. While
 * Redis is away the adapter would queue requests until it is back; no client waits that long.
 */
export class OtherNodes {
  constructor(private readonly deps: OtherNodesDeps) {}

  private get chat(): ChatNamespace {
    return this.deps.chat;
  }

  private get redis(): RedisConnection | undefined {
    return this.deps.redis;
  }

  /**
   * Asks every other node to stop the answer it writes in the conversation; true if one did. With
   * `settle`, each node answers once that answer is stored. `unavailable` when Redis is away or a node
   * does not answer in time: whether the answer stopped is then unknown, and the client may ask again.
   */
  async stop(conversationId: string, settle: boolean): Promise<boolean> {
    if (!this.redis) return false;
    const unreachable = (cause?: unknown) =>
      new AppError("unavailable", "the server writing this answer cannot be reached: try again in a moment", {
        cause,
      });
    if (!this.redis.ready()) throw unreachable();
    try {
      const answers = await withTimeLimit(
        this.chat.serverSideEmitWithAck("answer:stop", { conversationId, settle }),
        OTHER_NODES_TIMEOUT_MS,
      );
      return answers.some(Boolean);
    } catch (err) {
      // A node that did not answer in time does not undo the one that stopped the answer.
      const partial = (err as { responses?: unknown[] }).responses;
      if (partial?.some(Boolean)) return true;
      throw unreachable(err);
    }
  }

  /**
   * The answer another node writes in the conversation, as its tabs have been sent it: every node is
   * asked, and the one writing it answers. Null when every node answered and none writes it (its
   * writer is gone). `unavailable` when Redis is away or a node does not answer in time.
   */
  async snapshot(conversationId: string): Promise<GenerationSnapshot | null> {
    if (!this.redis) return null;
    const unreachable = (cause?: unknown) =>
      new AppError(
        "unavailable",
        "the answer being written cannot be read right now: join again in a moment",
        {
          cause,
        },
      );
    if (!this.redis.ready()) throw unreachable();
    try {
      const answers = await withTimeLimit(
        this.chat.serverSideEmitWithAck("answer:snapshot", conversationId),
        OTHER_NODES_TIMEOUT_MS,
      );
      return answers.find((a) => a !== null) ?? null;
    } catch (err) {
      // A node that did not answer in time: the snapshot may still be among those that did.
      const partial = (err as { responses?: (GenerationSnapshot | null)[] }).responses;
      const found = partial?.find((a) => a !== null && a !== undefined);
      if (found) return found;
      throw unreachable(err);
    }
  }

  /** Sockets on `/chat` on every node; partial (this node's only) when some node cannot be asked. */
  async countSockets(): Promise<{ count: number; partial: boolean }> {
    const here = this.chat.sockets.size;
    if (!this.redis) return { count: here, partial: false };
    if (!this.redis.ready()) return { count: here, partial: true };
    try {
      const sockets = await withTimeLimit(this.chat.fetchSockets(), OTHER_NODES_TIMEOUT_MS);
      return { count: sockets.length, partial: false };
    } catch (err) {
      // A node that does not answer in time is not counted, rather than failing the whole stats.
      this.deps.logger.warn({ err }, "could not count the sockets of every node");
      return { count: here, partial: true };
    }
  }

  /** Closes every socket of the user, on every node, in both namespaces. */
  disconnectUser(userId: string): void {
    this.chat.in(userRoom(userId)).disconnectSockets(true);
    this.deps.admin.in(userRoom(userId)).disconnectSockets(true);
  }

  /** Tells the other nodes that a member's role changed (null: removed), for the tabs they hold. */
  memberRole(change: { conversationId: string; userId: string; role: MemberRole | null }): void {
    if (this.redis) this.chat.serverSideEmit("member:role", change);
  }

  /** Tells the other nodes to forget what they remember of an erased user. */
  forgetUser(userId: string): void {
    if (this.redis) this.chat.serverSideEmit("user:erased", userId);
  }
}
