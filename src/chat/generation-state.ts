import type { AssistantDeltaEvent, GenerationSnapshot } from "../protocol/index.js";

/**
 * The text of each answer being written and the `seq` of its last delta, where every node can read
 * it: a tab that joins on any node gets this snapshot, then the deltas with a larger `seq`. A delta
 * is recorded here before it is sent, so no delta a snapshot lacks can reach a tab before it joined.
 */
export interface GenerationState {
  begin(conversationId: string, messageId: string): Promise<void>;
  append(event: AssistantDeltaEvent): Promise<void>;
  snapshot(conversationId: string): Promise<GenerationSnapshot | null>;
  /**
   * Renews the answer's lease and keeps its state alive. Its writer calls it about once a second from
   * the start until the answer is stored, whether or not the database answers meanwhile.
   */
  touch(conversationId: string, messageId: string): Promise<void>;
  /**
   * Of these answers, the ids of those whose writer renewed its lease lately: recovery leaves them
   * alone even when their checkpoints in the database are old (the database was away). Throws when
   * it cannot tell.
   */
  liveAnswers(answers: { conversationId: string; messageId: string }[]): Promise<Set<string>>;
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

  /** One node: its own answers are the ones it holds; every other one is dead. */
  liveAnswers(answers: { conversationId: string; messageId: string }[]): Promise<Set<string>> {
    const live = answers.filter((a) => this.byConversation.get(a.conversationId)?.messageId === a.messageId);
    return Promise.resolve(new Set(live.map((a) => a.messageId)));
  }

  end(conversationId: string, messageId: string): Promise<void> {
    if (this.byConversation.get(conversationId)?.messageId === messageId)
      this.byConversation.delete(conversationId);
    return Promise.resolve();
  }
}
