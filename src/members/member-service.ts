import { createHash, randomBytes } from "node:crypto";
import type { Principal } from "../auth/claims.js";
import {
  atLeast,
  type ConversationAction,
  type ConversationPolicy,
} from "../conversations/conversation-policy.js";
import type { Notifier } from "../conversations/notifier.js";
import { toConversationResource, toInviteResource, toMemberResource } from "../conversations/resources.js";
import type { ConversationRecord, NamedMember, Tx } from "../db/records.js";
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

  /**
   * Runs a change of members in one transaction holding the conversation's row lock (as a send does),
   * after asking the access policy again under that lock: two changes never interleave (one owner at
   * all times), and a send either ends before a removal or sees the member gone.
   */
  private changeMembers<T>(
    principal: Principal,
    conversationId: string,
    action: ConversationAction,
    work: (conversation: ConversationRecord, tx: Tx) => Promise<T>,
  ): Promise<T> {
    return this.repos.transaction(async (tx) => {
      const conversation = await this.repos.conversations.lock(conversationId, tx);
      if (!conversation || conversation.status === "deleted") throw notFound("conversation");
      const caller = await this.repos.members.find(conversationId, principal.userId, tx);
      this.deps.policy.check(caller?.role ?? null, action);
      return work(conversation, tx);
    });
  }

  /** Adds a member (a participant or viewer), or changes its role; a user never seen is created. */
  async add(
    principal: Principal,
    conversationId: string,
    input: AddMemberInput,
  ): Promise<{ member: MemberResource; created: boolean }> {
    await this.deps.policy.require(principal, conversationId, "manage");
    await this.repos.users.ensure(input.userId);
    const { conversation, created } = await this.changeMembers(
      principal,
      conversationId,
      "manage",
      async (conversation, tx) => {
        if (input.userId === conversation.userId) {
          throw invalid("the owner's role changes only when it hands ownership on");
        }
        const { created } = await this.repos.members.put(conversationId, input.userId, input.role, tx);
        return { conversation, created };
      },
    );
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
    const { conversation, previousOwner } = await this.changeMembers(
      principal,
      conversationId,
      "manage",
      async (conversation, tx) => {
        if (!(await this.repos.members.find(conversationId, userId, tx))) throw notFound("member");
        if (userId === conversation.userId) {
          if (role !== "owner") throw invalid("the owner hands ownership on before changing its role");
          return { conversation, previousOwner: null };
        }
        if (role !== "owner") {
          await this.repos.members.put(conversationId, userId, role, tx);
          return { conversation, previousOwner: null };
        }
        await this.repos.members.put(conversationId, userId, "owner", tx);
        await this.repos.members.put(conversationId, conversation.userId, "participant", tx);
        const moved = await this.repos.conversations.update(conversationId, { userId }, tx);
        if (!moved) throw notFound("conversation");
        return { conversation: moved, previousOwner: conversation.userId };
      },
    );
    if (previousOwner === null) return this.told(conversation, userId, "updated");
    await this.told(conversation, previousOwner, "updated");
    const member = await this.told(conversation, userId, "updated");
    // The conversation names its owner: every member's list entry changes.
    this.deps.notifier.conversationUpdated(conversation);
    return member;
  }

  /** Removes a member: the owner removes anyone but itself; a member may leave. */
  async remove(principal: Principal, conversationId: string, userId: string): Promise<void> {
    const self = userId === principal.userId;
    const conversation = await this.changeMembers(
      principal,
      conversationId,
      self ? "read" : "manage",
      async (conversation, tx) => {
        if (userId === conversation.userId) {
          throw invalid("the owner cannot leave its conversation: it hands ownership on first");
        }
        if (!(await this.repos.members.remove(conversationId, userId, tx))) throw notFound("member");
        return conversation;
      },
    );
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
    // Under the conversation's lock, like every change of members: the caller's role is read afresh.
    const outcome = await this.repos.transaction(async (tx) => {
      const conversation = await this.repos.conversations.lock(invite.conversationId, tx);
      if (!conversation || conversation.status === "deleted") throw notFound("invite");
      const current = (await this.repos.members.find(conversation.id, principal.userId, tx))?.role ?? null;
      // A member whose role is at least the invite's stays as it is, and uses nothing up.
      if (current && atLeast(current, invite.role)) return { conversation, role: current, change: null };
      if (!(await this.repos.invites.use(invite.id, tx))) throw notFound("invite");
      await this.repos.members.put(conversation.id, principal.userId, invite.role, tx);
      return {
        conversation,
        role: invite.role,
        change: current ? ("updated" as const) : ("joined" as const),
      };
    });
    if (outcome.change) await this.told(outcome.conversation, principal.userId, outcome.change);
    return toConversationResource(outcome.conversation, outcome.role);
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
