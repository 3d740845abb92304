/**
 * `ConfabChatTransport`: the AI SDK's `ChatTransport` over Confab (PROTOCOL.md section 9), so that
 * `useChat({id: conversationId, transport})` talks to a Confab conversation: a submitted message is
 * sent (and its answer streamed as UI message chunks), a regenerate asks Confab for a new version,
 * aborting stops the answer for every tab, and `reconnectToStream` picks up the answer being written
 * after a reload, on any node. An answer's reasoning, tool calls and sources arrive as their own chunks
 * (`UIChunkMapper`); an answer waiting for a decision ends its stream there, and the decision given
 * through `addToolApprovalResponse` (with `sendAutomaticallyWhen:
 * lastAssistantMessageIsCompleteWithApprovalResponses`) reaches Confab as `tool:decide`. Only the `ai`
 * package's types are used: nothing of it is bundled.
 */
import type { ChatTransport, FileUIPart, UIMessage, UIMessageChunk } from "ai";
import type { MessagePart } from "../src/protocol/index.js";
import { ConfabClient, type ConfabClientOptions } from "./confab-client.js";
import type { ConversationHandle } from "./conversation-handle.js";
import { settled, type MessageView } from "./conversation-stream.js";
import { blobFromUrl } from "./blob-from-url.js";
import { ConfabError } from "./errors.js";
import { UIChunkMapper, confabFileId, uiParts } from "./ui-chunks.js";

export type ConfabChatTransportOptions = ConfabClientOptions | { client: ConfabClient };

export class ConfabChatTransport<
  UI_MESSAGE extends UIMessage = UIMessage,
