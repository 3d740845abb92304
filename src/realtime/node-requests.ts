import type { ChatNamespace, ChatNamespaceDeps } from "./chat-namespace.js";
import { applyRoleChange } from "./member-tabs.js";
import type { NodeBus } from "./node-bus.js";

/**
 * What the other nodes ask of this one, on the nodes' channels (the asking side is `OtherNodes`):
 * whether it writes a conversation's answer, and to stop it; the answer it writes; how many sockets it
 * holds; to forget an erased user; that a member's role changed.
 */
export function answerOtherNodes(
  bus: NodeBus,
  chat: ChatNamespace,
  deps: Pick<ChatNamespaceDeps, "chat" | "users" | "membersChanged">,
): void {
  // Another node asks whether this one writes the conversation's answer, and to stop it.
  bus.answer("answer:stop", async ({ conversationId, settle }) => {
    const stopped = deps.chat.stopLocal(conversationId);
    if (settle) await deps.chat.settled(conversationId);
    return stopped;
  });
  // Another node's tab joins: the answer this node writes there, if it writes one.
  bus.answer("answer:snapshot", ({ conversationId }) => deps.chat.localSnapshot(conversationId) ?? null);
  bus.answer("sockets:count", () => chat.sockets.size);
  bus.on("user:erased", ({ userId }) => deps.users.forget(userId));
  // Another node changed a member's role (or removed it): the tabs of that user here follow.
  bus.on("member:role", (change) => {
    applyRoleChange(chat, change);
    deps.membersChanged(change.conversationId);
  });
}
