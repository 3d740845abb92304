import { io, type Socket } from "socket.io-client";
import type {
  Ack,
  ActivityEvent,
  ActivityType,
  AdminClientToServerEvents,
  AdminServerToClientEvents,
  AssistantDeltaEvent,
  ClientToServerEvents,
  ServerToClientEvents,
} from "../../src/protocol/index.js";
import type { MessageResource } from "../../src/conversations/resources.js";

export type ChatClient = Socket<ServerToClientEvents, ClientToServerEvents>;
export type AdminClient = Socket<AdminServerToClientEvents, AdminClientToServerEvents>;

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
  return open<ChatClient>(`${url}/chat`, token, listen);
}

/** Connects a socket of that namespace without reconnecting, `listen` first; refused: rejects and closes. */
function open<S extends Socket>(
  namespaceUrl: string,
  token: string | undefined,
  listen: (socket: S) => void,
): Promise<S> {
  const socket = io(namespaceUrl, {
    auth: token === undefined ? {} : { token },
    transports: ["websocket"],
    reconnection: false,
    forceNew: true,
    autoConnect: false,
  }) as S;
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

/**
 * The tabs a suite opens: each a `/chat` connection, kept so that one `closeAll()` (in an `afterEach`)
 * closes them all, whatever the test did.
 */
export class Tabs {
  private readonly open: ChatClient[] = [];

  /** A tab connected to `url` with `token`; `listen` attaches listeners before it connects (see `connect`). */
  async connect(url: string, token: string, listen?: (socket: ChatClient) => void): Promise<ChatClient> {
    return this.keep(await connect(url, token, listen));
  }

  /** Keeps a socket opened some other way, to close it with the others. */
  keep<S extends ChatClient>(socket: S): S {
    this.open.push(socket);
    return socket;
  }

  closeAll(): void {
    for (const socket of this.open.splice(0)) socket.close();
  }
}

/**
 * A real socket.io-client connection to `/admin` (the operators' feed), resolved once connected;
 * `listen` attaches listeners before the connection opens, as for `connect`.
 */
export function connectAdmin(
  url: string,
  token: string,
  listen: (socket: AdminClient) => void = () => undefined,
): Promise<AdminClient> {
  return open<AdminClient>(`${url}/admin`, token, listen);
}

/** The refusal of a handshake: `{message, data}` of the connect_error, on `/chat` or `/admin`. */
export async function refusal(
  url: string,
  token: string | undefined,
  namespace: "/chat" | "/admin" = "/chat",
): Promise<{ message: string; code: unknown }> {
  try {
    const socket = namespace === "/chat" ? await connect(url, token) : await connectAdmin(url, token ?? "");
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

/** Resolves with the first activity of that type on the `/admin` feed. */
export function nextActivity(feed: AdminClient, type: ActivityType): Promise<ActivityEvent> {
  return new Promise((resolve) => {
    const listener = (event: ActivityEvent) => {
      if (event.type !== type) return;
      feed.off("activity", listener);
      resolve(event);
    };
    feed.on("activity", listener);
  });
}

/** Resolves when the socket is disconnected, with the reason. */
export function disconnection(socket: Socket): Promise<string> {
  return new Promise((resolve) => socket.once("disconnect", (reason) => resolve(reason)));
}

/** The text of the answers a tab is sent, as it grows (every conversation's deltas, in order). */
export interface SeenText {
  text(): string;
  /** Resolves once the tab has been sent at least that many characters. */
  reached: Promise<void>;
}

/**
 * Follows the text the tab is sent until it holds `chars` characters: the moment the deltas that the
 * server coalesces have really gone out, which a join's snapshot or a checkpoint may then include.
 */
export function seenText(socket: ChatClient, chars: number): SeenText {
  let text = "";
  let resolve!: () => void;
  const reached = new Promise<void>((r) => (resolve = r));
  socket.on("assistant:delta", (d) => {
    text += d.delta;
    if (text.length >= chars) resolve();
  });
  return { text: () => text, reached };
}

/**
 * Resolves true if the event (matching the predicate) arrives within `ms`, false otherwise. Used to
 * prove that nothing comes: an absence can only be watched for a while, so the caller picks a period
 * comfortably longer than the event would take if it were sent.
 */
export function arrivesWithin<E extends keyof ServerToClientEvents>(
  socket: ChatClient,
  event: E,
  ms: number,
  predicate: (payload: Parameters<ServerToClientEvents[E]>[0]) => boolean = () => true,
): Promise<boolean> {
  return new Promise<boolean>((resolve) => {
    const listener = (payload: Parameters<ServerToClientEvents[E]>[0]) => {
      if (!predicate(payload)) return;
      clearTimeout(timer);
      (socket.off as (e: string, l: unknown) => void)(event, listener);
      resolve(true);
    };
    const timer = setTimeout(() => {
      (socket.off as (e: string, l: unknown) => void)(event, listener);
      resolve(false);
    }, ms);
    (socket.on as (e: string, l: unknown) => void)(event, listener);
  });
}
