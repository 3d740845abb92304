import type { ConversationHandle } from "../sdk/conversation-handle.js";
import type { MessageView } from "../sdk/conversation-stream.js";
import { AttachmentsView, type AttachmentElements } from "./attachments-view.js";

export interface ComposerElements {
  form: HTMLFormElement;
  input: HTMLTextAreaElement;
  send: HTMLButtonElement;
  stop: HTMLButtonElement;
  /** "Ask the assistant", offered when it answers only when asked (`assistantMode` manual). */
  ask?: { label: HTMLElement; box: HTMLInputElement };
  /** "Editing a message…" with its Cancel, shown while a message is being edited. */
  editing?: { bar: HTMLElement; cancel: HTMLButtonElement };
  /** Files for the next message: the attach button, its file input, their list, where they drop. */
  files?: AttachmentElements;
}

export interface ComposerOptions {
  connected: () => boolean;
  onError: (err: unknown) => void;
}

const PLACEHOLDER = "Message… (Enter to send, Shift+Enter for a new line)";

/**
 * Writing: Enter sends (Shift+Enter is a new line), the others see this tab typing, Stop stops the answer
 * being written, Edit on a message puts it here and Send makes a new version of it (Escape or Cancel
 * gives up). Files are attached with the attach button, by pasting or by dropping them, and go with the
 * next message (which may then have no text). A refused send gives its text back to the composer.
 */
export class ComposerView {
  private readonly attachments: AttachmentsView | null;

  constructor(
    private readonly elements: ComposerElements,
    private readonly handle: ConversationHandle,
    private readonly options: ComposerOptions,
    signal: AbortSignal,
  ) {
    const { form, input, stop, editing } = elements;
    input.addEventListener("input", () => handle.composing(input.value), { signal });
    input.addEventListener("keydown", (event) => this.keydown(event), { signal });
    form.addEventListener(
      "submit",
      (event) => {
        event.preventDefault();
        void this.submit(input.value);
      },
      { signal },
    );
    stop.addEventListener("click", () => void this.stop(), { signal });
    editing?.cancel.addEventListener("click", () => this.cancelEdit(), { signal });
    this.attachments = elements.files ? new AttachmentsView(elements.files, handle, input, signal) : null;
    signal.addEventListener("abort", () => this.attachments?.dispose(), { once: true });
  }

  /** Sends `text` (a starter, or what was typed): a new message, or the new version of one in edit. */
  async submit(text: string): Promise<void> {
    const { input, ask } = this.elements;
    const content = text.trim();
    const files = this.attachments !== null && this.handle.attachments.length > 0;
    if ((!content && !files) || !this.handle.canWrite) return;
    const askAssistant = this.handle.asksForAnswers && ask?.box.checked === true;
    input.value = "";
    if (ask) ask.box.checked = false;
    try {
      await this.handle.submit(content, askAssistant ? { askAssistant: true } : {});
    } catch (err) {
      if (!input.value) input.value = content;
      this.options.onError(err);
    }
  }

  /** The message in edit changed: its text comes into the composer, or the composer is free again. */
  editingChanged(view: MessageView | null): void {
    if (view) {
      this.elements.input.value = view.content;
      this.elements.input.focus();
    }
    this.render();
  }

  render(): void {
    const { input, send, stop, ask, editing } = this.elements;
    const handle = this.handle;
    const online = this.options.connected();
    input.disabled = !handle.canWrite;
    input.placeholder = handle.canWrite
      ? PLACEHOLDER
      : handle.role === "viewer"
        ? "You are a viewer here: you can read along."
        : handle.conversation?.status === "archived"
          ? "This conversation is archived."
          : PLACEHOLDER;
    send.disabled = handle.busy || !handle.canWrite || !online;
    stop.hidden = !handle.busy || !handle.canWrite;
    stop.disabled = !online;
    if (ask) ask.label.hidden = !handle.asksForAnswers;
    if (editing) editing.bar.hidden = handle.editing === null;
    this.attachments?.render();
  }

  /** The attached files changed (added, progressing, uploaded, failed, removed, sent). */
  renderAttachments(): void {
    this.attachments?.render();
  }

  private keydown(event: KeyboardEvent): void {
    if (event.key === "Escape" && this.handle.editing) {
      this.cancelEdit();
      return;
    }
    if (event.key === "Enter" && !event.shiftKey && !event.isComposing) {
      event.preventDefault();
      if (!this.elements.send.disabled) void this.submit(this.elements.input.value);
    }
  }

  private cancelEdit(): void {
    this.handle.cancelEdit();
    this.elements.input.value = "";
  }

  private async stop(): Promise<void> {
    this.elements.stop.disabled = true;
    try {
      await this.handle.stop();
    } catch (err) {
      this.options.onError(err);
    } finally {
      this.render();
    }
  }
}
