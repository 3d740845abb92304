/**
 * The terminal client example:
 *
 *   npm run client -- [--url http://localhost:3000] [--user alice] [--agent <agentId>] [--conversation <id>]
 *
 * Gets a development token, creates a conversation (or joins `--conversation`), then sends each
 * line read from stdin and prints the answer as it streams in. `/stop` stops the answer being
 * written, `/attach <path>` uploads a file that the next line sends (a line may then be empty: the
 * files alone), `/quit` (or the end of the input) exits; Ctrl+C stops an answer, or exits when idle.
 * Files in messages print as "[file name (type, size)]".
 * Lines are sent one at a time: the next waits for the previous answer, so piped input works too.
 * Like every face, it draws from the SDK's conversation handle and holds no protocol logic.
 */
import { openAsBlob } from "node:fs";
import { userInfo } from "node:os";
import path from "node:path";
import { createInterface, type Interface } from "node:readline";
import { parseArgs } from "node:util";
import type { Attachment } from "../sdk/attachments.js";
import { ConfabClient } from "../sdk/confab-client.js";
import type { ConversationHandle } from "../sdk/conversation-handle.js";
import { settled, type MessageView } from "../sdk/conversation-stream.js";
import { describeError } from "../sdk/errors.js";
import { formatSize } from "../sdk/file-types.js";
import { fetchDevToken } from "../sdk/rest-client.js";

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

