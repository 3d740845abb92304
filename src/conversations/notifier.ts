import type { ConversationResource, MessageResource } from "./resources.js";
import type {
  ActivityEvent,
  AssistantDeltaEvent,
  AssistantSavingEvent,
  AssistantStartEvent,
} from "../protocol/index.js";

/**
 * What the domain tells the outside world; the realtime layer delivers it to the rooms of
 * PROTOCOL.md section 5. Kept as an interface so that the domain never imports Socket.IO.
 */
export interface Notifier {
  conversationUpdated(conversation: ConversationResource): void;
  conversationDeleted(userId: string, conversationId: string): void;
  messageCreated(message: MessageResource): void;
  assistantStart(event: AssistantStartEvent): void;
  assistantDelta(event: AssistantDeltaEvent): void;
  /** The answer has ended but cannot be stored yet (the database is away); done or error follows. */
  assistantSaving(event: AssistantSavingEvent): void;
  assistantDone(message: MessageResource): void;
  assistantError(message: MessageResource, error: { code: string; message: string }): void;
  /** For operators: the `/admin` namespace's live feed. */
  activity(event: ActivityEvent): void;
}
