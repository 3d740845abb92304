/**
 * The signed links of files (`GET /files/:id/url`): a link that needs no token, so that an `<img>` or
 * a download can show the file. Each is kept until shortly before it expires, and asked for once
 * however many faces want it meanwhile.
 */
import type { FileLink, FileResource } from "../src/protocol/index.js";

export type { FileResource };

/** What `GET /files/:id/url` answers: a path relative to the server, and when it stops working. */
export type SignedLink = FileLink;

/** A link is given out no later than this before it expires: time enough to load what it shows. */
const MARGIN_MS = 60_000;

interface Held {
  url: Promise<string>;
  /** When to ask again (ms since the epoch); until known, never. */
  renewAt: number;
}

export class FileLinks {
  private readonly held = new Map<string, Held>();

  constructor(
    private readonly deps: {
      baseUrl: string;
      ask: (fileId: string) => Promise<SignedLink>;
      now?: () => number;
    },
  ) {}

  /** The absolute signed link of a file, from the one held while it has time left. */
  url(fileId: string): Promise<string> {
    const now = (this.deps.now ?? Date.now)();
    const held = this.held.get(fileId);
    if (held && now < held.renewAt) return held.url;
    const entry: Held = { url: this.load(fileId, () => entry), renewAt: Infinity };
    this.held.set(fileId, entry);
    // A failure is not kept: the next caller asks again.
    entry.url.catch(() => {
      if (this.held.get(fileId) === entry) this.held.delete(fileId);
    });
    return entry.url;
  }

  private async load(fileId: string, entry: () => Held): Promise<string> {
    const link = await this.deps.ask(fileId);
    const expires = Date.parse(link.expiresAt);
    entry().renewAt = Number.isFinite(expires) ? expires - MARGIN_MS : 0;
    // The link is relative to the server's origin (it may not be this page's).
    return new URL(link.url, this.deps.baseUrl).href;
  }

  clear(): void {
    this.held.clear();
  }
}
