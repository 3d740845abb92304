/**
 * The terminal client example:
 *
 *   npm run client -- [--url http://localhost:3000] [--user alice] [--agent <agentId>] [--conversation <id>]
 *
 * Gets a development token, creates a conversation (or joins `--conversation`), then sends each
 * line read from stdin and prints the answer as it streams in. `/stop` stops the answer being
 * written, `/quit` (or the end of the input) exits; Ctrl+C stops an answer, or exits when idle.
 * Lines are sent one at a time: the next waits for the previous answer, so piped input works too.
 */
import { randomUUID } from "node:crypto";
import { userInfo } from "node:os";
import { createInterface } from "node:readline";
import { parseArgs } from "node:util";
import { io } from "socket.io-client";
import type { AgentResource, ConversationResource, JoinResult, SendResult } from "../src/protocol/index.js";
import {
  Api,
  ApiError,
  ConversationStream,
  fetchDevToken,
  request,
  subscribe,
  type ChatSocket,
  type MessageView,
} from "../sdk/chat-client.js";

const USAGE =
  "usage: npm run client -- [--url http://localhost:3000] [--user alice] [--agent <agentId>] [--conversation <id>]";

function defaultUser(): string {
  try {
    return userInfo().username || "terminal";
  } catch {
    return "terminal";
  }
}

function readOptions() {
  try {
    return parseArgs({
      options: {
        url: { type: "string", default: "http://localhost:3000" },
        user: { type: "string", default: defaultUser() },
        agent: { type: "string" },
        conversation: { type: "string" },
        help: { type: "boolean", short: "h", default: false },
      },
      strict: true,
    }).values;
  } catch (err) {
    process.stderr.write(`${err instanceof Error ? err.message : String(err)}\n${USAGE}\n`);
    process.exit(2);
  }
}
const options = readOptions();

const tty = process.stdout.isTTY && process.stdin.isTTY;
const dim = (text: string) => (process.stdout.isTTY ? `\x1b[2m${text}\x1b[0m` : text);
const out = (text: string) => process.stdout.write(text);
const note = (text: string) => out(dim(text) + "\n");

function fail(message: string): never {
  process.stderr.write(message + "\n");
  process.exit(1);
}

function describe(err: unknown): string {
  if (err instanceof ApiError) return `${err.message} (${err.code})`;
  if (err instanceof Error) {
    const cause = err.cause instanceof Error ? `: ${err.cause.message}` : "";
    return err.message + cause;
  }
  return String(err);
}

