import { createHash, randomBytes } from "node:crypto";
import type { Principal } from "../auth/claims.js";
import type { ConversationPolicy } from "../conversations/conversation-policy.js";
import { atLeast } from "../conversations/conversation-policy.js";
import type { Notifier } from "../conversations/notifier.js";
import { toConversationResource, toInviteResource, toMemberResource } from "../conversations/resources.js";
import type { ConversationRecord, NamedMember } from "../db/records.js";
import type { Repositories } from "../db/repositories/index.js";
import { AppError, notFound } from "../errors.js";
import type {
  AddMemberInput,
  ConversationResource,
  CreatedInvite,
  CreateInviteInput,
  InviteResource,
  MemberResource,
  MemberRole,
} from "../protocol/index.js";

export interface MemberServiceDeps {
  repositories: Pick<Repositories, "members" | "invites" | "users" | "conversations" | "transaction">;
  policy: ConversationPolicy;
  notifier: Notifier;
  /** The ids of the users with a tab joined to the conversation, on any node (presence). */
  online: (conversationId: string) => Promise<Set<string>>;
}

/** An invite token is stored only as this hash: a database leak reveals no usable link. */
export const hashInviteToken = (token: string) => createHash("sha256").update(token).digest("hex");

/**
 * People sharing a conversation (PROTOCOL.md: members): who is in it and in which role, invites, and
 * ownership handed on. Every change is told to the room (`member:*`) and to the member's own tabs
 * (`conversation:updated`, or `conversation:deleted` when removed).
 */
export class MemberService {
  constructor(private readonly deps: MemberServiceDeps) {}

  private get repos() {
    return this.deps.repositories;
  }

  /** The members, the owner first, each with whether it is online. */
  async list(principal: Principal, conversationId: string): Promise<MemberResource[]> {
    await this.deps.policy.require(principal, conversationId, "read");
    return this.resources(conversationId);
  }

  /** Every member with its online flag (the users' and admins' views). */
  async resources(conversationId: string): Promise<MemberResource[]> {
    const [members, online] = await Promise.all([
      this.repos.members.list(conversationId),
      this.deps.online(conversationId),
    ]);
    return members.map((m) => toMemberResource(m, online.has(m.userId)));
  }

  /** Adds a member (a participant or viewer), or changes its role; a user never seen is created. */
  async add(
    principal: Principal,
    conversationId: string,
    input: AddMemberInput,
  ): Promise<{ member: MemberResource; created: boolean }> {
    const conversation = await this.deps.policy.require(principal, conversationId, "manage");
    if (input.userId === conversation.userId) {
      throw invalid("the owner's role changes only when it hands ownership on");
    }
    await this.repos.users.ensure(input.userId);
    const { created } = await this.repos.members.put(conversationId, input.userId, input.role);
    const member = await this.told(conversation, input.userId, created ? "joined" : "updated");
    return { member, created };
  }

  /** Changes a member's role; `owner` hands ownership on (the owner becomes a participant). */
  async setRole(
    principal: Principal,
    conversationId: string,
    userId: string,
    role: MemberRole,
  ): Promise<MemberResource> {
    const conversation = await this.deps.policy.require(principal, conversationId, "manage");
    if (role !== "owner") {
      if (userId === conversation.userId)
        throw invalid("the owner hands ownership on before changing its role");
      if (!(await this.repos.members.find(conversationId, userId))) throw notFound("member");
      await this.repos.members.put(conversationId, userId, role);
      return this.told(conversation, userId, "updated");
    }
    if (userId === conversation.userId) return this.told(conversation, userId, "updated");
    const moved = await this.repos.transaction(async (tx) => {
      await this.repos.members.lockAll(conversationId, tx);
      if (!(await this.repos.members.find(conversationId, userId, tx))) throw notFound("member");
      await this.repos.members.put(conversationId, userId, "owner", tx);
      await this.repos.members.put(conversationId, conversation.userId, "participant", tx);
      return this.repos.conversations.update(conversationId, { userId }, tx);
    });
    if (!moved) throw notFound("conversation");
    await this.told(moved, conversation.userId, "updated");
    const member = await this.told(moved, userId, "updated");
    // The conversation names its owner: every member's list entry changes.
    this.deps.notifier.conversationUpdated(moved);
    return member;
  }

