import type { ChatNamespace, ChatNamespaceDeps } from "./chat-namespace.js";
import { applyRoleChange } from "./member-tabs.js";

/**
 * What the other nodes ask of this one, through the adapter (the asking side is `OtherNodes`):
 * whether it writes a conversation's answer, and to stop it; the answer it writes; to forget an
 * erased user; that a member's role changed.
 */
export function answerOtherNodes(
  chat: ChatNamespace,
  deps: Pick<ChatNamespaceDeps, "chat" | "users" | "membersChanged">,
): void {
  // Another node asks whether this one writes the conversation's answer, and to stop it.
  chat.on("answer:stop", ({ conversationId, settle }, ack) => {
    const stopped = deps.chat.stopLocal(conversationId);
    if (!settle) {
      ack(stopped);
      return;
    }
    void deps.chat.settled(conversationId).then(() => ack(stopped));
  });
  // Another node's tab joins: the answer this node writes there, if it writes one.
  chat.on("answer:snapshot", (conversationId, ack) => ack(deps.chat.localSnapshot(conversationId) ?? null));
  chat.on("user:erased", (userId) => deps.users.forget(userId));
  // Another node changed a member's role (or removed it): the tabs of that user here follow.
  chat.on("member:role", (change) => {
    applyRoleChange(chat, change);
    deps.membersChanged(change.conversationId);
  });
}
