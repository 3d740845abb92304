import type { Principal } from "../auth/claims.js";
import type { MemberConversation, MemberRecord } from "../db/records.js";
import type { ConversationRepository } from "../db/repositories/index.js";
import { AppError, notFound } from "../errors.js";
import { MEMBER_ROLES, type MemberRole } from "../protocol/index.js";

/**
 * What a caller wants to do with a conversation (PROTOCOL.md: members), and the least role it takes:
 * - `read` (viewer): see it and its messages, join it, watch answers live, export it;
 * - `write` (participant): take part: send, edit its own messages, regenerate, stop, check out, type;
 * - `manage` (owner): rename, tag, set metadata, archive, delete, summarize, manage members and
 *   invites, change who answers.
 */
export type ConversationAction = "read" | "write" | "manage";

const LEAST_ROLE: Record<ConversationAction, MemberRole> = {
  read: "viewer",
  write: "participant",
  manage: "owner",
};

/** Whether `role` may do everything `least` may (viewer < participant < owner). */
export function atLeast(role: MemberRole, least: MemberRole): boolean {
  return MEMBER_ROLES.indexOf(role) >= MEMBER_ROLES.indexOf(least);
}

export interface ConversationPolicyDeps {
  conversations: Pick<ConversationRepository, "findVisibleFor">;
}

/**
 * Who may do what with a conversation: every route and socket event asks here and nowhere else, and
 * the lists ask it which conversations are the caller's. The answer is membership and role: whoever
 * is no member gets `not_found` (a stranger learns nothing of the conversation, not even that it
 * exists); a member whose role does not allow the action gets `forbidden`.
 */
export class ConversationPolicy {
  constructor(private readonly deps: ConversationPolicyDeps) {}

  /**
   * The conversation, with the caller's role, if it exists, is not deleted, and the caller may do
   * `action` with it; else `not_found` or `forbidden`.
   */
  async require(
    principal: Principal,
    conversationId: string,
    action: ConversationAction,
  ): Promise<MemberConversation & { role: MemberRole }> {
    const conversation = await this.deps.conversations.findVisibleFor(conversationId, principal.userId);
    if (!conversation) throw notFound("conversation");
    const role = this.check(conversation.role, action);
    return { ...conversation, role };
  }

  /**
   * The same rule on a role already read (inside a transaction), whatever the conversation's status:
   * what a deleted or archived conversation still allows is the caller's next question, not this one.
   * Returns the role, known to be a member's.
   */
  check(role: MemberRecord["role"] | null, action: ConversationAction): MemberRole {
    if (role === null) throw notFound("conversation");
    if (!atLeast(role, LEAST_ROLE[action])) {
      throw new AppError("forbidden", `a ${role} of this conversation may not do that`);
    }
    return role;
  }

  /** A member may edit only the messages it wrote; the owner also those nobody wrote (a template's). */
  checkAuthor(principal: Principal, role: MemberRole, authorId: string | null): void {
    if (authorId === principal.userId || (authorId === null && role === "owner")) return;
    throw new AppError("forbidden", "only its author may edit a message");
  }

  /** Which conversations the caller's lists cover: those it is a member of. */
  listScope(principal: Principal): { memberId: string } {
    return { memberId: principal.userId };
  }
}
