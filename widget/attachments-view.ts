import type { Attachment } from "../sdk/attachments.js";
import type { ConversationHandle } from "../sdk/conversation-handle.js";
import { FILE_INPUT_ACCEPT, formatSize, isImage } from "../sdk/file-types.js";
import { button, el, setData, setIfChanged } from "./dom.js";

/** Where the composer's files are picked, dropped and shown. */
export interface AttachmentElements {
  /** Opens the file picker. */
  button: HTMLButtonElement;
  /** A hidden `<input type=file>`: its `accept` and `multiple` are set here. */
  input: HTMLInputElement;
  /** The files attached for the next message, one `.attachment` each. */
  list: HTMLElement;
  /** Where files may be dropped (the whole chat): `data-dragging="true"` while some are over it. */
  drop: HTMLElement;
}

interface Row {
  element: HTMLElement;
  progress: HTMLProgressElement;
  state: HTMLElement;
  error: HTMLElement;
  /** The thumbnail's object URL, freed with the row. */
  objectUrl: string | null;
  drawn: Attachment | null;
}

/**
 * The composer's files: picked with the attach button, pasted into the text, or dropped on the chat;
 * each shown with a thumbnail (an image, from its local bytes), its name and size, the upload's
 * progress, a button that removes it, and the server's message when it was refused. The handle
 * uploads and keeps them; this draws them. Names are text.
 */
export class AttachmentsView {
  private readonly rows = new Map<string, Row>();

  constructor(
    private readonly elements: AttachmentElements,
    private readonly handle: ConversationHandle,
    paste: HTMLElement,
    signal: AbortSignal,
  ) {
    const { input, drop } = elements;
    input.type = "file";
    input.accept = FILE_INPUT_ACCEPT;
    input.multiple = true;
    input.hidden = true;
    elements.button.addEventListener("click", () => input.click(), { signal });
    input.addEventListener(
      "change",
      () => {
        this.attach(input.files);
        // The same file may be picked again.
        input.value = "";
      },
      { signal },
    );
    paste.addEventListener(
      "paste",
      (event) => {
        const files = event.clipboardData?.files;
        if (!files || files.length === 0) return;
        // Files pasted are attached; text pasted goes into the text as usual.
        event.preventDefault();
        this.attach(files);
      },
      { signal },
    );
    const carriesFiles = (event: DragEvent) => event.dataTransfer?.types.includes("Files") === true;
    drop.addEventListener(
      "dragover",
      (event) => {
        if (!carriesFiles(event) || !this.handle.canWrite) return;
        event.preventDefault();
        if (event.dataTransfer) event.dataTransfer.dropEffect = "copy";
        setData(drop, "dragging", "true");
      },
      { signal },
    );
    drop.addEventListener(
      "dragleave",
      (event) => {
        if (event.relatedTarget instanceof Node && drop.contains(event.relatedTarget)) return;
        setData(drop, "dragging", "false");
      },
      { signal },
    );
    drop.addEventListener(
      "drop",
      (event) => {
        setData(drop, "dragging", "false");
        if (!carriesFiles(event)) return;
        event.preventDefault();
        this.attach(event.dataTransfer?.files ?? null);
      },
      { signal },
    );
  }

  /** Draws the attached files (each row redrawn only when its attachment changed). */
  render(): void {
    const { list } = this.elements;
    const attachments = this.handle.attachments;
    const shown = new Set(attachments.map((a) => a.localId));
    for (const [localId, row] of this.rows) {
      if (shown.has(localId)) continue;
      row.element.remove();
      if (row.objectUrl) URL.revokeObjectURL(row.objectUrl);
      this.rows.delete(localId);
    }
    let previous: Element | null = null;
    for (const attachment of attachments) {
      const row = this.rows.get(attachment.localId) ?? this.newRow(attachment);
      if (row.drawn !== attachment) this.draw(row, attachment);
      const expected: Element | null = previous ? previous.nextElementSibling : list.firstElementChild;
      if (expected !== row.element) list.insertBefore(row.element, expected);
      previous = row.element;
    }
    list.hidden = attachments.length === 0;
    this.elements.button.disabled = !this.handle.canWrite;
  }

  dispose(): void {
    for (const row of this.rows.values()) if (row.objectUrl) URL.revokeObjectURL(row.objectUrl);
    this.rows.clear();
    this.elements.list.replaceChildren();
  }

  private attach(files: FileList | null): void {
    if (!files || !this.handle.canWrite) return;
    for (const file of files) this.handle.attach(file);
  }

  private newRow(attachment: Attachment): Row {
    const element = el("li", "attachment");
    const thumb = el("span", "attachment-thumb");
    let objectUrl: string | null = null;
    if (isImage(attachment.mediaType)) {
      const img = el("img");
      img.alt = "";
      thumb.append(img);
      // The local file's bytes; a file already stored (the edited message's) through its signed link.
      if (attachment.blob) img.src = objectUrl = URL.createObjectURL(attachment.blob);
      else if (attachment.part)
        this.handle.fileUrl(attachment.part.fileId).then(
          (url) => (img.src = url),
          () => undefined,
        );
    } else thumb.textContent = "📄";
    const name = el("span", "attachment-name", attachment.name);
    name.title = attachment.name;
    const size = el("span", "attachment-size", formatSize(attachment.size));
    const progress = el("progress", "attachment-progress");
    progress.max = Math.max(attachment.size, 1);
    progress.setAttribute("aria-label", `Uploading ${attachment.name}`);
    const state = el("span", "attachment-state");
    const error = el("span", "attachment-error");
    error.setAttribute("role", "alert");
    const remove = button("×", {
      className: "link attachment-remove",
      name: `Remove ${attachment.name}`,
      title: "Remove",
      onClick: () => this.handle.detach(attachment.localId),
    });
    element.append(thumb, name, size, progress, state, error, remove);
    const row: Row = { element, progress, state, error, objectUrl, drawn: null };
    this.rows.set(attachment.localId, row);
    return row;
  }

  private draw(row: Row, attachment: Attachment): void {
    row.drawn = attachment;
    setData(row.element, "status", attachment.status);
    row.progress.value = attachment.loaded;
    row.progress.hidden = attachment.status !== "uploading";
    const percent = attachment.size > 0 ? Math.floor((attachment.loaded / attachment.size) * 100) : 100;
    setIfChanged(
      row.state,
      "textContent",
      attachment.status === "uploading" ? `${percent}%` : attachment.status === "uploaded" ? "ready" : "",
    );
    setIfChanged(row.error, "textContent", attachment.error?.message ?? "");
  }
}