> implements ChatTransport<UI_MESSAGE> {
  readonly client: ConfabClient;
  /**
   * The parts sent of answers whose stream ended to wait for a decision: if someone else decides (in
   * another tab, the widget), `resumeStream()` continues the UI message from there.
   */
  private readonly waiting = new Map<string, readonly MessagePart[]>();

  constructor(options: ConfabChatTransportOptions) {
    this.client = "client" in options ? options.client : new ConfabClient(options);
  }

  async sendMessages(options: {
    trigger: "submit-message" | "regenerate-message";
    chatId: string;
    messageId: string | undefined;
    messages: UI_MESSAGE[];
    abortSignal: AbortSignal | undefined;
  }): Promise<ReadableStream<UIMessageChunk>> {
    const handle = this.client.conversation(options.chatId);
    await handle.ready();
    const held = handle.messages();
    const decisions = approvalResponses(options.messages.at(-1));
    if (options.trigger === "submit-message" && decisions) {
      return this.decide(handle, decisions, options.abortSignal);
    }
    let answerId: string | null;
    if (options.trigger === "submit-message") {
      const last = options.messages.findLast((m) => m.role === "user");
      const text = (last?.parts ?? []).flatMap((p) => (p.type === "text" ? [p.text] : [])).join("");
      const files = (last?.parts ?? []).filter((p): p is FileUIPart => p.type === "file");
      if (!text.trim() && files.length === 0)
        throw new ConfabError({ code: "validation_failed", message: "the message has no text" });
      // `sendMessage({text, messageId})` replaces a message: in Confab, a new version of it (an edit).
      const edited = options.messageId
        ? held.find((m) => m.id === options.messageId && m.role === "user")
        : undefined;
      // The message's files, uploaded first; the handle's own attachments are left alone.
      const fileIds = await this.upload(handle, files, edited !== undefined, options.abortSignal);
      answerId = edited
        ? (await handle.edit(edited.id!, text, { fileIds })).assistantMessageId
        : (await handle.send(text, { fileIds })).assistantMessageId;
    } else {
      // The answer to regenerate: the one named; for a question named, its answer on the path; else
      // the last answer of the path.
      const named = held.findIndex((m) => m.id === options.messageId);
      const target =
        (named >= 0 ? held.slice(named).find((m) => m.role === "assistant")?.id : undefined) ??
        held.findLast((m) => m.role === "assistant")?.id;
      if (!target)
        throw new ConfabError({ code: "validation_failed", message: "there is no answer to regenerate" });
      answerId = await handle.regenerate(target);
    }
    return this.stream(handle, { answerId, abortSignal: options.abortSignal });
  }

  /**
   * Uploads the files of a UI message (`sendMessage({text, files})`: `data:` or `blob:` URLs) and gives
   * their ids. A file that came from Confab goes by its id in an edit (the server takes back the
   * edited message's files); in a new message it is read again through a fresh link and uploaded
   * again, since the server takes only files not yet sent.
   */
  private upload(
    handle: ConversationHandle,
    files: readonly FileUIPart[],
    edit: boolean,
    signal: AbortSignal | undefined,
  ): Promise<string[]> {
    return Promise.all(
      files.map(async (part) => {
        const stored = confabFileId(part);
        if (stored && edit) return stored;
        const url = stored ? await this.client.fileUrl(stored) : part.url;
        const blob = await blobFromUrl(url);
        const file = await handle.upload(blob, {
          ...(part.filename ? { name: part.filename } : {}),
          ...(signal ? { signal } : {}),
        });
        return file.id;
      }),
    );
  }

  private stream(handle: ConversationHandle, from: StreamStart): ReadableStream<UIMessageChunk> {
    if (from.answerId !== null) this.waiting.delete(from.answerId);
    return answerStream(handle, from, (id, parts) => this.waiting.set(id, parts));
  }

  /**
   * `addToolApprovalResponse` (with `sendAutomaticallyWhen:
   * lastAssistantMessageIsCompleteWithApprovalResponses`): each decision goes to Confab as
   * `tool:decide`, and the same answer streams on from where the UI message is. A decision someone
   * else took first (`conflict`) is theirs: the answer goes on with it.
   */
  private async decide(
    handle: ConversationHandle,
    responses: ApprovalResponses,
    abortSignal: AbortSignal | undefined,
  ): Promise<ReadableStream<UIMessageChunk>> {
    const view = handle.messages().find((m) => m.id === responses.messageId);
    const seeded = view?.parts ?? [];
    for (const { toolCallId, approved, reason } of responses.decisions) {
      const pending = seeded.some(
        (p) => p.type === "tool" && p.toolCallId === toolCallId && p.state === "approval-requested",
      );
      if (!pending) continue;
      try {
        await handle.decide(responses.messageId, toolCallId, approved, reason);
      } catch (err) {
        if (!(err instanceof ConfabError && err.code === "conflict")) throw err;
      }
    }
    return this.stream(handle, { answerId: responses.messageId, abortSignal, seeded });
  }

  /**
   * The conversation so far as UI messages (the path shown, for `useChat({messages})`), without an
   * answer still being written: `reconnectToStream` (`useChat({resume: true})`) brings that one.
   */
  async messages(chatId: string): Promise<UI_MESSAGE[]> {
    const handle = this.client.conversation(chatId);
    await handle.ready();
    const shown = handle.messages().filter((m) => m.id !== null && m.role !== "system" && settled(m.status));
    const fileUrls = await this.fileUrls(shown.flatMap((m) => m.parts));
    return shown.map(
      (m) =>
        ({
          id: m.id!,
          role: m.role,
          parts: uiParts(m.parts, m.role === "assistant", fileUrls),
        }) as unknown as UI_MESSAGE,
    );
  }

  /** The signed links of the files among these parts (a file whose link cannot be had gets none). */
  private async fileUrls(parts: readonly MessagePart[]): Promise<Map<string, string>> {
    const ids = [...new Set(parts.flatMap((p) => (p.type === "file" ? [p.fileId] : [])))];
    const urls = await Promise.all(ids.map((id) => this.client.fileUrl(id).catch(() => "")));
    return new Map(ids.map((id, i) => [id, urls[i]!]));
  }

  /** The answer being written in the conversation, from its start; null when none is. */
  async reconnectToStream(options: {
    chatId: string;
    abortSignal?: AbortSignal;
  }): Promise<ReadableStream<UIMessageChunk> | null> {
    const handle = this.client.conversation(options.chatId);
    await handle.ready();
    // Being written, waiting for a decision, or ended and being stored (`saving`): the answer to come.
    const writing = handle.messages().find((m) => m.role === "assistant" && !settled(m.status));
    if (!writing?.id) return null;
    const seeded = this.waiting.get(writing.id);
    return this.stream(handle, {
      answerId: writing.id,
      abortSignal: options.abortSignal,
      ...(seeded ? { seeded } : {}),
    });
  }
}

