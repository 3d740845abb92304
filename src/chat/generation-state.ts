import type { AssistantDeltaEvent, GenerationSnapshot } from "../realtime/events.js";

/**
 * The text of each answer being written and the `seq` of its last delta, where every node can read
 * it: a tab that joins on any node gets this snapshot, then the deltas with a larger `seq`. A delta
 * is recorded here before it is sent, so no delta a snapshot lacks can reach a tab before it joined.
 */
export interface GenerationState {
  begin(conversationId: string, messageId: string): Promise<void>;
  append(event: AssistantDeltaEvent): Promise<void>;
  snapshot(conversationId: string): Promise<GenerationSnapshot | null>;
  /** Keeps the state of a long answer alive while its writer checkpoints. */
  touch(conversationId: string): Promise<void>;
  end(conversationId: string, messageId: string): Promise<void>;
}

/** One node: the state lives in this process. */
export class MemoryGenerationState implements GenerationState {
  private readonly byConversation = new Map<string, GenerationSnapshot>();

  begin(conversationId: string, messageId: string): Promise<void> {
    this.byConversation.set(conversationId, { messageId, seq: 0, content: "" });
    return Promise.resolve();
  }

  append(event: AssistantDeltaEvent): Promise<void> {
    const current = this.byConversation.get(event.conversationId);
    if (current && current.messageId === event.messageId) {
      current.seq = event.seq;
      current.content += event.delta;
    }
    return Promise.resolve();
  }

  snapshot(conversationId: string): Promise<GenerationSnapshot | null> {
    const current = this.byConversation.get(conversationId);
    return Promise.resolve(current ? { ...current } : null);
  }

  touch(): Promise<void> {
    return Promise.resolve();
  }

  end(conversationId: string, messageId: string): Promise<void> {
    if (this.byConversation.get(conversationId)?.messageId === messageId)
      this.byConversation.delete(conversationId);
    return Promise.resolve();
  }
}