async function main(): Promise<void> {
  if (options.help) {
    out(USAGE + "\n");
    return;
  }
  const baseUrl = options.url;
  const user = options.user;
  const renew = async () => {
    token = await fetchDevToken(baseUrl, user, user);
    api.setToken(token);
    socket.auth = { token };
    return token;
  };
  let token = await fetchDevToken(baseUrl, user, user).catch((err: unknown) =>
    fail(`cannot get a token from ${baseUrl}: ${describe(err)}`),
  );
  const api = new Api(baseUrl, token, renew);

  const conversationId = options.conversation ?? (await newConversation(api, options.agent));

  // Every listener is attached before the connection opens (connect() below): the server may send an
  // event (auth:expiring) right after the handshake.
  const socket: ChatSocket = io(baseUrl + "/chat", {
    auth: { token },
    transports: ["websocket"],
    autoConnect: false,
  });
  const printer = new Printer();
  const stream = new ConversationStream(conversationId, printer);
  subscribe(socket, () => stream);

  let joinedOnce = false;
  let quitting = false;
  const connected = new Set<() => void>();
  socket.on("connect", () => {
    void (async () => {
      const afterSeq = joinedOnce ? stream.afterSeq() : undefined;
      stream.beginJoin();
      const ack = await request(
        socket,
        "conversation:join",
        afterSeq === undefined ? { conversationId } : { conversationId, afterSeq },
      );
      if (!ack.ok) {
        stream.abandonJoin();
        fail(`cannot join conversation ${conversationId}: ${ack.error.message} (${ack.error.code})`);
      }
      const joined: JoinResult = ack.data;
      if (!joinedOnce) {
        const agentName = await agentLabel(api, joined.conversation.agentId);
        note(`conversation ${joined.conversation.id} · ${agentName} · /stop stops an answer, /quit exits`);
        if (joined.hasMore) note("(earlier messages not shown)");
      } else {
        note("(reconnected)");
      }
      printer.history = true;
      stream.applyJoin(joined, afterSeq === undefined);
      printer.history = false;
      joinedOnce = true;
      for (const resolve of connected) resolve();
      connected.clear();
      input.idle();
    })();
  });
  socket.on("disconnect", (reason) => {
    if (quitting) return;
    note(`(disconnected: ${reason})`);
    if (reason === "io server disconnect") {
      renew().then(
        () => socket.connect(),
        (err: unknown) => fail(`cannot renew the token: ${describe(err)}`),
      );
    }
  });
  socket.on("connect_error", (err) => {
    if (socket.active) return; // Socket.IO retries network failures by itself.
    if (err.message === "unauthorized" && joinedOnce) {
      renew().then(
        () => socket.connect(),
        (e: unknown) => fail(`cannot renew the token: ${describe(e)}`),
      );
    } else {
      fail(`cannot connect to ${baseUrl}/chat: ${err.message}`);
    }
  });
  socket.on("auth:expiring", () => {
    void renew()
      .then((fresh) => request(socket, "auth:refresh", { token: fresh }))
      .then((ack) => {
        if (!ack.ok) note(`(token renewal refused: ${ack.error.message})`);
      });
  });
  socket.on("conversation:deleted", (e) => {
    if (e.conversationId === conversationId) {
      note("(the conversation was deleted)");
      quit(0);
    }
  });

  socket.connect();

  const waitConnected = () =>
    socket.connected && joinedOnce
      ? Promise.resolve()
      : new Promise<void>((resolve) => connected.add(resolve));

  // -- Input -----------------------------------------------------------------------------------

  const rl = createInterface({ input: process.stdin, output: process.stdout, terminal: tty });
  rl.setPrompt("you> ");
  const queue: string[] = [];
  let busy = false;

  const input = {
    /** Shows the prompt when nothing is being sent or written. */
    idle() {
      if (tty && !busy && !quitting && joinedOnce && !stream.streaming()) rl.prompt();
    },
  };
  printer.onSettled = () => input.idle();

  function quit(code: number): void {
    if (quitting) return;
    quitting = true;
    rl.close();
    socket.disconnect();
    process.exitCode = code;
    // Nothing should keep the process alive now; make sure of it.
    setTimeout(() => process.exit(code), 1000).unref();
  }

  async function stop(): Promise<void> {
    const ack = await request(socket, "generation:stop", { conversationId });
    if (!ack.ok) note(`(stop failed: ${ack.error.message} (${ack.error.code}))`);
    else if (!ack.data.stopped) note("(nothing to stop)");
  }

  async function sendLine(content: string): Promise<void> {
    await waitConnected();
    const clientMessageId = randomUUID();
    printer.mine.add(clientMessageId);
    if (!tty) out(`you> ${content}\n`);
    const ack = await request(socket, "message:send", { conversationId, content, clientMessageId });
    if (!ack.ok) {
      const retry = ack.error.retryAfterMs ? `, retry in ${Math.ceil(ack.error.retryAfterMs / 1000)} s` : "";
      note(`(not sent: ${ack.error.message} (${ack.error.code})${retry})`);
      return;
    }
    const sent: SendResult = ack.data;
    if (sent.duplicate) note("(already sent)");
    stream.applySent(sent.message, sent.assistantMessageId);
    if (sent.assistantMessageId) await printer.settledPromise(sent.assistantMessageId);
  }

  async function pump(): Promise<void> {
    if (busy) return;
    busy = true;
    try {
      // Nothing happens before the conversation is joined, not even a /quit: a failed join must show.
      await waitConnected();
      for (let line = queue.shift(); line !== undefined; line = queue.shift()) {
        const content = line.trim();
        if (content === "/quit") return quit(0);
        if (!content) continue;
        if (content.startsWith("/")) {
          note("(commands: /stop, /quit)");
          continue;
        }
        await sendLine(content);
      }
    } catch (err) {
      note(`(error: ${describe(err)})`);
    } finally {
      busy = false;
      input.idle();
    }
  }

  rl.on("line", (line) => {
    // /stop acts at once (it is meant for the answer being written); everything else waits its turn.
    if (line.trim() === "/stop") {
      void stop();
      return;
    }
    queue.push(line);
    void pump();
  });
  rl.on("close", () => {
    // End of input: finish what was queued, then leave.
    if (quitting) return;
    queue.push("/quit");
    void pump();
  });
  rl.on("SIGINT", () => {
    if (stream.streaming()) void stop();
    else quit(130);
  });
}

