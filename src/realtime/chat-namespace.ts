import type { Namespace, Socket } from "socket.io";
import { principalOf, type Principal } from "../auth/claims.js";
import type { TokenVerifier } from "../auth/token-verifier.js";
import type { UserDirectory } from "../auth/user-directory.js";
import type { ChatService, QuestionTurn } from "../chat/chat-service.js";
import type { RateLimits } from "../limits/rate-limits.js";
import type { ConversationService } from "../conversations/conversation-service.js";
import { toConversationResource, toMessageResource } from "../conversations/resources.js";
import { toAppError } from "../errors.js";
import type { Logger } from "../observability/logger.js";
import { chatAck } from "./ack.js";
import { limitEvents } from "./event-limit.js";
import { DeadlineScheduler } from "./deadline-scheduler.js";
import { TokenExpiry } from "./token-expiry.js";
import {
  conversationRoom,
  typingPayload,
  userRoom,
  type ClientToServerEvents,
  type InterServerEvents,
  type ServerToClientEvents,
} from "../protocol/index.js";
import type { SocketData } from "./socket-data.js";
import { applyRoleChange } from "./member-tabs.js";
import type { Presence } from "./presence.js";
import type { Typing } from "./typing.js";

export type ChatNamespace = Namespace<
  ClientToServerEvents,
  ServerToClientEvents,
  InterServerEvents,
  SocketData
>;
export type ChatSocket = Socket<ClientToServerEvents, ServerToClientEvents, InterServerEvents, SocketData>;

export interface ChatNamespaceDeps {
  verifier: TokenVerifier;
  users: UserDirectory;
  conversations: ConversationService;
  chat: ChatService;
  limits: RateLimits;
  /** Take the client IP from X-Forwarded-For. */
  trustProxy: boolean;
  logger: Logger;
  presence: Presence;
  typing: Typing;
  /** Another node changed the members of a conversation: what this node remembers of them goes. */
  membersChanged: (conversationId: string) => void;
}

/** The client's address, or the first X-Forwarded-For hop behind a trusted load balancer. */
export function clientAddress(socket: Socket, trustProxy: boolean): string {
  const forwarded = socket.handshake.headers["x-forwarded-for"];
  const first = (Array.isArray(forwarded) ? forwarded[0] : forwarded)?.split(",")[0]?.trim();
  return trustProxy && first ? first : socket.handshake.address;
}

/**
 * Limits handshakes per client IP, then authenticates: a refusal is `connect_error` with message
 * "unauthorized" and `data.code` token_missing, token_invalid or token_expired (or "rate_limited"
 * with `data.retryAfterMs`).
 */
export function authenticate(
  deps: Pick<ChatNamespaceDeps, "verifier" | "users" | "logger"> & {
    limits?: RateLimits;
    trustProxy?: boolean;
  },
) {
  return (socket: ChatSocket | Socket, next: (err?: Error) => void) => {
    void (async () => {
      try {
        await deps.limits?.consume("connection", clientAddress(socket, deps.trustProxy ?? false));
        const auth = socket.handshake.auth as Record<string, unknown> | undefined;
        const claims = deps.verifier.verify(auth?.token);
        await deps.users.provision(claims);
        const data = socket.data as SocketData;
        data.principal = principalOf(claims);
        data.name = claims.name ?? claims.sub;
        data.roles = new Map();
        next();
      } catch (err) {
        const appError = toAppError(err);
        const refusal = new Error(
          appError.code === "unauthorized" ? "unauthorized" : appError.code,
        ) as Error & {
          data?: unknown;
        };
        const reason = (appError.details as { reason?: string } | undefined)?.reason;
        refusal.data = {
          code: reason ?? appError.code,
          ...(appError.retryAfterMs !== undefined ? { retryAfterMs: appError.retryAfterMs } : {}),
        };
        if (appError.code === "internal" || appError.code === "unavailable") {
          deps.logger.error({ err }, "handshake failed");
        }
        next(refusal);
      }
    })();
  };
}

/** The `/chat` namespace of PROTOCOL.md section 5. */
/** The ack of a turn that stored a question (a send or an edit). */
function sendAck(turn: QuestionTurn) {
  return {
    message: turn.message,
    assistantMessageId: turn.assistantMessageId,
    ...(turn.duplicate ? { duplicate: true as const } : {}),
  };
}

