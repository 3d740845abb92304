import type { Notifier } from "../conversations/notifier.js";
import type { ConversationResource, MessageResource } from "../conversations/resources.js";
import {
  conversationRoom,
  userRoom,
  type ActivityEvent,
  type AssistantDeltaEvent,
  type AssistantSavingEvent,
  type AssistantStartEvent,
} from "../protocol/index.js";
import type { AdminNamespace } from "./admin-namespace.js";
import type { ChatNamespace } from "./chat-namespace.js";

/**
 * Delivers domain events to the rooms of `/chat` (every tab, on every node through the adapter) and
 * the operators' feed to `/admin`.
 */
export class RoomNotifier implements Notifier {
  constructor(
    private readonly chat: ChatNamespace,
    private readonly admin: AdminNamespace,
  ) {}

  activity(event: ActivityEvent): void {
    this.admin.emit("activity", event);
  }

  conversationUpdated(conversation: ConversationResource): void {
    this.chat.to(userRoom(conversation.userId)).emit("conversation:updated", { conversation });
  }

  conversationDeleted(userId: string, conversationId: string): void {
    this.chat.to(userRoom(userId)).emit("conversation:deleted", { conversationId });
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
}
