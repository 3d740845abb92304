import type { ConversationRecord } from "../db/records.js";
import type { ConversationResource, MessageResource } from "./resources.js";
import type {
  MemberResource,
  ActivityEvent,
  AssistantDeltaEvent,
  AssistantPartEvent,
  AssistantSavingEvent,
  AssistantStartEvent,
} from "../protocol/index.js";

/**
 * What the domain tells the outside world; the realtime layer delivers it to the rooms of
 * PROTOCOL.md section 5. Kept as an interface so that the domain never imports Socket.IO.
 */
export interface Notifier {
  /** To every tab of every member, each with its own role in the resource. */
  conversationUpdated(conversation: ConversationRecord): void;
  /** To every tab of every member. */
  conversationDeleted(conversation: ConversationRecord): void;
  /** To every tab of one user (a member just added, or whose role changed). */
  conversationUpdatedFor(userId: string, conversation: ConversationResource): void;
  /**
   * A member removed: its tabs leave the conversation's room at once, on every node, and get
   * `conversation:deleted`; the others get `member:left`.
   */
  memberRemoved(conversationId: string, userId: string): void;
  memberJoined(conversationId: string, member: MemberResource): void;
  memberUpdated(conversationId: string, member: MemberResource): void;
  messageCreated(message: MessageResource): void;
  assistantStart(event: AssistantStartEvent): void;
  assistantDelta(event: AssistantDeltaEvent): void;
  assistantReasoning(event: AssistantDeltaEvent): void;
  /** A non-text part of an answer added or changed (a tool call and its approval, a source). */
  assistantPart(event: AssistantPartEvent): void;
  /** The answer has ended but cannot be stored yet (the database is away); done or error follows. */
  assistantSaving(event: AssistantSavingEvent): void;
  assistantDone(message: MessageResource): void;
  assistantError(message: MessageResource, error: { code: string; message: string }): void;
  /** For operators: the `/admin` namespace's live feed. */
  activity(event: ActivityEvent): void;
}
