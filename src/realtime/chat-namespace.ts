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
  userRoom,
  type ClientToServerEvents,
  type InterServerEvents,
  type ServerToClientEvents,
} from "../protocol/index.js";
import type { SocketData } from "./socket-data.js";

export type ChatNamespace = Namespace<
  ClientToServerEvents,
  ServerToClientEvents,
  InterServerEvents,
  SocketData
>;
type ChatSocket = Socket<ClientToServerEvents, ServerToClientEvents, InterServerEvents, SocketData>;

export interface ChatNamespaceDeps {
  verifier: TokenVerifier;
  users: UserDirectory;
  conversations: ConversationService;
  chat: ChatService;
  limits: RateLimits;
  /** Take the client IP from X-Forwarded-For. */
  trustProxy: boolean;
  logger: Logger;
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
        (socket.data as SocketData).principal = principalOf(claims);
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
        const conversation = await deps.conversations.require(principal(), p.conversationId, "read");
        // Join before reading, so that no event falls between what is read and what is received.
        await socket.join(conversationRoom(conversation.id));
        const history = deps.conversations.history;
        // Without afterSeq, the latest messages of the path the conversation shows; with it, every
        // later message on any branch (a tab that dropped resumes exactly).
        const page =
          p.afterSeq !== undefined
            ? { messages: await history.after(conversation.id, p.afterSeq), hasMore: false }
            : await history.page(conversation, 50);
        // An answer is written only if the head is one still streaming (the head stays on it).
        const writing = await history.headIsStreaming(conversation, page.messages);
        return {
          conversation: toConversationResource(conversation),
          messages: page.messages.map(toMessageResource),
          hasMore: page.hasMore,
          generation: await deps.chat.snapshot(conversation.id, writing),
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
          onOwned: () => socket.join(conversationRoom(p.conversationId)),
        });
        return sendAck(turn);
      }),
    );

    socket.on(
      "message:edit",
      chatAck("message:edit", deps.logger, async (p) => {
        const turn = await deps.chat.edit(principal(), p, {
          onOwned: () => socket.join(conversationRoom(p.conversationId)),
        });
        return sendAck(turn);
      }),
    );

    socket.on(
      "message:regenerate",
      chatAck("message:regenerate", deps.logger, async (p) => {
        const turn = await deps.chat.regenerate(principal(), p, {
          onOwned: () => socket.join(conversationRoom(p.conversationId)),
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

    socket.on(
      "auth:refresh",
      chatAck("auth:refresh", deps.logger, (p) => expiry.renew(p.token, deps)),
    );
  });
}
