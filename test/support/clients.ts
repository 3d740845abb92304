import { io, type Socket } from "socket.io-client";
import type {
  Ack,
  AssistantDeltaEvent,
  ClientToServerEvents,
  ServerToClientEvents,
} from "../../src/protocol/index.js";
import type { MessageResource } from "../../src/conversations/resources.js";

export type ChatClient = Socket<ServerToClientEvents, ClientToServerEvents>;

/**
 * A real socket.io-client connection to `/chat`, resolved once connected. `listen` attaches listeners
 * before the connection opens: an event the server sends right after the handshake (`auth:expiring`)
 * may arrive in the same read as the connection itself, before `connect` resolves.
 */
export function connect(
  url: string,
  token: string | undefined,
  listen: (socket: ChatClient) => void = () => undefined,
): Promise<ChatClient> {
  const socket: ChatClient = io(`${url}/chat`, {
    auth: token === undefined ? {} : { token },
    transports: ["websocket"],
    reconnection: false,
    forceNew: true,
    autoConnect: false,
  });
  listen(socket);
  socket.connect();
  return new Promise((resolve, reject) => {
    socket.once("connect", () => resolve(socket));
    socket.once("connect_error", (err) => {
      socket.close();
      reject(err);
    });
  });
}

/** The refusal of a handshake: `{message, data}` of the connect_error. */
export async function refusal(
  url: string,
  token: string | undefined,
): Promise<{ message: string; code: unknown }> {
  try {
    const socket = await connect(url, token);
    socket.close();
    throw new Error("the handshake was accepted");
  } catch (err) {
    const e = err as Error & { data?: { code?: unknown } };
    return { message: e.message, code: e.data?.code };
  }
}

type EventName = keyof ClientToServerEvents;
type AckData<E extends EventName> = Parameters<ClientToServerEvents[E]>[1] extends
  ((answer: Ack<infer T>) => void) | undefined
  ? T
  : never;

/** Emits an event and resolves with its ack. */
export function request<E extends EventName>(
  socket: ChatClient,
  event: E,
  payload: unknown,
): Promise<Ack<AckData<E>>> {
  return new Promise((resolve) => {
    (socket.emit as (event: string, payload: unknown, ack: (answer: Ack<AckData<E>>) => void) => void)(
      event,
      payload,
      resolve,
    );
  });
}

/** Like `request`, but expects `ok: true` and returns the data. */
export async function call<E extends EventName>(
  socket: ChatClient,
  event: E,
  payload: unknown,
): Promise<AckData<E>> {
  const answer = await request(socket, event, payload);
  if (!answer.ok) throw new Error(`${event} failed: ${answer.error.code} ${answer.error.message}`);
  return answer.data;
}

export interface ObservedAnswer {
  messageId: string;
  deltas: AssistantDeltaEvent[];
  /** The concatenation of the deltas, in the order received. */
  text: string;
  end: { kind: "done" | "error"; message: MessageResource; error?: { code: string; message: string } };
}

/** Records the deltas of the next answer in a conversation until it ends. */
export function observeAnswer(socket: ChatClient, conversationId: string): Promise<ObservedAnswer> {
  const deltas: AssistantDeltaEvent[] = [];
  return new Promise((resolve) => {
    const onDelta = (e: AssistantDeltaEvent) => {
      if (e.conversationId === conversationId) deltas.push(e);
    };
    const finish = (end: ObservedAnswer["end"]) => {
      socket.off("assistant:delta", onDelta);
      socket.off("assistant:done", onDone);
      socket.off("assistant:error", onError);
      resolve({ messageId: end.message.id, deltas, text: deltas.map((d) => d.delta).join(""), end });
    };
    const onDone = (e: { conversationId: string; message: MessageResource }) => {
      if (e.conversationId === conversationId) finish({ kind: "done", message: e.message });
    };
    const onError = (e: {
      conversationId: string;
      message: MessageResource;
      error: { code: string; message: string };
    }) => {
      if (e.conversationId === conversationId) finish({ kind: "error", message: e.message, error: e.error });
    };
    socket.on("assistant:delta", onDelta);
    socket.on("assistant:done", onDone);
    socket.on("assistant:error", onError);
  });
}

/** Resolves with the first event of that name matching the predicate. */
export function nextEvent<E extends keyof ServerToClientEvents>(
  socket: ChatClient,
  event: E,
  predicate: (payload: Parameters<ServerToClientEvents[E]>[0]) => boolean = () => true,
): Promise<Parameters<ServerToClientEvents[E]>[0]> {
  return new Promise((resolve) => {
    const listener = (payload: Parameters<ServerToClientEvents[E]>[0]) => {
      if (!predicate(payload)) return;
      (socket.off as (e: string, l: unknown) => void)(event, listener);
      resolve(payload);
    };
    (socket.on as (e: string, l: unknown) => void)(event, listener);
  });
}