export function registerChatNamespace(chat: ChatNamespace, deps: ChatNamespaceDeps): void {
  chat.use(authenticate(deps));
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
  // However a tab leaves a conversation's room (leave, close, removal on any node), its typing ends.
  chat.adapter.on("leave-room", (room: unknown, socketId: unknown) => {
    if (typeof room === "string" && typeof socketId === "string" && room.startsWith(conversationRoom(""))) {
      deps.typing.left(socketId, room.slice(conversationRoom("").length));
    }
  });
  // One timer for the token expiries of every socket of the namespace.
  const deadlines = new DeadlineScheduler();
  chat.on("connection", (socket) => {
    const principal = (): Principal => socket.data.principal;
    void socket.join(userRoom(principal().userId));
    const expiry = new TokenExpiry(socket, deadlines);
    limitEvents(socket, deps.limits);

    socket.on(
      "conversation:join",
      chatAck("conversation:join", deps.logger, async (p) => {
        const allowed = await deps.conversations.require(principal(), p.conversationId, "read");
        // Join before reading, so that no event falls between what is read and what is received.
        const room = conversationRoom(allowed.id);
        await socket.join(room);
        // Asked again once in the room: a removal that ended between the first question and the
        // join (its tabs already sent out of the room) is seen here, and the tab leaves.
        const conversation = await deps.conversations
          .require(principal(), allowed.id, "read")
          .catch(async (err: unknown) => {
            await socket.leave(room);
            throw err;
          });
        socket.data.roles.set(conversation.id, conversation.role);
        const history = deps.conversations.history;
        // Without afterSeq, the latest messages of the path the conversation shows; with it, every
        // later message on any branch (a tab that dropped resumes exactly).
        const page =
          p.afterSeq !== undefined
            ? { messages: await history.after(conversation.id, p.afterSeq), hasMore: false }
            : await history.page(conversation, 50);
        // Counted online only while in the room: checked in the same tick as presence records the
        // tab, so a tab that closed or was removed meanwhile (its leave already seen) is not kept.
        const present = () =>
          socket.connected && socket.rooms.has(room)
            ? deps.presence.enter(conversation.id, socket.id, {
                userId: principal().userId,
                name: socket.data.name,
              })
            : deps.presence.online(conversation.id);
        // An answer is written only if the head is one still streaming (the head stays on it).
        const writing = await history.headIsStreaming(conversation, page.messages);
        return {
          conversation: toConversationResource(conversation, conversation.role),
          messages: page.messages.map(toMessageResource),
          hasMore: page.hasMore,
          generation: await deps.chat.snapshot(conversation.id, writing),
          presence: await present(),
        };
      }),
    );

    socket.on(
      "conversation:leave",
      chatAck("conversation:leave", deps.logger, async (p) => {
        await socket.leave(conversationRoom(p.conversationId));
        return {};
      }),
    );

    socket.on(
      "message:send",
      chatAck("message:send", deps.logger, async (p) => {
        // The sender sees the whole turn even if it never joined: it enters the room as soon as the
        // conversation is known to be its own, inside the send, before any event of the turn.
        const turn = await deps.chat.send(principal(), p, {
          onAllowed: () => socket.join(conversationRoom(p.conversationId)),
        });
        return sendAck(turn);
      }),
    );

    socket.on(
      "message:edit",
      chatAck("message:edit", deps.logger, async (p) => {
        const turn = await deps.chat.edit(principal(), p, {
          onAllowed: () => socket.join(conversationRoom(p.conversationId)),
        });
        return sendAck(turn);
      }),
    );

    socket.on(
      "message:regenerate",
      chatAck("message:regenerate", deps.logger, async (p) => {
        const turn = await deps.chat.regenerate(principal(), p, {
          onAllowed: () => socket.join(conversationRoom(p.conversationId)),
        });
        return { assistantMessageId: turn.assistantMessageId };
      }),
    );

    socket.on(
      "conversation:checkout",
      chatAck("conversation:checkout", deps.logger, async (p) => ({
        conversation: await deps.chat.checkout(principal(), p),
      })),
    );

    socket.on(
      "generation:stop",
      chatAck("generation:stop", deps.logger, async (p) => ({
        stopped: await deps.chat.stop(principal(), p.conversationId),
      })),
    );

    // No ack: a participant's tab typing, relayed to the others (at most a few a second per tab).
    socket.on("typing", (payload: unknown) => {
      const p = typingPayload.safeParse(payload);
      if (!p.success) return;
      const role = socket.data.roles.get(p.data.conversationId);
      if (!role || role === "viewer" || !socket.rooms.has(conversationRoom(p.data.conversationId))) return;
      deps.typing.set(socket, p.data.conversationId, p.data.typing);
    });

    socket.on(
      "auth:refresh",
      chatAck("auth:refresh", deps.logger, (p) => expiry.renew(p.token, deps)),
    );
  });
}
