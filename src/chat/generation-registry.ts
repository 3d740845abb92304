import type { GenerationSnapshot } from "../realtime/events.js";
import type { Generation } from "./generation.js";

/** The answers this node is writing, by conversation. */
export class GenerationRegistry {
  private readonly byConversation = new Map<string, Generation>();

  add(generation: Generation): void {
    this.byConversation.set(generation.conversationId, generation);
  }

  remove(generation: Generation): void {
    if (this.byConversation.get(generation.conversationId) === generation) {
      this.byConversation.delete(generation.conversationId);
    }
  }

  get(conversationId: string): Generation | undefined {
    return this.byConversation.get(conversationId);
  }

  snapshot(conversationId: string): GenerationSnapshot | null {
    return this.byConversation.get(conversationId)?.snapshot() ?? null;
  }

  get size(): number {
    return this.byConversation.size;
  }

  all(): Generation[] {
    return [...this.byConversation.values()];
  }
}