  /** Removes a member: the owner removes anyone but itself; a member may leave. */
  async remove(principal: Principal, conversationId: string, userId: string): Promise<void> {
    const self = userId === principal.userId;
    const conversation = await this.deps.policy.require(principal, conversationId, self ? "read" : "manage");
    if (userId === conversation.userId) {
      throw invalid("the owner cannot leave its conversation: it hands ownership on first");
    }
    if (!(await this.repos.members.remove(conversationId, userId))) throw notFound("member");
    this.deps.notifier.memberRemoved(conversationId, userId);
    this.activity("member.left", conversation, userId);
  }

  async createInvite(
    principal: Principal,
    conversationId: string,
    input: CreateInviteInput,
  ): Promise<CreatedInvite> {
    await this.deps.policy.require(principal, conversationId, "manage");
    // 256 random bits, as 43 characters of base64url; only their hash is kept.
    const token = randomBytes(32).toString("base64url");
    const invite = await this.repos.invites.create({
      conversationId,
      tokenHash: hashInviteToken(token),
      role: input.role,
      expiresAt: new Date(Date.now() + input.expiresInHours * 3_600_000),
      maxUses: input.maxUses ?? null,
      createdBy: principal.userId,
    });
    return { ...toInviteResource(invite), token };
  }

  async invites(principal: Principal, conversationId: string): Promise<InviteResource[]> {
    await this.deps.policy.require(principal, conversationId, "manage");
    return (await this.repos.invites.list(conversationId)).map(toInviteResource);
  }

  async revokeInvite(principal: Principal, conversationId: string, inviteId: string): Promise<void> {
    await this.deps.policy.require(principal, conversationId, "manage");
    if (!(await this.repos.invites.revoke(conversationId, inviteId))) throw notFound("invite");
  }

  /**
   * Makes the caller a member with the invite's role (a member keeps a higher role, and accepting
   * again uses nothing up). An unknown, expired, revoked or used-up token is `not_found`.
   */
  async accept(principal: Principal, token: string): Promise<ConversationResource> {
    const invite = await this.repos.invites.findUsable(hashInviteToken(token));
    if (!invite) throw notFound("invite");
    const conversation = await this.repos.conversations.findVisibleFor(
      invite.conversationId,
      principal.userId,
    );
    if (!conversation) throw notFound("invite");
    if (conversation.role && atLeast(conversation.role, invite.role)) {
      return toConversationResource(conversation, conversation.role);
    }
    const wasMember = conversation.role !== null;
    await this.repos.transaction(async (tx) => {
      if (!(await this.repos.invites.use(invite.id, tx))) throw notFound("invite");
      await this.repos.members.put(invite.conversationId, principal.userId, invite.role, tx);
    });
    await this.told(conversation, principal.userId, wasMember ? "updated" : "joined");
    return toConversationResource(conversation, invite.role);
  }

  /**
   * Tells the room of a member who joined or changed, and that member's tabs of its list entry (with
   * its role); the operators' feed of a member who joined.
   */
  private async told(
    conversation: ConversationRecord,
    userId: string,
    change: "joined" | "updated",
  ): Promise<MemberResource> {
    const stored: NamedMember | null = await this.repos.members.find(conversation.id, userId);
    if (!stored) throw notFound("member");
    const online = await this.deps.online(conversation.id);
    const member = toMemberResource(stored, online.has(userId));
    if (change === "joined") {
      this.deps.notifier.memberJoined(conversation.id, member);
      this.activity("member.joined", conversation, userId, { role: member.role });
    } else {
      this.deps.notifier.memberUpdated(conversation.id, member);
    }
    this.deps.notifier.conversationUpdatedFor(userId, toConversationResource(conversation, member.role));
    return member;
  }

  private activity(
    type: "member.joined" | "member.left",
    conversation: ConversationRecord,
    memberId: string,
    extra: Record<string, unknown> = {},
  ): void {
    this.deps.notifier.activity({
      type,
      at: new Date().toISOString(),
      userId: conversation.userId,
      conversationId: conversation.id,
      memberId,
      ...extra,
    });
  }
}

const invalid = (message: string) => new AppError("validation_failed", message);
