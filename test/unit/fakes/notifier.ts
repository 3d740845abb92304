import type { ConversationRecord } from "../../../src/db/records.js";
import type { Notifier } from "../../../src/conversations/notifier.js";
import type {
  ActivityEvent,
  AssistantDeltaEvent,
  AssistantPartEvent,
  AssistantSavingEvent,
  AssistantStartEvent,
  ConversationResource,
  MemberResource,
  MessageResource,
} from "../../../src/protocol/index.js";

/** What the rooms and the `/admin` feed were told, in order. */
export type Notice =
  | { kind: "conversationUpdated"; conversation: ConversationRecord }
  | { kind: "conversationDeleted"; conversation: ConversationRecord }
  | { kind: "conversationUpdatedFor"; userId: string; conversation: ConversationResource }
  | { kind: "memberRemoved"; conversationId: string; userId: string }
  | { kind: "memberJoined" | "memberUpdated"; conversationId: string; member: MemberResource }
  | { kind: "messageCreated"; message: MessageResource }
  | { kind: "assistantStart"; event: AssistantStartEvent }
  | { kind: "assistantDelta"; event: AssistantDeltaEvent }
  | { kind: "assistantReasoning"; event: AssistantDeltaEvent }
  | { kind: "assistantPart"; event: AssistantPartEvent }
  | { kind: "assistantSaving"; event: AssistantSavingEvent }
  | { kind: "assistantDone"; message: MessageResource }
  | { kind: "assistantError"; message: MessageResource; error: { code: string; message: string } }
  | { kind: "activity"; event: ActivityEvent };

/** A notifier that keeps everything it is told, for the tests to read. */
export class RecordingNotifier implements Notifier {
  readonly notices: Notice[] = [];
  /** Called after each notice is kept (a test may act at a given event). */
  onNotice: (notice: Notice) => void = () => undefined;

  /** The kinds told, in order (deltas left out unless asked). */
  kinds(options: { deltas?: boolean } = {}): Notice["kind"][] {
    return this.notices.map((n) => n.kind).filter((k) => options.deltas === true || k !== "assistantDelta");
  }

  of<K extends Notice["kind"]>(kind: K): Extract<Notice, { kind: K }>[] {
    return this.notices.filter((n): n is Extract<Notice, { kind: K }> => n.kind === kind);
  }

  private keep(notice: Notice): void {
    this.notices.push(notice);
    this.onNotice(notice);
  }

  conversationUpdated(conversation: ConversationRecord): void {
    this.keep({ kind: "conversationUpdated", conversation });
  }
  conversationDeleted(conversation: ConversationRecord): void {
    this.keep({ kind: "conversationDeleted", conversation });
  }
  conversationUpdatedFor(userId: string, conversation: ConversationResource): void {
    this.keep({ kind: "conversationUpdatedFor", userId, conversation });
  }
  memberRemoved(conversationId: string, userId: string): void {
    this.keep({ kind: "memberRemoved", conversationId, userId });
  }
  memberJoined(conversationId: string, member: MemberResource): void {
    this.keep({ kind: "memberJoined", conversationId, member });
  }
  memberUpdated(conversationId: string, member: MemberResource): void {
    this.keep({ kind: "memberUpdated", conversationId, member });
  }
  messageCreated(message: MessageResource): void {
    this.keep({ kind: "messageCreated", message });
  }
  assistantStart(event: AssistantStartEvent): void {
    this.keep({ kind: "assistantStart", event });
  }
  assistantReasoning(event: AssistantDeltaEvent): void {
    this.keep({ kind: "assistantReasoning", event });
  }

  assistantPart(event: AssistantPartEvent): void {
    this.keep({ kind: "assistantPart", event });
  }

  assistantDelta(event: AssistantDeltaEvent): void {
    this.keep({ kind: "assistantDelta", event });
  }
  assistantSaving(event: AssistantSavingEvent): void {
    this.keep({ kind: "assistantSaving", event });
  }
  assistantDone(message: MessageResource): void {
    this.keep({ kind: "assistantDone", message });
  }
  assistantError(message: MessageResource, error: { code: string; message: string }): void {
    this.keep({ kind: "assistantError", message, error });
  }
  activity(event: ActivityEvent): void {
    this.keep({ kind: "activity", event });
  }
}
