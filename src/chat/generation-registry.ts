import type { Generation } from "./generation.js";

/** The answers this node is writing, by conversation: what stop and shutdown act on. */
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

  get size(): number {
    return this.byConversation.size;
  }

  all(): Generation[] {
    return [...this.byConversation.values()];
  }
}