const tty = process.stdout.isTTY && process.stdin.isTTY;
const dim = (text: string) => (process.stdout.isTTY ? `\x1b[2m${text}\x1b[0m` : text);
const out = (text: string) => process.stdout.write(text);
/** What others wrote, without the control characters that would drive the terminal (escapes). */
// eslint-disable-next-line no-control-regex -- those characters are what it removes
const printable = (text: string) => text.replace(/[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/g, "");
const note = (text: string) => out(dim(text) + "\n");

function fail(message: string): never {
  process.stderr.write(message + "\n");
  process.exit(1);
}

function describe(err: unknown): string {
  const cause = err instanceof Error && err.cause instanceof Error ? `: ${err.cause.message}` : "";
  return describeError(err) + cause;
}

async function main(): Promise<void> {
  const options = readOptions();
  if (options.help) {
    out(USAGE + "\n");
    return;
  }
  const { url, user } = options;
  const client = new ConfabClient({ url, getToken: () => fetchDevToken(url, user, user) });
  // A token that cannot be had, or a connection refused for good: nothing more can happen here.
  client.onError((err) => fail(`cannot stay connected to ${url}: ${describe(err)}`));
  await client.me().catch((err: unknown) => fail(`cannot get a token from ${url}: ${describe(err)}`));
  const conversationId = options.conversation ?? (await newConversation(client, options.agent));
  const handle = client.conversation(conversationId);
  await handle
    .ready()
    .catch((err: unknown) => fail(`cannot join conversation ${conversationId}: ${describe(err)}`));
  const printer = new Printer(handle.me);
  note(
    `conversation ${conversationId} · ${await agentLabel(client, handle)} · /attach <path> adds a file, /stop stops an answer, /quit exits`,
  );
  if (handle.hasEarlier) note("(earlier messages not shown)");
  printer.printHistory(handle.messages());
  handle.on("message", (view) => printer.changed(view));
  new Session(client, handle, printer).run();
}

/** Picks the agent (`--agent`, else the first active one) and creates a conversation with it. */
async function newConversation(client: ConfabClient, agentId: string | undefined): Promise<string> {
  const agents = await client.agents();
  const agent = agentId ? agents.find((a) => a.id === agentId) : agents[0];
  if (!agent) {
    const list = agents.map((a) => `  ${a.id}  ${a.name} (${a.provider}/${a.model})`).join("\n");
    fail(agentId ? `no active agent ${agentId}; agents:\n${list}` : "the server has no active agent");
  }
  return (await client.createConversation({ agentId: agent.id })).id;
}

async function agentLabel(client: ConfabClient, handle: ConversationHandle): Promise<string> {
  const agentId = handle.conversation?.agentId;
  const agent = (await client.agents().catch(() => [])).find((a) => a.id === agentId);
  return agent ? `${agent.name} (${agent.provider}/${agent.model})` : `agent ${agentId}`;
}

/** Reading lines and sending them one at a time; the connection's ups and downs noted. */
class Session {
  private readonly rl: Interface;
  private readonly queue: string[] = [];
  private busy = false;
  private quitting = false;

  constructor(
    private readonly client: ConfabClient,
    private readonly handle: ConversationHandle,
    private readonly printer: Printer,
  ) {
    this.rl = createInterface({ input: process.stdin, output: process.stdout, terminal: tty });
    this.rl.setPrompt("you> ");
    printer.onSettled = () => this.idle();
  }

  run(): void {
    let wasOnline = true;
    this.client.onStatus((status) => {
      if (status === "offline" && wasOnline && !this.quitting) note("(disconnected)");
      if (status === "online" && !wasOnline) note("(reconnected)");
      wasOnline = status === "online";
    });
    this.handle.on("deleted", () => {
      note("(the conversation was deleted)");
      this.quit(0);
    });
    this.rl.on("line", (line) => this.line(line));
    // End of input: finish what was queued, then leave.
    this.rl.on("close", () => {
      if (this.quitting) return;
      this.queue.push("/quit");
      void this.pump();
    });
    this.rl.on("SIGINT", () => {
      if (this.handle.busy) void this.stop();
      else this.quit(130);
    });
    this.idle();
  }

  /** /stop acts at once (it is meant for the answer being written); everything else waits its turn. */
  private line(line: string): void {
    if (line.trim() === "/stop") {
      void this.stop();
      return;
    }
    this.queue.push(line);
    void this.pump();
  }

  /** Shows the prompt when nothing is being sent or written. */
  private idle(): void {
    if (tty && !this.busy && !this.quitting && !this.handle.busy) this.rl.prompt();
  }

  private async pump(): Promise<void> {
    if (this.busy) return;
    this.busy = true;
    try {
      for (let line = this.queue.shift(); line !== undefined; line = this.queue.shift()) {
        const content = line.trim();
        if (content === "/quit") return this.quit(0);
        if (content.startsWith("/attach ")) await this.attach(content.slice("/attach ".length).trim());
        else if (content.startsWith("/")) note("(commands: /attach <path>, /stop, /quit)");
        else if (content || this.handle.attachments.length > 0) await this.send(content);
      }
    } catch (err) {
      note(`(error: ${describe(err)})`);
    } finally {
      this.busy = false;
      this.idle();
    }
  }

  /** Uploads a file for the next line to send; tells when it is uploaded, or why it was refused. */
  private async attach(filePath: string): Promise<void> {
    let blob: Blob;
    try {
      blob = await openAsBlob(filePath);
    } catch (err) {
      note(`(cannot read ${filePath}: ${describe(err)})`);
      return;
    }
    const name = path.basename(filePath);
    const { localId } = this.handle.attach(blob, name);
    note(`(uploading ${name}, ${formatSize(blob.size)}…)`);
    // Lines wait their turn: the next one is sent once this file is uploaded (or refused).
    const ended = await new Promise<Attachment | undefined>((resolve) => {
      const check = (list: readonly Attachment[]) => {
        const attachment = list.find((a) => a.localId === localId);
        if (attachment?.status === "uploading") return false;
        off();
        resolve(attachment);
        return true;
      };
      const off = this.handle.on("attachments", (list) => void check(list));
      // It may have failed at once (one file too many).
      check(this.handle.attachments);
    });
    if (ended?.status === "uploaded") note(`(${name} attached: the next line sends it)`);
    else if (ended) {
      note(`(${name} not uploaded: ${describe(ended.error)})`);
      this.handle.detach(localId);
    }
  }

  private async send(content: string): Promise<void> {
    if (!tty) out(`you> ${content}\n`);
    try {
      const sent = await this.handle.send(content);
      if (sent.duplicate) note("(already sent)");
      if (sent.assistantMessageId) await this.printer.settledPromise(sent.assistantMessageId);
    } catch (err) {
      note(`(not sent: ${describe(err)})`);
    }
  }

  private async stop(): Promise<void> {
    try {
      if (!(await this.handle.stop())) note("(nothing to stop)");
    } catch (err) {
      note(`(stop failed: ${describe(err)})`);
    }
  }

  private quit(code: number): void {
    if (this.quitting) return;
    this.quitting = true;
    this.rl.close();
    this.client.close();
    process.exitCode = code;
    // Nothing should keep the process alive now; make sure of it.
    setTimeout(() => process.exit(code), 1000).unref();
  }
}

/** Prints messages as the handle changes them: each answer's new text as it arrives. */
class Printer {
  onSettled: () => void = () => {};
  /** Client message ids sent from here: their text is already on screen. */
  private readonly mine = new Set<string>();
  private readonly printed = new Map<string, string>();
  /** Answers told to be waiting for a decision on their tool calls (told once; they go on after). */
  private readonly waitingNoted = new Set<string>();
  private readonly done = new Set<string>();
  private readonly waiting = new Map<string, () => void>();
  private open: string | null = null;
  private history = false;
  /** The highest seq printed. */
  private newest = 0;

  constructor(private readonly me: string | null) {}

  /** The messages there before: printed as a transcript, without the answers' streaming. */
  printHistory(views: MessageView[]): void {
    this.history = true;
    for (const view of views) this.changed(view);
    this.history = false;
  }

  changed(view: MessageView): void {
    if (view.status === "sending") {
      if (view.clientMessageId) this.mine.add(view.clientMessageId);
      return;
    }
    if (this.done.has(view.key)) return;
    if (this.isOlder(view)) return;
    if (view.role === "user") this.question(view);
    else this.answer(view);
  }

  /**
   * A transcript prints what happens as it happens: an ended message older than what was printed
   * (the path of a version another tab switched to, fetched now) is history, not news.
   */
  private isOlder(view: MessageView): boolean {
    if (view.seq !== null) {
      if (!this.history && settled(view.status) && view.seq < this.newest && !this.printed.has(view.key)) {
        this.done.add(view.key);
        return true;
      }
      this.newest = Math.max(this.newest, view.seq);
    }
    return false;
  }

  /** Resolves once the answer has ended (at once if it already has). */
  settledPromise(messageId: string): Promise<void> {
    if (this.done.has(messageId)) return Promise.resolve();
    return new Promise((resolve) => this.waiting.set(messageId, resolve));
  }

  private question(view: MessageView): void {
    this.done.add(view.key);
    if (view.clientMessageId && this.mine.has(view.clientMessageId)) return;
    this.closeOpen();
    const mine = view.author === null || view.author.id === this.me;
    const who = mine ? (this.history ? "you" : "you (elsewhere)") : printable(view.author!.name);
    const files = view.parts.flatMap((p) =>
      p.type === "file" ? [`[file ${printable(p.name)} (${p.mediaType}, ${formatSize(p.size)})]`] : [],
    );
    out(`${who}> ${[...files, printable(view.content)].filter(Boolean).join(" ")}\n`);
  }

  private answer(view: MessageView): void {
    const shown = this.printed.get(view.key);
    if (shown === undefined) {
      this.closeOpen();
      out(view.role === "assistant" ? "assistant> " : "system> ");
      this.open = view.key;
    }
    const before = shown ?? "";
    if (view.content.startsWith(before)) out(printable(view.content.slice(before.length)));
    else out(`\n${dim("(corrected)")} ${printable(view.content)}`);
    this.printed.set(view.key, view.content);
    if (view.status === "saving") out(` ${dim("[saving: the server stores it once its database is back]")}`);
    else if (view.status === "awaiting_approval") {
      if (!this.waitingNoted.has(view.key)) out(` ${dim("[waiting for approval of a tool call]")}`);
      this.waitingNoted.add(view.key);
    } else if (view.status !== "streaming") this.settle(view);
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