/** Picks the agent (`--agent`, else the first active one) and creates a conversation with it. */
async function newConversation(api: Api, agentId: string | undefined): Promise<string> {
  const agents = await api.call<AgentResource[]>("GET", "/agents");
  const agent = agentId ? agents.find((a) => a.id === agentId) : agents[0];
  if (!agent) {
    const list = agents.map((a) => `  ${a.id}  ${a.name} (${a.provider}/${a.model})`).join("\n");
    fail(agentId ? `no active agent ${agentId}; agents:\n${list}` : "the server has no active agent");
  }
  const conversation = await api.call<ConversationResource>("POST", "/conversations", { agentId: agent.id });
  return conversation.id;
}

async function agentLabel(api: Api, agentId: string): Promise<string> {
  try {
    const agents = await api.call<AgentResource[]>("GET", "/agents");
    const agent = agents.find((a) => a.id === agentId);
    return agent ? `${agent.name} (${agent.provider}/${agent.model})` : `agent ${agentId}`;
  } catch {
    return `agent ${agentId}`;
  }
}

/** Prints messages as the stream changes them: each answer's new text as it arrives. */
class Printer {
  /** Client message ids sent from here: their text is already on screen. */
  readonly mine = new Set<string>();
  /** True while a join's messages are merged: they are history, not news from another tab. */
  history = false;
  onSettled: () => void = () => {};
  private readonly printed = new Map<string, string>();
  private readonly done = new Set<string>();
  private readonly waiting = new Map<string, () => void>();
  private open: string | null = null;

  changed(view: MessageView): void {
    if (view.status === "sending" || this.done.has(view.key)) return;
    if (view.role === "user") {
      this.done.add(view.key);
      if (view.clientMessageId && this.mine.has(view.clientMessageId)) return;
      this.closeOpen();
      out(`${this.history ? "you" : "you (elsewhere)"}> ${view.content}\n`);
      return;
    }
    const shown = this.printed.get(view.key);
    if (shown === undefined) {
      this.closeOpen();
      out(view.role === "assistant" ? "assistant> " : "system> ");
      this.open = view.key;
    }
    const before = shown ?? "";
    if (view.content.startsWith(before)) out(view.content.slice(before.length));
    else out(`\n${dim("(corrected)")} ${view.content}`);
    this.printed.set(view.key, view.content);
    if (view.status === "saving") out(` ${dim("[saving: the server stores it once its database is back]")}`);
    else if (view.status !== "streaming") this.settle(view);
  }

  removed(_key: string): void {}

  /** A transcript prints what happens as it happens: another branch's messages print as they come. */
  pathChanged(): void {}

  /** Resolves once the answer has ended (at once if it already has). */
  settledPromise(messageId: string): Promise<void> {
    if (this.done.has(messageId)) return Promise.resolve();
    return new Promise((resolve) => this.waiting.set(messageId, resolve));
  }

  private settle(view: MessageView): void {
    this.done.add(view.key);
    if (this.open === view.key) this.open = null;
    let tail = "\n";
    if (view.status !== "complete") {
      const reason = view.error ? `: ${view.error.message}` : "";
      tail = ` ${dim(`[${view.status === "cancelled" ? "stopped" : view.status}${reason}]`)}\n`;
    }
    out(tail);
    this.printed.delete(view.key);
    this.waiting.get(view.key)?.();
    this.waiting.delete(view.key);
    this.onSettled();
  }

  /** Ends a half-printed answer's line before printing something else. */
  private closeOpen(): void {
    if (this.open !== null) {
      out("\n");
      this.open = null;
    }
  }
}

main().catch((err: unknown) => fail(describe(err)));
