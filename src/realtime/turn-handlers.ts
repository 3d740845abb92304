import type { QuestionTurn } from "../chat/chat-service.js";
import { conversationRoom } from "../protocol/index.js";
import type { ChatPayload } from "./ack.js";
import type { ChatNamespaceDeps, ChatSocket } from "./chat-namespace.js";

type TurnDeps = Pick<ChatNamespaceDeps, "chat">;

/** The ack of a turn that stored a question (a send or an edit). */
function sendAck(turn: QuestionTurn) {
  return {
    message: turn.message,
    assistantMessageId: turn.assistantMessageId,
    ...(turn.duplicate ? { duplicate: true as const } : {}),
  };
}

/**
 * The sender sees the whole turn even if it never joined: it enters the room as soon as the
 * conversation is known to be its own, inside the turn, before any event of it.
 */
function joinOnceAllowed(socket: ChatSocket, conversationId: string) {
  return { onAllowed: () => socket.join(conversationRoom(conversationId)) };
}

/** `message:send`: a question, and the answer it starts. */
export async function sendMessage(socket: ChatSocket, deps: TurnDeps, p: ChatPayload<"message:send">) {
  return sendAck(await deps.chat.send(socket.data.principal, p, joinOnceAllowed(socket, p.conversationId)));
}

/** `message:edit`: a new version of a question, beside the old one, and the answer it starts. */
export async function editMessage(socket: ChatSocket, deps: TurnDeps, p: ChatPayload<"message:edit">) {
  return sendAck(await deps.chat.edit(socket.data.principal, p, joinOnceAllowed(socket, p.conversationId)));
}

/** `message:regenerate`: another answer to the same question. */
export async function regenerateAnswer(
  socket: ChatSocket,
  deps: TurnDeps,
  p: ChatPayload<"message:regenerate">,
) {
  const turn = await deps.chat.regenerate(
    socket.data.principal,
    p,
    joinOnceAllowed(socket, p.conversationId),
  );
  return { assistantMessageId: turn.assistantMessageId };
}

/** `generation:stop`: the answer being written stops, on whichever node writes it. */
export async function stopAnswer(socket: ChatSocket, deps: TurnDeps, p: ChatPayload<"generation:stop">) {
  return { stopped: await deps.chat.stop(socket.data.principal, p.conversationId) };
}

/** `tool:decide`: a person approves or denies a tool call of the answer; the first decision wins. */
export async function decideTool(
  socket: ChatSocket,
  deps: Pick<ChatNamespaceDeps, "decisions">,
  p: ChatPayload<"tool:decide">,
) {
  return { part: await deps.decisions.decide(socket.data.principal, p) };
}
