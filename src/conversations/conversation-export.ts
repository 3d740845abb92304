import type { ConversationRecord } from "../db/records.js";
import type { MessageRepository } from "../db/repositories/index.js";
import type { ConversationExport } from "../protocol/index.js";
import { toConversationResource, toMessageResource } from "./resources.js";

/** The whole conversation, as JSON or as a Markdown transcript. */
export async function exportConversation(
  messagesOf: MessageRepository,
  conversation: ConversationRecord,
): Promise<ConversationExport> {
  const messages = await messagesOf.all(conversation.id);
  return {
    conversation: toConversationResource(conversation),
    messages: messages.map(toMessageResource),
    exportedAt: new Date().toISOString(),
  };
}

const speaker = { user: "User", assistant: "Assistant", system: "System" } as const;

export function toMarkdown(data: ConversationExport): string {
  const c = data.conversation;
  const lines = [
    `# ${c.title}`,
    "",
    `- Conversation: ${c.id}`,
    `- Created: ${c.createdAt}`,
    `- Messages: ${c.totalMessages}`,
    `- Tokens used: ${c.totalTokensUsed}`,
    ...(c.tags.length ? [`- Tags: ${c.tags.join(", ")}`] : []),
    "",
  ];
  if (c.summary) lines.push("## Summary", "", c.summary, "");
  for (const m of data.messages) {
    const note = m.status === "complete" ? "" : ` (${m.status})`;
    lines.push(`## ${speaker[m.role]}${note}`, "", `_${m.createdAt}_`, "", m.content, "");
  }
  return lines.join("\n");
}
