import type { FileService } from "../files/file-service.js";
import type { Repositories } from "../db/repositories/index.js";
import { pageOf, type ConversationService } from "../conversations/conversation-service.js";
import { toUserResource } from "../conversations/resources.js";
import { notFound } from "../errors.js";
import type { Notifier } from "../conversations/notifier.js";
import type { MemberService } from "../members/member-service.js";
import type {
  AdminConversationDetail,
  AdminConversationsQuery,
  AdminStats,
  AdminUserList,
  ConversationList,
} from "../protocol/index.js";

export interface AdminServiceDeps {
  repositories: Pick<Repositories, "users" | "conversations" | "messages" | "maintenance" | "members">;
  conversations: ConversationService;
  members: MemberService;
  notifier: Pick<Notifier, "memberRemoved">;
  /** Sockets connected to /chat on every node; partial when some node could not be asked. */
  connectedSockets: () => Promise<{ count: number; partial: boolean }>;
  /** Stops the answers being written in these conversations, on whichever node writes them. */
  stopAnswers: (conversationIds: string[]) => Promise<void>;
  /** Closes every socket of the user, on every node. */
  disconnectUser: (userId: string) => void;
  /** Forgets what this node remembers of the user. */
  forgetUser: (userId: string) => void;
  /** Files go with what they belong to; none: no files. */
  files?: Pick<FileService, "deleteForErasure" | "deleteOfDeletedBefore"> | undefined;
}

/** What operators see and do: totals, users, any conversation, erasure and retention. */
export class AdminService {
  constructor(private readonly deps: AdminServiceDeps) {}

  private get repos() {
    return this.deps.repositories;
  }

  async stats(): Promise<AdminStats> {
    const { users, conversations, messages } = this.repos;
    const [userCount, byStatus, messageCount, byModel, writing, sockets] = await Promise.all([
      users.count(),
      conversations.countByStatus(),
      messages.count(),
      messages.tokensByModel(),
      messages.countStreaming(),
      this.deps.connectedSockets(),
    ]);
    return {
      users: userCount,
      conversations: { ...byStatus, total: byStatus.active + byStatus.archived + byStatus.deleted },
      messages: messageCount,
      tokens: { total: byModel.reduce((n, m) => n + m.totalTokens, 0), byModel },
      activeGenerations: writing,
      connectedSockets: sockets.count,
      partial: sockets.partial,
    };
  }

  async users(query: { limit: number; offset: number }): Promise<AdminUserList> {
    const [rows, total] = await Promise.all([
      this.repos.users.listWithTotals(query),
      this.repos.users.count(),
    ]);
    const users = rows.map((u) => ({
      ...toUserResource(u),
      conversations: u.conversations,
      totalTokensUsed: u.totalTokensUsed,
    }));
    return { users, ...pageOf(query, total, users.length) };
  }

  /**
   * Erases the user: the conversations it owns go (with their messages), its memberships go, and
   * what it wrote in others' conversations is emptied and loses its author; its sockets close.
   */
  async eraseUser(userId: string): Promise<void> {
    const user = await this.repos.users.findById(userId);
    if (!user) throw notFound("user");
    // Their answers being written are stopped and stored first, so that nothing writes while they
    // are deleted: found in one query, however many conversations the user has.
    await this.deps.stopAnswers(await this.repos.conversations.writingOf(userId));
    // Whom to tell afterwards: the rooms it was a member of, and the other members of what it owned.
    const joined = await this.repos.members.joinedBy(userId);
    const othersInOwned = await this.repos.members.othersInOwnedBy(userId);
    // Its files' bytes first: once the rows are gone, nothing says which bytes were its.
    await this.deps.files?.deleteForErasure(userId);
    // One transaction (UserRepository.erase); should PostgreSQL pick it as a deadlock victim (against
    // a send or a recovery sweep, say), it is run again.
    for (let attempt = 1; ; attempt++) {
      try {
        await this.repos.users.erase(userId);
        break;
      } catch (err) {
        if (attempt >= 3 || !isDeadlock(err)) throw err;
      }
    }
    this.deps.forgetUser(userId);
    this.deps.disconnectUser(userId);
    for (const conversationId of joined) this.deps.notifier.memberRemoved(conversationId, userId);
    // Its conversations are gone for their other members too, on every node.
    for (const m of othersInOwned) this.deps.notifier.memberRemoved(m.conversationId, m.userId);
  }

  conversations(query: AdminConversationsQuery): Promise<ConversationList> {
    return this.deps.conversations.listWhere(
      { userId: query.userId, status: query.status ?? "any", agentId: query.agentId },
      query,
    );
  }

  /** Any conversation, deleted ones included, with its latest 50 messages and its members. */
  async conversation(id: string): Promise<AdminConversationDetail> {
    const conversation = await this.repos.conversations.findById(id);
    if (!conversation) throw notFound("conversation");
    const [detail, members] = await Promise.all([
      this.deps.conversations.withLatestMessages({ ...conversation, role: null }),
      this.deps.members.resources(id),
    ]);
    return { ...detail, members };
  }

  /** Hard-deletes the conversations soft-deleted more than `olderThanDays` ago, their files first. */
  async purge(olderThanDays: number): Promise<number> {
    const before = new Date(Date.now() - olderThanDays * 86_400_000);
    await this.deps.files?.deleteOfDeletedBefore(before);
    return this.repos.conversations.purgeDeletedBefore(before);
  }

  /**
   * The daily purge: whichever node first finds the job due claims it with one conditional update,
   * so the purge runs once per period however many nodes there are.
   */
  async purgeIfDue(olderThanDays: number, periodMs: number): Promise<number | null> {
    if (!(await this.repos.maintenance.claim("purge", periodMs))) return null;
    return this.purge(olderThanDays);
  }
}

/** PostgreSQL chose this transaction as the victim of a deadlock (SQLSTATE 40P01). */
function isDeadlock(err: unknown): boolean {
  const driver = (err as { parent?: { code?: unknown } } | null)?.parent;
  return driver?.code === "40P01";
}
