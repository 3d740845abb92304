/**
 * The files a composer holds for the next message: each uploaded as soon as it is attached, its
 * progress and outcome kept here, so that a face only draws them (a thumbnail, the name, the size, a
 * progress bar, the server's message when refused) and offers to remove them. The next send takes the
 * uploaded ones.
 */
import { MAX_FILES_PER_MESSAGE, type FilePart } from "../src/protocol/index.js";
import { ConfabError, asConfabError } from "./errors.js";
import type { FileResource } from "./file-links.js";
import { newId } from "./ids.js";
import type { UploadOptions } from "./rest-client.js";

/** One attached file. Replaced (never changed) when it moves on: a face compares by reference. */
export interface Attachment {
  localId: string;
  name: string;
  size: number;
  /**
   * The type the local file says it has ("" when unknown; the server reads the real one from the
   * bytes), or the stored file's type.
   */
  mediaType: string;
  /**
   * The local bytes: a face may show an image's thumbnail from them (an object URL). Null for a file
   * already stored (one the edited message sent): its `part` has its id, for its signed link.
   */
  blob: Blob | null;
  status: "uploading" | "uploaded" | "failed";
  /** Bytes sent so far (`size` once uploaded). */
  loaded: number;
  /** The stored file, once uploaded here (null for one the edited message sent). */
  file: FileResource | null;
  /** The file part the message will hold, once the file is stored. */
  part: FilePart | null;
  /** Why it failed (the server's refusal: too large, a type not taken…). */
  error: ConfabError | null;
}

/** What the attachments need: an upload to this conversation, and to tell that they changed. */
export interface AttachmentHost {
  upload(file: Blob, options: UploadOptions): Promise<FileResource>;
  changed(list: readonly Attachment[]): void;
}

interface Entry {
  view: Attachment;
  done: Promise<void>;
  abort: AbortController;
}

/** A stored file as the part its message will hold (shown while the message is being sent). */
export const filePartOf = (file: FileResource): FilePart => ({
  type: "file",
  fileId: file.id,
  name: file.name,
  mediaType: file.mediaType,
  size: file.size,
  ...(file.width === undefined ? {} : { width: file.width }),
  ...(file.height === undefined ? {} : { height: file.height }),
});

export class Attachments {
  private entries: Entry[] = [];

  constructor(private readonly host: AttachmentHost) {}

  list(): readonly Attachment[] {
    return this.entries.map((e) => e.view);
  }

  /** Attaches a file and starts uploading it; a file past the most a message carries fails at once. */
  add(blob: Blob, name?: string): Attachment {
    const own = typeof File === "function" && blob instanceof File ? blob.name : "";
    const view: Attachment = {
      localId: newId(),
      name: name || own || "file",
      size: blob.size,
      mediaType: blob.type,
      blob,
      status: "uploading",
      loaded: 0,
      file: null,
      part: null,
      error: null,
    };
    const abort = new AbortController();
    const entry: Entry = { view, abort, done: Promise.resolve() };
    this.entries.push(entry);
    if (this.entries.length > MAX_FILES_PER_MESSAGE) {
      const message = `a message carries at most ${MAX_FILES_PER_MESSAGE} files`;
      this.update(entry, {
        status: "failed",
        error: new ConfabError({ code: "validation_failed", message }),
      });
      return entry.view;
    }
    entry.done = this.host
      .upload(blob, {
        name: view.name,
        signal: abort.signal,
        onProgress: (loaded) => {
          if (entry.view.status === "uploading") this.update(entry, { loaded });
        },
      })
      .then(
        (file) => this.update(entry, { status: "uploaded", loaded: view.size, file, part: filePartOf(file) }),
        (err: unknown) => this.update(entry, { status: "failed", error: asConfabError(err) }),
      );
    this.host.changed(this.list());
    return entry.view;
  }

  /**
   * Attaches a file already stored: one the message being edited sent, which its new version may
   * send again (the server takes it back for that edit only). Nothing is uploaded.
   */
  addStored(part: FilePart): Attachment {
    const view: Attachment = {
      localId: newId(),
      name: part.name,
      size: part.size,
      mediaType: part.mediaType,
      blob: null,
      status: "uploaded",
      loaded: part.size,
      file: null,
      part,
      error: null,
    };
    this.entries.push({ view, abort: new AbortController(), done: Promise.resolve() });
    this.host.changed(this.list());
    return view;
  }

  /** Removes an attached file, cancelling its upload if it is still under way. */
  remove(localId: string): void {
    const entry = this.entries.find((e) => e.view.localId === localId);
    if (!entry) return;
    this.entries = this.entries.filter((e) => e !== entry);
    entry.abort.abort();
    this.host.changed(this.list());
  }

  /**
   * Once every upload under way has ended: the files to send and the attachments they come from. A
   * failed one refuses the send (`validation_failed`), so that nothing is sent without a file the
   * person meant to send: they remove it, or attach it again.
   */
  async ready(): Promise<{ parts: FilePart[]; localIds: string[] }> {
    const taken = [...this.entries];
    await Promise.all(taken.map((e) => e.done));
    const kept = taken.filter((e) => this.entries.includes(e));
    const failed = kept.find((e) => e.view.status === "failed");
    if (failed)
      throw new ConfabError({
        code: "validation_failed",
        message: `${failed.view.name} was not uploaded (${failed.view.error?.message ?? "failed"}): remove it first`,
      });
    return {
      parts: kept.flatMap((e) => (e.view.part ? [e.view.part] : [])),
      localIds: kept.map((e) => e.view.localId),
    };
  }

  /** The attachments sent with a message leave the composer. */
  sent(localIds: readonly string[]): void {
    const before = this.entries.length;
    this.entries = this.entries.filter((e) => !localIds.includes(e.view.localId));
    if (this.entries.length !== before) this.host.changed(this.list());
  }

  dispose(): void {
    for (const entry of this.entries) entry.abort.abort();
    this.entries = [];
  }

  private update(entry: Entry, change: Partial<Attachment>): void {
    entry.view = { ...entry.view, ...change };
    if (this.entries.includes(entry)) this.host.changed(this.list());
  }
}
