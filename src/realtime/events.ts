/**
 * The Socket.IO event maps of PROTOCOL.md section 5 and 6, typed once and used by the server and by
 * the client example. Every client-to-server event takes an ack answering `Ack<T>`.
 */
import type { ErrorBody } from "../errors.js";
import type { ConversationResource, MessageResource } from "../conversations/resources.js";

/** The REST error codes; `requestId` names the server's log line about it. */
export type AckError = Pick<ErrorBody, "code" | "message" | "retryAfterMs"> & {
  details?: unknown;
  requestId?: string;
};
export type Ack<T> = { ok: true; data: T } | { ok: false; error: AckError };
export type AckCallback<T> = (answer: Ack<T>) => void;

/** An answer still being written: its text so far, which covers its deltas up to `seq`. */
export interface GenerationSnapshot {
  messageId: string;
  seq: number;
  content: string;
}

export interface JoinResult {
  conversation: ConversationResource;
  messages: MessageResource[];
  hasMore: boolean;
  generation: GenerationSnapshot | null;
}

export interface SendResult {
  message: MessageResource;
  /** The id of the answer this message started (for a duplicate, the answer of the first send). */
  assistantMessageId: string;
  duplicate?: true;
}

export interface ClientToServerEvents {
  "conversation:join": (
    payload: { conversationId: string; afterSeq?: number },
    ack: AckCallback<JoinResult>,
  ) => void;
  "conversation:leave": (
    payload: { conversationId: string },
    ack: AckCallback<Record<string, never>>,
  ) => void;
  "message:send": (
    payload: {
      conversationId: string;
      content: string;
      clientMessageId?: string;
      metadata?: Record<string, unknown>;
    },
    ack: AckCallback<SendResult>,
  ) => void;
  "generation:stop": (payload: { conversationId: string }, ack: AckCallback<{ stopped: boolean }>) => void;
  "auth:refresh": (payload: { token: string }, ack: AckCallback<{ expiresAt: string }>) => void;
}

export interface AssistantStartEvent {
  conversationId: string;
  messageId: string;
  agentId: string;
  provider: string;
  model: string;
}

export interface AssistantDeltaEvent {
  conversationId: string;
  messageId: string;
  seq: number;
  delta: string;
}

/** An answer that has ended and is kept by its node until the database can store it. */
export interface AssistantSavingEvent {
  conversationId: string;
  messageId: string;
  /** The status it will be stored with. */
  status: MessageResource["status"];
}

export interface ServerToClientEvents {
  "message:created": (event: { conversationId: string; message: MessageResource }) => void;
  "assistant:start": (event: AssistantStartEvent) => void;
  "assistant:delta": (event: AssistantDeltaEvent) => void;
  "assistant:saving": (event: AssistantSavingEvent) => void;
  "assistant:done": (event: { conversationId: string; message: MessageResource }) => void;
  "assistant:error": (event: {
    conversationId: string;
    messageId: string;
    error: { code: string; message: string };
    message: MessageResource;
  }) => void;
  "conversation:updated": (event: { conversation: ConversationResource }) => void;
  "conversation:deleted": (event: { conversationId: string }) => void;
  "auth:expiring": (event: { expiresAt: string }) => void;
  "auth:expired": (event: Record<string, never>) => void;
}

/** Between nodes, through the adapter. */
export interface InterServerEvents {
  /**
   * Stop the answer you write in this conversation, if you write one; with `settle`, answer once it
   * is stored.
   */
  "answer:stop": (
    request: { conversationId: string; settle: boolean },
    ack: (stopped: boolean) => void,
  ) => void;
  /** A user was erased: every node forgets what it remembers of them. */
  "user:erased": (userId: string) => void;
}

export type ActivityType =
  | "conversation.created"
  | "conversation.deleted"
  | "generation.started"
  | "generation.finished"
  | "generation.failed";

/** One line of the operators' live feed; the fields after `conversationId` depend on the type. */
export interface ActivityEvent {
  type: ActivityType;
  at: string;
  userId: string;
  conversationId: string;
  [key: string]: unknown;
}

export interface AdminClientToServerEvents {
  "auth:refresh": (payload: { token: string }, ack: AckCallback<{ expiresAt: string }>) => void;
}

export interface AdminServerToClientEvents {
  activity: (event: ActivityEvent) => void;
  "auth:expiring": (event: { expiresAt: string }) => void;
  "auth:expired": (event: Record<string, never>) => void;
}

export const conversationRoom = (conversationId: string) => `conversation:${conversationId}`;
export const userRoom = (userId: string) => `user:${userId}`;
