import type { QuestionTurn } from "../chat/chat-service.js";
import { conversationRoom } from "../protocol/index.js";
import type { ChatHandler } from "./ack.js";
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
export function sendMessage(socket: ChatSocket, deps: TurnDeps): ChatHandler<"message:send"> {
  return async (p) =>
    sendAck(await deps.chat.send(socket.data.principal, p, joinOnceAllowed(socket, p.conversationId)));
}

/** `message:edit`: a new version of a question, beside the old one, and the answer it starts. */
export function editMessage(socket: ChatSocket, deps: TurnDeps): ChatHandler<"message:edit"> {
  return async (p) =>
    sendAck(await deps.chat.edit(socket.data.principal, p, joinOnceAllowed(socket, p.conversationId)));
}

/** `message:regenerate`: another answer to the same question. */
export function regenerateAnswer(socket: ChatSocket, deps: TurnDeps): ChatHandler<"message:regenerate"> {
  return async (p) => {
    const turn = await deps.chat.regenerate(
      socket.data.principal,
      p,
      joinOnceAllowed(socket, p.conversationId),
    );
    return { assistantMessageId: turn.assistantMessageId };
  };
}

/** `generation:stop`: the answer being written stops, on whichever node writes it. */
export function stopAnswer(socket: ChatSocket, deps: TurnDeps): ChatHandler<"generation:stop"> {
  return async (p) => ({ stopped: await deps.chat.stop(socket.data.principal, p.conversationId) });
}

/** `tool:decide`: a person approves or denies a tool call of the answer; the first decision wins. */
export function decideTool(
  socket: ChatSocket,
  deps: Pick<ChatNamespaceDeps, "decisions">,
): ChatHandler<"tool:decide"> {
  return async (p) => ({ part: await deps.decisions.decide(socket.data.principal, p) });
}
