import type { AgentRecord, ConversationRecord } from "../db/records.js";
import type { MessageHistory } from "../conversations/message-history.js";
import { MESSAGE_OVERHEAD_TOKENS, TokenCountCache } from "../tokens/token-counter.js";
import type { ChatPromptMessage } from "../providers/chat-model.js";

export const summaryNote = (summary: string) => `Summary of the earlier conversation: ${summary}`;

/** System prompts and summaries recur in every turn of a conversation: each is counted once. */
const recurring = new TokenCountCache();

export interface Prompt {
  messages: ChatPromptMessage[];
  /** Whether older turns were left out of the window. */
  leftOut: boolean;
  /** The seq of the oldest message in the window (the new message's when there is none). */
  windowStartSeq: number;
  /** The prompt's tokens as counted here: each text's count, plus the framing of each message. */
  promptTokens: number;
}

/**
 * What the model is sent for a turn (PROTOCOL.md section 5, guarantee 8): the agent's system prompt,
 * the conversation summary when older turns are left out, the newest complete turns that fit in the
 * agent's `contextTokens`, then the new message. Without memory, only the new message.
 */
export async function buildPrompt(
  history: MessageHistory,
  agent: Pick<AgentRecord, "systemPrompt" | "contextTokens" | "conversationMemoryEnabled">,
  conversation: Pick<ConversationRecord, "id" | "summary">,
  /** The new user message, with its stored token count. */
  newMessage: { seq: number; content: string; contentTokens: number },
): Promise<Prompt> {
  const system: ChatPromptMessage[] = agent.systemPrompt
    ? [{ role: "system", content: agent.systemPrompt }]
    : [];
  const systemTokens =
    system.length > 0 ? (await recurring.count(agent.systemPrompt)) + MESSAGE_OVERHEAD_TOKENS : 0;
  const last: ChatPromptMessage = { role: "user", content: newMessage.content };
  const lastTokens = newMessage.contentTokens + MESSAGE_OVERHEAD_TOKENS;
  if (!agent.conversationMemoryEnabled) {
    return {
      messages: [...system, last],
      leftOut: false,
      windowStartSeq: newMessage.seq,
      promptTokens: systemTokens + lastTokens,
    };
  }

  const note = conversation.summary ? summaryNote(conversation.summary) : undefined;
  const noteTokens = note === undefined ? 0 : (await recurring.count(note)) + MESSAGE_OVERHEAD_TOKENS;
  const budget = Math.max(0, agent.contextTokens - systemTokens - lastTokens - noteTokens);
  const window = await history.window(conversation.id, newMessage.seq, budget);
  const leftOut = !window.reachedStart;
  const summary: ChatPromptMessage[] =
    leftOut && note !== undefined ? [{ role: "system", content: note }] : [];
  const turns: ChatPromptMessage[] = window.messages.map((m) => ({
    role: m.role === "assistant" ? "assistant" : "user",
    content: m.content,
  }));
  return {
    messages: [...system, ...summary, ...turns, last],
    leftOut,
    windowStartSeq: window.messages[0]?.seq ?? newMessage.seq,
    promptTokens: systemTokens + (summary.length > 0 ? noteTokens : 0) + window.tokens + lastTokens,
  };
}
