import type { FilePart } from "../src/protocol/index.js";
import { formatSize, isImage } from "../sdk/file-types.js";
import { el } from "./dom.js";

/** How a file's bytes are reached: its signed link (no token needed), from the SDK. */
export type FileUrl = (fileId: string) => Promise<string>;

/**
 * A file a message carries: an image as a thumbnail loaded through its signed link (a click opens it
 * whole), any other file as a download link with its name, type and size. The name is text
 * (`textContent`, `alt`), never HTML; the link is set as a DOM property once the SDK has it.
 */
export class FilePartView {
  readonly element: HTMLElement;
  private drawn: string | null = null;

  constructor(private readonly fileUrl: FileUrl) {
    this.element = el("div", "file-part");
  }

  draw(part: FilePart): void {
    // A file part never changes once stored: drawn once per file.
    if (this.drawn === part.fileId) return;
    this.drawn = part.fileId;
    this.element.dataset.fileId = part.fileId;
    if (isImage(part.mediaType)) this.drawImage(part);
    else this.drawDownload(part);
  }

  private drawImage(part: FilePart): void {
    const link = el("a", "file-image");
    const img = el("img");
    img.alt = part.name;
    img.title = part.name;
    img.decoding = "async";
    // Its size is known before its bytes: the space is kept and the list does not jump.
    if (part.width && part.height) {
      img.width = part.width;
      img.height = part.height;
    }
    link.append(img);
    const caption = el("span", "file-name", part.name);
    this.element.replaceChildren(link, caption);
    img.addEventListener("error", () => this.element.classList.add("unavailable"), { once: true });
    this.link(part.fileId, (url) => {
      img.src = url;
      link.href = url;
      link.target = "_blank";
      link.rel = "noopener noreferrer";
    });
  }

  private drawDownload(part: FilePart): void {
    const link = el("a", "file-link");
    link.append(
      el("span", "file-name", part.name),
      el("span", "file-meta", ` (${part.mediaType}, ${formatSize(part.size)})`),
    );
    link.download = part.name;
    link.rel = "noopener noreferrer";
    this.element.replaceChildren(link);
    const set = (url: string) => (link.href = url);
    this.link(part.fileId, set);
    // A signed link lasts minutes: a fresh one as the pointer or the focus comes to it (the SDK keeps
    // the one it has while it has time left).
    const refresh = () => this.link(part.fileId, set);
    link.addEventListener("pointerenter", refresh);
    link.addEventListener("focus", refresh);
  }

  private link(fileId: string, use: (url: string) => void): void {
    this.fileUrl(fileId).then(
      (url) => {
        if (this.drawn === fileId) use(url);
      },
      () => this.element.classList.add("unavailable"),
    );
  }
}
