import { createHash } from "node:crypto";
import { Transform, type TransformCallback } from "node:stream";
import { TextDecoder } from "node:util";
import { AppError } from "../errors.js";
import { isTextType } from "../protocol/index.js";
import { NOT_TEXT, sniffMediaType, type Sniffed } from "./media-type.js";

/** Bytes held before the type is read: enough for every signature and most image headers. */
const SNIFF_BYTES = 4100;
/** The most held while an image's header is looked for (a JPEG's size may follow its metadata). */
const MAX_HEAD_BYTES = 1024 * 1024;

/** What a stored file is, learnt while its bytes went by. */
export interface InspectedFile extends Sniffed {
  size: number;
  sha256: string;
}

/**
 * The bytes of an upload on their way to the store. It holds back the first bytes until it knows what
 * they are (`unsupported_media_type` otherwise), counts them (`payload_too_large` past `maxBytes`),
 * hashes them, and checks that a text file stays UTF-8 text to its end. It errors (and so the store
 * keeps nothing) as soon as one of these fails; memory stays within the held head.
 */
export class FileInspector extends Transform {
  private held: Buffer[] = [];
  private heldBytes = 0;
  private sniffed: Sniffed | null = null;
  private size = 0;
  private readonly hash = createHash("sha256");
  private text: TextDecoder | null = null;
  private digest: string | undefined;

  constructor(
    private readonly maxBytes: number,
    private readonly claimed: { name: string; type: string },
  ) {
    super();
  }

  /** What the file is; known once the stream ended without error. */
  get facts(): InspectedFile {
    if (!this.sniffed) throw new Error("the file was not inspected");
    this.digest ??= this.hash.digest("hex");
    return { ...this.sniffed, size: this.size, sha256: this.digest };
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, done: TransformCallback): void {
    this.size += chunk.length;
    if (this.size > this.maxBytes) {
      done(new AppError("payload_too_large", `a file may have at most ${this.maxBytes} bytes`));
      return;
    }
    this.hash.update(chunk);
    if (this.sniffed) {
      this.pass(chunk, done);
      return;
    }
    this.held.push(chunk);
    this.heldBytes += chunk.length;
    if (this.heldBytes < SNIFF_BYTES) {
      done();
      return;
    }
    this.sniff(false, done);
  }

  override _flush(done: TransformCallback): void {
    if (this.size === 0) {
      done(new AppError("validation_failed", "the file is empty"));
      return;
    }
    if (!this.sniffed) {
      this.sniff(true, (err) => (err ? done(err) : this.finish(done)));
      return;
    }
    this.finish(done);
  }

  private sniff(whole: boolean, done: TransformCallback): void {
    const head = Buffer.concat(this.held);
    sniffMediaType(head, whole, this.claimed).then(
      (sniffed) => {
        if (!sniffed) {
          if (this.heldBytes >= MAX_HEAD_BYTES) {
            done(new AppError("unsupported_media_type", "the image's header cannot be read"));
          } else done();
          return;
        }
        this.sniffed = sniffed;
        if (isTextType(sniffed.mediaType)) this.text = new TextDecoder("utf-8", { fatal: true });
        this.held = [];
        this.heldBytes = 0;
        this.pass(head, done);
      },
      (err: unknown) => done(err as Error),
    );
  }

  /** Sends bytes on, once known; a text file's must stay text. */
  private pass(chunk: Buffer, done: TransformCallback): void {
    if (this.text && !this.isText(() => this.text!.decode(chunk, { stream: true }))) {
      done(notText());
      return;
    }
    this.push(chunk);
    done();
  }

  private finish(done: TransformCallback): void {
    if (this.text && !this.isText(() => this.text!.decode())) {
      done(notText());
      return;
    }
    done();
  }

  private isText(decode: () => string): boolean {
    try {
      return !NOT_TEXT.test(decode());
    } catch {
      return false;
    }
  }
}

const notText = () =>
  new AppError("unsupported_media_type", "the file starts as text but holds bytes that are not UTF-8 text");
