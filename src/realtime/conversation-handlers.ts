import { toConversationResource, toMessageResource } from "../conversations/resources.js";
import { conversationRoom } from "../protocol/index.js";
import type { ChatPayload } from "./ack.js";
import type { ChatNamespaceDeps, ChatSocket } from "./chat-namespace.js";

type JoinDeps = Pick<ChatNamespaceDeps, "conversations" | "chat" | "presence">;

/**
 * Into the conversation's room, once the caller may read it: the conversation with the caller's role.
 * Joined before anything is read, so that no event falls between what is read and what is received.
 */
async function enterRoom(socket: ChatSocket, deps: JoinDeps, conversationId: string) {
  const allowed = await deps.conversations.require(socket.data.principal, conversationId, "read");
  const room = conversationRoom(allowed.id);
  await socket.join(room);
  // Asked again once in the room: a removal that ended between the first question and the
  // join (its tabs already sent out of the room) is seen here, and the tab leaves.
  const conversation = await deps.conversations
    .require(socket.data.principal, allowed.id, "read")
    .catch(async (err: unknown) => {
      await socket.leave(room);
      throw err;
    });
  socket.data.roles.set(conversation.id, conversation.role);
  return conversation;
}

/**
 * Counted online only while in the room: checked in the same tick as presence records the tab, so a
 * tab that closed or was removed meanwhile (its leave already seen) is not kept.
 */
function present(socket: ChatSocket, deps: JoinDeps, conversationId: string) {
  return socket.connected && socket.rooms.has(conversationRoom(conversationId))
    ? deps.presence.enter(conversationId, socket.id, {
        userId: socket.data.principal.userId,
        name: socket.data.name,
      })
    : deps.presence.online(conversationId);
}

/**
 * `conversation:join`: the tab enters the room, and gets the latest messages, the answer being
 * written and who is online.
 */
export async function joinConversation(
  socket: ChatSocket,
  deps: JoinDeps,
  p: ChatPayload<"conversation:join">,
) {
  const conversation = await enterRoom(socket, deps, p.conversationId);
  const history = deps.conversations.history;
  // Without afterSeq, the latest messages of the path the conversation shows; with it, every
  // later message on any branch (a tab that dropped resumes exactly).
  const page =
    p.afterSeq !== undefined
      ? { messages: await history.after(conversation.id, p.afterSeq), hasMore: false }
      : await history.page(conversation, 50);
  // An answer is written only if the head is one still streaming (the head stays on it); one that
  // waits for approval is held by no node: the stored row is its snapshot.
  const head = await history.writingHead(conversation, page.messages);
  return {
    conversation: toConversationResource(conversation, conversation.role),
    messages: page.messages.map(toMessageResource),
    hasMore: page.hasMore,
    generation:
      head?.status === "awaiting_approval"
        ? { messageId: head.id, seq: head.streamSeq, content: head.content, parts: head.parts }
        : await deps.chat.snapshot(conversation.id, head !== null),
    presence: await present(socket, deps, conversation.id),
  };
}

/** `conversation:leave`: the tab leaves the room (its presence and typing end with it). */
export async function leaveConversation(socket: ChatSocket, p: ChatPayload<"conversation:leave">) {
  await socket.leave(conversationRoom(p.conversationId));
  return {};
}

/** `conversation:checkout`: another branch's message becomes the head. */
export async function checkoutBranch(
  socket: ChatSocket,
  deps: Pick<ChatNamespaceDeps, "chat">,
  p: ChatPayload<"conversation:checkout">,
) {
  return { conversation: await deps.chat.checkout(socket.data.principal, p) };
}