/** The decisions `addToolApprovalResponse` put on the last assistant message, if it has any. */
interface ApprovalResponses {
  messageId: string;
  decisions: { toolCallId: string; approved: boolean; reason?: string }[];
}

/** A tool part of a UI message (static `tool-<name>` or `dynamic-tool`) in `approval-responded`. */
function approvalResponses(last: UIMessage | undefined): ApprovalResponses | null {
  if (!last || last.role !== "assistant") return null;
  const decisions: ApprovalResponses["decisions"] = [];
  for (const part of last.parts) {
    if (!("toolCallId" in part) || !("state" in part) || part.state !== "approval-responded") continue;
    const { approval } = part;
    decisions.push({
      // Confab's approval id is the tool call's id.
      toolCallId: approval.id,
      approved: approval.approved,
      ...(approval.reason === undefined ? {} : { reason: approval.reason }),
    });
  }
  return decisions.length > 0 ? { messageId: last.id, decisions } : null;
}

/** How an answer stream begins: from the start, or continuing parts the UI message already holds. */
interface StreamStart {
  answerId: string | null;
  abortSignal: AbortSignal | undefined;
  /** The parts already sent to the UI message (a continuation after an approval). */
  seeded?: readonly MessagePart[];
}

/**
 * An answer as UI message chunks: `start` (with Confab's message id), then its parts as they grow
 * (`UIChunkMapper`), then `finish`, `abort` (stopped) or `error` (with the contract's code). An answer
 * that stops to wait for a decision ends its stream with `finish` (`tool-calls`): the decision, given
 * through `addToolApprovalResponse`, comes back as a new `sendMessages` that continues it.
 */
function answerStream(
  handle: ConversationHandle,
  from: StreamStart,
  waits: (answerId: string, sent: readonly MessagePart[]) => void,
): ReadableStream<UIMessageChunk> {
  const { answerId, abortSignal } = from;
  let off = () => {};
  return new ReadableStream<UIMessageChunk>({
    start(controller) {
      if (answerId === null) {
        // Nobody answers (`assistantMode` manual or off): an empty turn.
        controller.enqueue({ type: "start" });
        controller.enqueue({ type: "finish" });
        controller.close();
        return;
      }
      const mapper = new UIChunkMapper(answerId);
      if (from.seeded) mapper.seed(from.seeded);
      controller.enqueue({ type: "start", messageId: answerId });
      const step = (view: MessageView | undefined) => {
        if (!view) return;
        for (const chunk of mapper.update(view.parts)) controller.enqueue(chunk);
        const waiting = view.status === "awaiting_approval";
        if (!waiting && !settled(view.status)) return;
        off();
        if (waiting) waits(answerId, view.parts);
        for (const chunk of mapper.end()) controller.enqueue(chunk);
        for (const chunk of endChunks(view)) controller.enqueue(chunk);
        controller.close();
      };
      const find = () => handle.messages().find((m) => m.id === answerId);
      off = handle.on("change", () => step(find()));
      step(find());
      // Stopped before the answer was even known (the signal already aborted), or later.
      if (abortSignal?.aborted) void handle.stop().catch(() => undefined);
      else
        abortSignal?.addEventListener("abort", () => void handle.stop().catch(() => undefined), {
          once: true,
        });
    },
    cancel() {
      off();
    },
  });
}

/** The last chunk of an answer's stream, from how it ended (or that it waits for a decision). */
function endChunks(view: MessageView): UIMessageChunk[] {
  switch (view.status) {
    case "complete":
      return [{ type: "finish", finishReason: "stop" }];
    case "awaiting_approval":
      return [{ type: "finish", finishReason: "tool-calls" }];
    case "cancelled":
      return [{ type: "abort", reason: "stopped" }];
    default: {
      const error = view.error ?? { code: view.status, message: `the answer ended ${view.status}` };
      return [{ type: "error", errorText: `${error.code}: ${error.message}` }];
    }
  }
}
