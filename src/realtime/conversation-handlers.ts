import { toConversationResource, toMessageResource } from "../conversations/resources.js";
import { conversationRoom } from "../protocol/index.js";
import type { ConversationService } from "../conversations/conversation-service.js";
import type { ChatPayload } from "./ack.js";
import type { ChatNamespaceDeps, ChatSocket } from "./chat-namespace.js";
import type { FreshReads } from "./fresh-reads.js";

type JoinDeps = Pick<ChatNamespaceDeps, "conversations" | "chat" | "presence"> & {
  /** The readable conversations of the tabs that join. */
  readable: FreshReads<ReadableConversation>;
};

type ReadableConversation = Awaited<ReturnType<ConversationService["require"]>>;

/**
 * The conversation, if the tab's user may read it: the tabs of a user that join a conversation
 * together share the read (ten thousand tabs do not ask ten thousand times). A `fresh` answer was
 * read after the question; otherwise a recent read may answer.
 */
function readable(socket: ChatSocket, deps: JoinDeps, conversationId: string, fresh: boolean) {
  const principal = socket.data.principal;
  const key = `${conversationId} ${principal.userId}`;
  const read = () => deps.conversations.require(principal, conversationId, "read");
  return fresh ? deps.readable.fresh(key, read) : deps.readable.recent(key, read);
}

/**
 * Into the conversation's room, once the caller may read it: the conversation with the caller's role.
 * Joined before anything is read, so that no event falls between what is read and what is received.
 * Whether it may enter, a read begun up to a second before the question may tell (a user's tabs
 * joining together ask the database once): the read after the join, begun after it, decides.
 */
async function enterRoom(socket: ChatSocket, deps: JoinDeps, conversationId: string) {
  const allowed = await readable(socket, deps, conversationId, false);
  const room = conversationRoom(allowed.id);
  await socket.join(room);
  // Asked again once in the room, of a read begun after the join: a removal that ended before it
  // (its tabs already sent out of the room, or not yet in it) is seen here, and the tab leaves.
  const conversation = await readable(socket, deps, allowed.id, true).catch(async (err: unknown) => {
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
