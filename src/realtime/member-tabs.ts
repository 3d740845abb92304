import { userRoom, type MemberRole } from "../protocol/index.js";
import type { ChatNamespace } from "./chat-namespace.js";

/**
 * A member's role changed (or it was removed: null): the tabs of that user on this node that joined
 * the conversation hold the new role, against which their `typing` is checked.
 */
export function applyRoleChange(
  chat: ChatNamespace,
  change: { conversationId: string; userId: string; role: MemberRole | null },
): void {
  for (const id of chat.adapter.rooms.get(userRoom(change.userId)) ?? []) {
    const roles = chat.sockets.get(id)?.data.roles;
    if (!roles?.has(change.conversationId)) continue;
    if (change.role === null) roles.delete(change.conversationId);
    else roles.set(change.conversationId, change.role);
  }
}
