import type { Agent, Conversation } from "../db/models/index.js";
import type { MessageHistory } from "../conversations/message-history.js";
import { countTextTokens, MESSAGE_OVERHEAD_TOKENS } from "../conversations/token-counter.js";
import type { ChatPromptMessage } from "../providers/chat-model.js";

export const summaryNote = (summary: string) => `Summary of the earlier conversation: ${summary}`;

/**
 * What the model is sent for a turn (PROTOCOL.md section 5, guarantee 8): the agent's system prompt,
 * the conversation summary when older turns are left out, the newest complete turns that fit in the
 * agent's `contextTokens`, then the new message. Without memory, only the new message.
 */
export async function buildPrompt(
  history: MessageHistory,
  agent: Pick<Agent, "systemPrompt" | "contextTokens" | "conversationMemoryEnabled">,
  conversation: Pick<Conversation, "id" | "summary">,
  newMessage: { seq: number; content: string },
): Promise<{ messages: ChatPromptMessage[]; leftOut: boolean; windowStartSeq: number }> {
  const system: ChatPromptMessage[] = agent.systemPrompt
    ? [{ role: "system", content: agent.systemPrompt }]
    : [];
  const last: ChatPromptMessage = { role: "user", content: newMessage.content };
  if (!agent.conversationMemoryEnabled) {
    return { messages: [...system, last], leftOut: false, windowStartSeq: newMessage.seq };
  }

  const fixed =
    countTextTokens(agent.systemPrompt) +
    countTextTokens(newMessage.content) +
    2 * MESSAGE_OVERHEAD_TOKENS +
    (conversation.summary ? countTextTokens(summaryNote(conversation.summary)) + MESSAGE_OVERHEAD_TOKENS : 0);
  const budget = Math.max(0, agent.contextTokens - fixed);
  const window = await history.window(conversation.id, newMessage.seq, budget);
  const leftOut = !window.reachedStart;
  const summary: ChatPromptMessage[] =
    leftOut && conversation.summary ? [{ role: "system", content: summaryNote(conversation.summary) }] : [];
  const turns: ChatPromptMessage[] = window.messages.map((m) => ({
    role: m.role === "assistant" ? "assistant" : "user",
    content: m.content,
  }));
  return {
    messages: [...system, ...summary, ...turns, last],
    leftOut,
    windowStartSeq: window.messages[0]?.seq ?? newMessage.seq,
  };
}
