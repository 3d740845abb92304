import type { ConversationList as ConversationPage, ConversationResource } from "../src/protocol/index.js";
import { Emitter } from "./emitter.js";
import type { HttpMethod } from "./rest-client.js";

/** How many conversations the list holds (the newest). */
const LIMIT = 100;

export interface ConversationListHost {
  rest<T>(method: HttpMethod, path: string): Promise<T>;
  on(
    event: "conversation:updated",
    listener: (e: { conversation: ConversationResource }) => void,
  ): () => void;
  on(event: "conversation:deleted", listener: (e: { conversationId: string }) => void): () => void;
  onSocket(event: "connect", listener: () => void): () => void;
}

type ListEvents = {
  /** The list changed: a conversation came, went, or changed (its title, its last message…). */
  change: (conversations: ConversationResource[]) => void;
};

/**
 * The caller's conversations, newest activity first, as a sidebar shows them: loaded once, kept live by
 * `conversation:updated` and `conversation:deleted` (which reach every tab of every member), and loaded
 * again after a reconnect, since updates were missed meanwhile.
 */
export class ConversationList {
  private readonly byId = new Map<string, ConversationResource>();
  private readonly events = new Emitter<ListEvents>();
  private readonly offs: (() => void)[];
  private loading: Promise<void> | undefined;
  private loaded = false;

  constructor(private readonly host: ConversationListHost) {
    this.offs = [
      host.on("conversation:updated", ({ conversation }) => this.put(conversation)),
      host.on("conversation:deleted", ({ conversationId }) => this.remove(conversationId)),
      host.onSocket("connect", () => {
        if (this.loaded) void this.refresh().catch(() => undefined);
      }),
    ];
  }

  /** Resolves once the list has been loaded (the first time, it loads it). */
  ready(): Promise<void> {
    if (!this.loading) {
      const loading = this.refresh();
      this.loading = loading;
      // A failed first load is not kept: the next caller loads again.
      loading.catch(() => {
        if (this.loading === loading) this.loading = undefined;
      });
    }
    return this.loading;
  }

  /** Loads the list again. */
  async refresh(): Promise<void> {
    const page = await this.host.rest<ConversationPage>("GET", `/conversations?limit=${LIMIT}`);
    this.byId.clear();
    for (const c of page.conversations) this.byId.set(c.id, c);
    this.loaded = true;
    this.changed();
  }

  on<E extends keyof ListEvents>(event: E, listener: ListEvents[E]): () => void {
    return this.events.on(event, listener);
  }

  /** The conversations, the most recently active first. */
  list(): ConversationResource[] {
    const at = (c: ConversationResource) => c.lastMessageAt ?? c.updatedAt;
    return [...this.byId.values()].sort((a, b) => at(b).localeCompare(at(a)));
  }

  get(id: string): ConversationResource | undefined {
    return this.byId.get(id);
  }

  /** A conversation as the server just gave it (created, accepted, updated). */
  put(conversation: ConversationResource): void {
    if (conversation.status === "deleted") {
      this.remove(conversation.id);
      return;
    }
    this.byId.set(conversation.id, conversation);
    this.changed();
  }

  private remove(id: string): void {
    if (this.byId.delete(id)) this.changed();
  }

  private changed(): void {
    this.events.emit("change", this.list());
  }

  dispose(): void {
    for (const off of this.offs) off();
    this.events.clear();
  }
}
