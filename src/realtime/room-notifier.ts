import type { ConversationRecord } from "../db/records.js";
import type { Notifier } from "../conversations/notifier.js";
import {
  toConversationResource,
  type ConversationResource,
  type MessageResource,
} from "../conversations/resources.js";
import type { Logger } from "../observability/logger.js";
import {
  conversationRoom,
  userRoom,
  type ActivityEvent,
  type AssistantDeltaEvent,
  type AssistantPartEvent,
  type AssistantSavingEvent,
  type AssistantStartEvent,
  type MemberResource,
  type MemberRole,
} from "../protocol/index.js";
import { ACTIVITY_ROOM, type AdminNamespace } from "./admin-namespace.js";
import type { ChatNamespace } from "./chat-namespace.js";
import { applyRoleChange } from "./member-tabs.js";
import type { OtherNodes } from "./other-nodes.js";

/** The members of a conversation and their roles: whom `conversation:updated` goes to. */
export type Audience = (conversationId: string) => Promise<{ userId: string; role: MemberRole }[]>;

export interface RoomNotifierDeps {
  chat: ChatNamespace;
  admin: AdminNamespace;
  audience: Audience;
  /** Told of every member change, for the tabs the other nodes hold. */
  otherNodes: Pick<OtherNodes, "memberRole">;
  logger: Logger;
}

/**
 * Delivers domain events to the rooms of `/chat` (every tab, on every node through the adapter) and
 * the operators' feed to `/admin`. What concerns a conversation's list entry goes to each member's
 * user room, with that member's role; what happens in it goes to the conversation's room.
 */
export class RoomNotifier implements Notifier {
  /**
   * Each conversation's members, as last read: a turn tells them twice (its start and its end), and
   * members change seldom. Forgotten on every member change, here or on another node (`member:role`),
   * and after a minute at the latest.
   */
  private readonly audiences = new Map<
    string,
    { members: Promise<{ userId: string; role: MemberRole }[]>; until: number }
  >();
  private static readonly AUDIENCE_MS = 60_000;
  private static readonly MAX_AUDIENCES = 10_000;

  constructor(private readonly deps: RoomNotifierDeps) {}

  private get chat(): ChatNamespace {
    return this.deps.chat;
  }

  /** The tabs of that member, here and on every node, hold its new role (null: removed). */
  private roleChanged(conversationId: string, userId: string, role: MemberRole | null): void {
    const change = { conversationId, userId, role };
    applyRoleChange(this.chat, change);
    this.forgetAudience(conversationId);
    this.deps.otherNodes.memberRole(change);
  }

  /** The members of the conversation changed (here or on another node): read them again next time. */
  forgetAudience(conversationId: string): void {
    this.audiences.delete(conversationId);
  }

  private membersOf(conversationId: string): Promise<{ userId: string; role: MemberRole }[]> {
    const cached = this.audiences.get(conversationId);
    if (cached && cached.until > Date.now()) return cached.members;
    if (this.audiences.size >= RoomNotifier.MAX_AUDIENCES) this.audiences.clear();
    const members = this.deps.audience(conversationId);
    const entry = { members, until: Date.now() + RoomNotifier.AUDIENCE_MS };
    this.audiences.set(conversationId, entry);
    // A failed read is not remembered.
    members.catch(() => {
      if (this.audiences.get(conversationId) === entry) this.audiences.delete(conversationId);
    });
    return members;
  }

  activity(event: ActivityEvent): void {
    this.deps.admin.to(ACTIVITY_ROOM).emit("activity", event);
  }

  conversationUpdated(conversation: ConversationRecord): void {
    this.toMembers(conversation, (userId, role) =>
      this.conversationUpdatedFor(userId, toConversationResource(conversation, role)),
    );
  }

  conversationDeleted(conversation: ConversationRecord): void {
    this.toMembers(conversation, (userId) =>
      this.chat.to(userRoom(userId)).emit("conversation:deleted", { conversationId: conversation.id }),
    );
  }

  conversationUpdatedFor(userId: string, conversation: ConversationResource): void {
    this.chat.to(userRoom(userId)).emit("conversation:updated", { conversation });
  }

  memberRemoved(conversationId: string, userId: string): void {
    // First out of the room (the adapter tells every node), so nothing more of it reaches them.
    this.chat.in(userRoom(userId)).socketsLeave(conversationRoom(conversationId));
    this.roleChanged(conversationId, userId, null);
    this.chat.to(userRoom(userId)).emit("conversation:deleted", { conversationId });
    this.chat.to(conversationRoom(conversationId)).emit("member:left", { conversationId, userId });
  }

  memberJoined(conversationId: string, member: MemberResource): void {
    // Its tabs on any node hold no role yet; every node reads the members afresh next time.
    this.roleChanged(conversationId, member.userId, member.role);
    this.chat.to(conversationRoom(conversationId)).emit("member:joined", { conversationId, member });
  }

  memberUpdated(conversationId: string, member: MemberResource): void {
    this.roleChanged(conversationId, member.userId, member.role);
    this.chat.to(conversationRoom(conversationId)).emit("member:updated", { conversationId, member });
  }

  messageCreated(message: MessageResource): void {
    this.chat
      .to(conversationRoom(message.conversationId))
      .emit("message:created", { conversationId: message.conversationId, message });
  }

  assistantStart(event: AssistantStartEvent): void {
    this.chat.to(conversationRoom(event.conversationId)).emit("assistant:start", event);
  }

  assistantDelta(event: AssistantDeltaEvent): void {
    this.chat.to(conversationRoom(event.conversationId)).emit("assistant:delta", event);
  }

  assistantReasoning(event: AssistantDeltaEvent): void {
    this.chat.to(conversationRoom(event.conversationId)).emit("assistant:reasoning", event);
  }

  assistantPart(event: AssistantPartEvent): void {
    this.chat.to(conversationRoom(event.conversationId)).emit("assistant:part", event);
  }

  assistantSaving(event: AssistantSavingEvent): void {
    this.chat.to(conversationRoom(event.conversationId)).emit("assistant:saving", event);
  }

  assistantDone(message: MessageResource): void {
    this.chat
      .to(conversationRoom(message.conversationId))
      .emit("assistant:done", { conversationId: message.conversationId, message });
  }

  assistantError(message: MessageResource, error: { code: string; message: string }): void {
    this.chat.to(conversationRoom(message.conversationId)).emit("assistant:error", {
      conversationId: message.conversationId,
      messageId: message.id,
      error,
      message,
    });
  }

  /** Each member of the conversation, read once per event (a conversation has a handful). */
  private toMembers(
    conversation: ConversationRecord,
    send: (userId: string, role: MemberRole) => void,
  ): void {
    this.membersOf(conversation.id).then(
      (members) => {
        for (const m of members) send(m.userId, m.role);
      },
      (err: unknown) =>
        this.deps.logger.warn(
          { err, conversationId: conversation.id },
          "could not tell the members of a change",
        ),
    );
  }
}
