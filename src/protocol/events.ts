import { z } from "zod";
import type { ErrorBody } from "./errors.js";
import type { StopResult } from "./responses.js";
import {
  checkoutPayload,
  conversationPayload,
  editPayload,
  joinPayload,
  refreshPayload,
  regeneratePayload,
  sendPayload,
  typingPayload,
} from "./inputs.js";
import type { MessagePart, ToolPart } from "./parts.js";
import { decidePayload } from "./tools.js";
import {
  conversationResource,
  generationSnapshot,
  messageError,
  messageResource,
  type ConversationResource,
  type MemberResource,
  type MessageResource,
  presentUser,
  type PresentUser,
  type MessageStatus,
} from "./resources.js";

/**
 * The Socket.IO events of PROTOCOL.md sections 5 and 6, typed once for the server, the client
 * example and the tests. Each client-to-server event's payload type comes from the schema that
 * validates it, and its ack from the schema of its result.
 */

/** What an ack answers: `{ok: true, data}` or `{ok: false, error}` with a REST code. */
export type AckError = Pick<ErrorBody, "code" | "message" | "retryAfterMs"> & {
  details?: unknown;
  /** Names the server's log line about it. */
  requestId?: string;
};
export type Ack<T> = { ok: true; data: T } | { ok: false; error: AckError };
export type AckCallback<T> = (answer: Ack<T>) => void;

// --- /chat: client to server --------------------------------------------------------------------

export const joinResult = z.object({
  conversation: conversationResource,
  messages: z.array(messageResource),
  hasMore: z.boolean(),
  generation: generationSnapshot.nullable(),
  /** The members with at least one tab joined, on any node (this one included). */
  presence: z.array(presentUser),
});

export const sendResult = z.object({
  message: messageResource,
  /**
   * The id of the answer this message started (for a duplicate, the answer of the first send); null
   * when it started none (`assistantMode` manual without `askAssistant`, or off).
   */
  assistantMessageId: z.string().nullable(),
  duplicate: z.literal(true).optional(),
});

/** What `auth:refresh` answers, on `/chat` and `/admin`. */
export const refreshResult = z.object({ expiresAt: z.string() });

export type JoinResult = z.output<typeof joinResult>;
export type SendResult = z.output<typeof sendResult>;
export type RefreshResult = z.output<typeof refreshResult>;

/** Each client-to-server event of `/chat`: the schema of its payload, and what its ack carries. */
export const chatEvents = {
  "conversation:join": joinPayload,
  "conversation:leave": conversationPayload,
  "message:send": sendPayload,
  "message:edit": editPayload,
  "message:regenerate": regeneratePayload,
  "conversation:checkout": checkoutPayload,
  "generation:stop": conversationPayload,
  "tool:decide": decidePayload,
  "auth:refresh": refreshPayload,
} as const;

/** Client-to-server events of `/chat` that take no ack. */
export const chatSignals = { typing: typingPayload } as const;

export interface ChatAcks {
  "conversation:join": JoinResult;
  "conversation:leave": Record<string, never>;
  "message:send": SendResult;
  "message:edit": SendResult;
  "message:regenerate": { assistantMessageId: string };
  "conversation:checkout": { conversation: ConversationResource };
  "generation:stop": StopResult;
  "tool:decide": { part: ToolPart };
  "auth:refresh": RefreshResult;
}

/** An event map built from payload schemas and ack types. */
export type EventMap<S extends Record<string, z.ZodType>, A extends { [K in keyof S]: unknown }> = {
  [E in keyof S]: (payload: z.input<S[E]>, ack: AckCallback<A[E]>) => void;
};

export type ClientToServerEvents = EventMap<typeof chatEvents, ChatAcks> & {
  [E in keyof typeof chatSignals]: (payload: z.input<(typeof chatSignals)[E]>) => void;
};

// --- /chat: server to client --------------------------------------------------------------------

export interface AssistantStartEvent {
  conversationId: string;
  messageId: string;
  /** The message the answer follows (its question). */
  parentId: string | null;
  agentId: string;
  provider: string;
  model: string;
}

export interface AssistantDeltaEvent {
  conversationId: string;
  messageId: string;
  /** 1, 2, 3, … per answer; a client ignores a seq it already has. */
  seq: number;
  delta: string;
}

/** Reasoning text of an answer, coalesced like its deltas; it shares their `seq`. */
export type AssistantReasoningEvent = AssistantDeltaEvent;

/** A non-text part added or changed: the whole part as it now is, at its `index` in `parts`. */
export interface AssistantPartEvent {
  conversationId: string;
  messageId: string;
  seq: number;
  index: number;
  part: MessagePart;
}

/** An answer that has ended and is kept by its node until the database can store it. */
export interface AssistantSavingEvent {
  conversationId: string;
  messageId: string;
  /** The status it will be stored with. */
  status: MessageStatus;
}

/** Another member's tab started or stopped typing. */
export interface TypingEvent {
  conversationId: string;
  userId: string;
  name: string;
  typing: boolean;
}

export interface AssistantErrorEvent {
  conversationId: string;
  messageId: string;
  error: z.output<typeof messageError>;
  message: MessageResource;
}

export interface ServerToClientEvents {
  "message:created": (event: { conversationId: string; message: MessageResource }) => void;
  "assistant:start": (event: AssistantStartEvent) => void;
  "assistant:delta": (event: AssistantDeltaEvent) => void;
  "assistant:reasoning": (event: AssistantReasoningEvent) => void;
  "assistant:part": (event: AssistantPartEvent) => void;
  "assistant:saving": (event: AssistantSavingEvent) => void;
  "assistant:done": (event: { conversationId: string; message: MessageResource }) => void;
  "assistant:error": (event: AssistantErrorEvent) => void;
  "conversation:updated": (event: { conversation: ConversationResource }) => void;
  "conversation:deleted": (event: { conversationId: string }) => void;
  "member:joined": (event: { conversationId: string; member: MemberResource }) => void;
  "member:updated": (event: { conversationId: string; member: MemberResource }) => void;
  "member:left": (event: { conversationId: string; userId: string }) => void;
  "presence:update": (event: { conversationId: string; online: PresentUser[] }) => void;
  typing: (event: TypingEvent) => void;
  "auth:expiring": (event: RefreshResult) => void;
  "auth:expired": (event: Record<string, never>) => void;
}

// --- /admin -------------------------------------------------------------------------------------

export const adminEvents = { "auth:refresh": refreshPayload } as const;

export interface AdminAcks {
  "auth:refresh": RefreshResult;
}

export type AdminClientToServerEvents = EventMap<typeof adminEvents, AdminAcks>;

export type ActivityType =
  | "conversation.created"
  | "conversation.deleted"
  | "generation.started"
  | "generation.finished"
  | "generation.failed"
  | "tool.called"
  | "tool.approval_requested"
  | "tool.decided"
  | "tool.failed"
  | "member.joined"
  | "member.left";

/** One line of the operators' live feed; the fields after `conversationId` depend on the type. */
export interface ActivityEvent {
  type: ActivityType;
  at: string;
  userId: string;
  conversationId: string;
  [key: string]: unknown;
}

export interface AdminServerToClientEvents {
  activity: (event: ActivityEvent) => void;
  "auth:expiring": (event: RefreshResult) => void;
  "auth:expired": (event: Record<string, never>) => void;
}

// --- between nodes ------------------------------------------------------------------------------

/**
 * Nothing goes between nodes through Socket.IO's server-side emits: the nodes ask and tell each other
 * on Confab's own Redis channels (`NodeBus`), whose questions have their own time limit.
 */
export type InterServerEvents = Record<string, never>;
