/**
 * `ConfabChatTransport`: the AI SDK's `ChatTransport` over Confab (PROTOCOL.md section 9), so that
 * `useChat({id: conversationId, transport})` talks to a Confab conversation: a submitted message is
 * sent (and its answer streamed as UI message chunks), a regenerate asks Confab for a new version,
 * aborting stops the answer for every tab, and `reconnectToStream` picks up the answer being written
 * after a reload, on any node. Only the `ai` package's types are used: nothing of it is bundled.
 */
import type { ChatTransport, UIMessage, UIMessageChunk } from "ai";
import { ConfabClient, type ConfabClientOptions } from "./confab-client.js";
import type { ConversationHandle } from "./conversation-handle.js";
import type { MessageView } from "./conversation-stream.js";
import { ConfabError } from "./errors.js";

export type ConfabChatTransportOptions = ConfabClientOptions | { client: ConfabClient };

export class ConfabChatTransport<
  UI_MESSAGE extends UIMessage = UIMessage,
> implements ChatTransport<UI_MESSAGE> {
  readonly client: ConfabClient;

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
    let answerId: string | null;
    if (options.trigger === "submit-message") {
      const last = options.messages.findLast((m) => m.role === "user");
      const text = (last?.parts ?? []).flatMap((p) => (p.type === "text" ? [p.text] : [])).join("");
      if (!text.trim())
        throw new ConfabError({ code: "validation_failed", message: "the message has no text" });
      // `sendMessage({text, messageId})` replaces a message: in Confab, a new version of it (an edit).
      const edited = options.messageId
        ? held.find((m) => m.id === options.messageId && m.role === "user")
        : undefined;
      answerId = edited
        ? (await handle.edit(edited.id!, text)).assistantMessageId
        : (await handle.send(text)).assistantMessageId;
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
    return answerStream(handle, answerId, options.abortSignal);
  }

  /**
   * The conversation so far as UI messages (the path shown, for `useChat({messages})`), without an
   * answer still being written: `reconnectToStream` (`useChat({resume: true})`) brings that one.
   */
  async messages(chatId: string): Promise<UI_MESSAGE[]> {
    const handle = this.client.conversation(chatId);
    await handle.ready();
    return handle
      .messages()
      .filter(
        (m) => m.id !== null && m.role !== "system" && m.status !== "streaming" && m.status !== "saving",
      )
      .map(
        (m) =>
          ({ id: m.id!, role: m.role, parts: [{ type: "text", text: m.content }] }) as unknown as UI_MESSAGE,
      );
  }

  /** The answer being written in the conversation, from its start; null when none is. */
  async reconnectToStream(options: {
    chatId: string;
    abortSignal?: AbortSignal;
  }): Promise<ReadableStream<UIMessageChunk> | null> {
    const handle = this.client.conversation(options.chatId);
    await handle.ready();
    // Being written, or ended and being stored (`saving`): either is the answer still to come.
    const writing = handle.messages().find((m) => m.status === "streaming" || m.status === "saving");
    if (!writing?.id) return null;
    return answerStream(handle, writing.id, options.abortSignal);
  }
}

/**
 * An answer as UI message chunks: `start` (with Confab's message id), `text-start`, a `text-delta`
 * per piece the conversation's tabs receive (what was written before, as one piece), `text-end`, then
 * `finish`, `abort` (stopped) or `error` (with the contract's code).
 */
function answerStream(
  handle: ConversationHandle,
  answerId: string | null,
  abortSignal: AbortSignal | undefined,
): ReadableStream<UIMessageChunk> {
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
      const textId = `${answerId}:text`;
      let sent = 0;
      let opened = false;
      controller.enqueue({ type: "start", messageId: answerId });
      const step = (view: MessageView | undefined) => {
        if (!view) return;
        if (!opened) {
          controller.enqueue({ type: "text-start", id: textId });
          opened = true;
        }
        if (view.content.length > sent) {
          controller.enqueue({ type: "text-delta", id: textId, delta: view.content.slice(sent) });
          sent = view.content.length;
        }
        if (view.status === "streaming" || view.status === "saving") return;
        off();
        controller.enqueue({ type: "text-end", id: textId });
        if (view.status === "complete") controller.enqueue({ type: "finish", finishReason: "stop" });
        else if (view.status === "cancelled") controller.enqueue({ type: "abort", reason: "stopped" });
        else {
          const error = view.error ?? { code: view.status, message: `the answer ended ${view.status}` };
          controller.enqueue({ type: "error", errorText: `${error.code}: ${error.message}` });
        }
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
