import type { Namespace, Socket } from "socket.io";
import { principalOf } from "../auth/claims.js";
import type { TokenVerifier } from "../auth/token-verifier.js";
import type { UserDirectory } from "../auth/user-directory.js";
import type { ChatService } from "../chat/chat-service.js";
import type { RateLimits } from "../limits/rate-limits.js";
import type { ConversationService } from "../conversations/conversation-service.js";
import { toAppError } from "../errors.js";
import type { Logger } from "../observability/logger.js";
import { chatAcks, type ChatHandlers } from "./ack.js";
import { FreshReads } from "./fresh-reads.js";
import { SocketEvents } from "./socket-events.js";
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
import { checkoutBranch, joinConversation, leaveConversation } from "./conversation-handlers.js";
import { decideTool, editMessage, regenerateAnswer, sendMessage, stopAnswer } from "./turn-handlers.js";
import type { ToolDecisions } from "../chat/tool-decisions.js";
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
  /** Tool calls decided by the people in a conversation. */
  decisions: ToolDecisions;
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
        // Read once: a socket keeps no bearer secret (nor ten thousand tabs ten thousand copies of it).
        if (auth) delete auth.token;
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
export function registerChatNamespace(chat: ChatNamespace, deps: ChatNamespaceDeps): void {
  chat.use(authenticate(deps));
  // However a tab leaves a conversation's room (leave, close, removal on any node), its typing ends.
  chat.adapter.on("leave-room", (room: unknown, socketId: unknown) => {
    if (typeof room === "string" && typeof socketId === "string" && room.startsWith(conversationRoom(""))) {
      deps.typing.left(socketId, room.slice(conversationRoom("").length));
    }
  });
  // One timer for the token expiries of every socket of the namespace.
  const expiry = new TokenExpiry(chat.sockets);
  // The handlers are the namespace's: a tab holds one listener of its events, and no closure of them.
  const events = new SocketEvents<ChatSocket>(deps.limits, chatAcks(tabHandlers(deps, expiry), deps.logger), {
    typing: (socket, payload) => relayTyping(socket, deps.typing, payload),
  });
  // A tab connected: it hears what concerns its user, lives as long as its token, and is heard.
  chat.on("connection", (socket) => {
    void socket.join(userRoom(socket.data.principal.userId));
    expiry.watch(socket);
    events.listen(socket);
  });
}

/** What a tab's events do: each handler is checked against what its event's ack carries. */
function tabHandlers(deps: ChatNamespaceDeps, expiry: TokenExpiry<ChatSocket>): ChatHandlers {
  const joins = { ...deps, readable: new FreshReads<Awaited<ReturnType<ConversationService["require"]>>>() };
  return {
    "conversation:join": (socket, p) => joinConversation(socket, joins, p),
    "conversation:leave": (socket, p) => leaveConversation(socket, p),
    "message:send": (socket, p) => sendMessage(socket, deps, p),
    "message:edit": (socket, p) => editMessage(socket, deps, p),
    "message:regenerate": (socket, p) => regenerateAnswer(socket, deps, p),
    "conversation:checkout": (socket, p) => checkoutBranch(socket, deps, p),
    "generation:stop": (socket, p) => stopAnswer(socket, deps, p),
    "tool:decide": (socket, p) => decideTool(socket, deps, p),
    // A new token of the same user, and the tab lives as long as it.
    "auth:refresh": (socket, p) => expiry.renew(socket, p.token, deps),
  };
}

/**
 * `typing` (no ack): a participant's tab typing, relayed to the others (at most a few a second per
 * tab). A payload that does not parse, a viewer, or a tab not in the room is ignored.
 */
function relayTyping(socket: ChatSocket, typing: Typing, payload: unknown): void {
  const p = typingPayload.safeParse(payload);
  if (!p.success) return;
  const role = socket.data.roles.get(p.data.conversationId);
  if (!role || role === "viewer" || !socket.rooms.has(conversationRoom(p.data.conversationId))) return;
  typing.set(socket, p.data.conversationId, p.data.typing);
}
