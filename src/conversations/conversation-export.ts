import type { MemberConversation } from "../db/records.js";
import type { MessageRepository } from "../db/repositories/index.js";
import type { ConversationExport, FilePart, FileResource, MessageResource } from "../protocol/index.js";
import { toConversationResource, toMessageResource } from "./resources.js";

/**
 * The conversation to export: for `tree` (JSON) every message of every branch, with `parentId`, and
 * its `headId`; for `path` (Markdown, PDF) only the messages of the path it shows, read by walking up
 * from the head, so other branches cost nothing.
 */
export async function exportConversation(
  messagesOf: MessageRepository,
  conversation: MemberConversation,
  scope: "tree" | "path",
  files: FileResource[],
): Promise<ConversationExport> {
  const messages =
    scope === "tree"
      ? await messagesOf.all(conversation.id)
      : conversation.headId
        ? (await messagesOf.path(conversation.headId, Math.max(1, conversation.totalMessages))).messages
        : [];
  return {
    conversation: toConversationResource(conversation, conversation.role),
    messages: messages.map(toMessageResource),
    files,
    exportedAt: new Date().toISOString(),
  };
}

/** The messages of the path the conversation shows (ending at its head), oldest first. */
export function pathOf(data: ConversationExport): MessageResource[] {
  const byId = new Map(data.messages.map((m) => [m.id, m]));
  const path: MessageResource[] = [];
  for (let m = byId.get(data.conversation.headId ?? ""); m; m = byId.get(m.parentId ?? "")) path.push(m);
  return path.reverse();
}

const speaker = { user: "User", assistant: "Assistant", system: "System" } as const;

/**
 * How a transcript names a message: its role, the time it was written and, unless complete, its
 * status. (Messages carry no author yet: a conversation has one person, its owner.)
 */
export function headingOf(m: MessageResource): { who: string; when: string; status: string | null } {
  return { who: speaker[m.role], when: m.createdAt, status: m.status === "complete" ? null : m.status };
}

/** The conversation's facts a transcript opens with. */
export function factsOf(data: ConversationExport): string[] {
  const c = data.conversation;
  return [
    `Conversation: ${c.id}`,
    `Created: ${c.createdAt}`,
    `Messages: ${c.totalMessages}`,
    `Tokens used: ${c.totalTokensUsed}`,
    ...(c.tags.length ? [`Tags: ${c.tags.join(", ")}`] : []),
  ];
}

/** The path the conversation shows, as a Markdown transcript. */
export function toMarkdown(data: ConversationExport): string {
  const c = data.conversation;
  const lines = [`# ${c.title}`, "", ...factsOf(data).map((f) => `- ${f}`), ""];
  if (c.summary) lines.push("## Summary", "", c.summary, "");
  for (const m of pathOf(data)) {
    const { who, when, status } = headingOf(m);
    lines.push(`## ${who}${status ? ` (${status})` : ""}`, "", `_${when}_`, "", ...bodyOf(m), "");
  }
  return lines.join("\n");
}

/**
 * A message's body in Markdown: its text, and where it has more than text, each part in order
 * (reasoning quoted, each tool call named with its input and its outcome as JSON code blocks).
 */
function bodyOf(m: MessageResource): string[] {
  if (m.parts.every((p) => p.type === "text")) return [m.content];
  return m.parts.flatMap((p): string[] => {
    switch (p.type) {
      case "text":
        return [p.text];
      case "reasoning":
        return ["> **Thinking:** " + p.text.replace(/\n/g, "\n> ")];
      case "source":
        return [`Source: <${p.url}>`];
      case "file":
        return [`**File:** ${describeFile(p)}`];
      case "tool": {
        const decided = p.approval?.decidedBy
          ? ` (${p.approval.approved ? "approved" : "denied"} by ${p.approval.decidedBy.name})`
          : "";
        const outcome = p.state === "output-available" ? json(p.output) : json(p.error ?? p.state);
        return [`**Tool ${p.toolName}**: ${p.state}${decided}`, "", json(p.input), "", outcome];
      }
      default:
        return [];
    }
  });
}

/** A file as a transcript names it: its name, type and size (and an image's pixels). */
export function describeFile(p: FilePart): string {
  const pixels = p.width !== undefined && p.height !== undefined ? `, ${p.width}×${p.height}` : "";
  return `${p.name} (${p.mediaType}, ${p.size.toLocaleString("en-US")} bytes${pixels})`;
}

const json = (value: unknown) => "```json\n" + JSON.stringify(value ?? null, null, 2) + "\n```";
