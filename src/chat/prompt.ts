import type { AgentRecord, ConversationRecord } from "../db/records.js";
import type { MessageHistory } from "../conversations/message-history.js";
import { MESSAGE_OVERHEAD_TOKENS, TokenCountCache } from "../tokens/token-counter.js";
import type { ChatPromptMessage, PromptFile } from "../providers/chat-model.js";
import type { FilePart, MessagePart } from "../protocol/index.js";
import { stepMessages, textAfterLastStep } from "./tool-steps.js";

/** What a prompt reads of the conversation: the window along the path, and whether a summary is on it. */
export type PromptHistory = Pick<MessageHistory, "window" | "onPath">;

export const summaryNote = (summary: string) => `Summary of the earlier conversation: ${summary}`;

/** System prompts and summaries recur in every turn of a conversation: each is counted once. */
const recurring = new TokenCountCache();

/** The user message an answer is written for: the new one, or the question of a regenerated answer. */
export interface PromptQuestion {
  id: string;
  parentId: string | null;
  seq: number;
  content: string;
  /** Its stored token count. */
  contentTokens: number;
  authorId?: string | null;
  authorName?: string | null;
  /** Its parts: the files it sends go with it. */
  parts?: MessagePart[] | undefined;
}

/** Reads the bytes of a message's files for the model (PROTOCOL.md: files). */
export type PromptFileReader = (parts: readonly FilePart[]) => Promise<PromptFile[]>;

const filesOf = (parts: readonly MessagePart[] | undefined): FilePart[] =>
  parts?.filter((p): p is FilePart => p.type === "file") ?? [];

/**
 * The most bytes of files, and the most files, one prompt carries: the vendors' requests have limits
 * (Anthropic 32 MB and 100 images, OpenAI about 50 MB), and every byte is held while the answer is
 * written. The newest files go first; older ones are named in their message's text instead.
 */
export const PROMPT_FILE_BYTES = 20 * 1024 * 1024;
export const PROMPT_FILES = 20;

/** Said in place of a file left out of the prompt. */
export const leftOutNote = (file: FilePart) =>
  `[The file ${file.name} (${file.mediaType}) was sent earlier; it is not sent again.]`;

/**
 * Each user message that sends files gets their bytes (`sources[i]` holds the parts of `named[i]`),
 * the newest first, within PROMPT_FILE_BYTES and PROMPT_FILES.
 */
async function withFiles(
  sources: readonly { parts?: MessagePart[] | undefined }[],
  named: ChatPromptMessage[],
  read: PromptFileReader | undefined,
): Promise<ChatPromptMessage[]> {
  if (!read || !sources.some((m) => m.parts?.some((p) => p.type === "file"))) return named;
  let bytes = 0;
  let count = 0;
  const out = [...named];
  for (let i = named.length - 1; i >= 0; i--) {
    const message = named[i]!;
    const files = filesOf(sources[i]?.parts);
    if (message.role !== "user" || files.length === 0) continue;
    const sent: FilePart[] = [];
    const leftOut: FilePart[] = [];
    for (const file of files) {
      if (count < PROMPT_FILES && bytes + file.size <= PROMPT_FILE_BYTES) {
        sent.push(file);
        bytes += file.size;
        count += 1;
      } else leftOut.push(file);
    }
    const notes = leftOut.map(leftOutNote).join("\n");
    out[i] = {
      ...message,
      ...(notes ? { content: message.content ? `${notes}\n${message.content}` : notes } : {}),
      ...(sent.length > 0 ? { files: await read(sent) } : {}),
    };
  }
  return out;
}

/**
 * Names the authors of the user messages when more than one person wrote among them: each message
 * then carries its author's name (a message with no author, a template's or an erased user's, none).
 */
export function withAuthors(
  messages: {
    role: ChatPromptMessage["role"];
    content: string;
    authorId?: string | null;
    authorName?: string | null;
  }[],
): ChatPromptMessage[] {
  // Each author's name, in the order they first wrote; two people of one name become "Sam", "Sam (2)".
  const names = new Map<string, string>();
  const taken = new Map<string, number>();
  for (const m of messages) {
    if (m.role !== "user" || !m.authorId || names.has(m.authorId)) continue;
    const name = m.authorName ?? m.authorId;
    const n = (taken.get(name) ?? 0) + 1;
    taken.set(name, n);
    names.set(m.authorId, n === 1 ? name : `${name} (${n})`);
  }
  return messages.map((m) =>
    names.size > 1 && m.role === "user" && m.authorId
      ? { role: m.role, content: m.content, name: names.get(m.authorId)! }
      : { role: m.role, content: m.content },
  );
}

/**
 * The window's answers that called tools go back to the model as their steps (each vendor's own
 * format: the calls, then their results), then the text written after the last step. `named` holds
 * the window's messages in order, then the question.
 */
function withSteps(
  window: { role: string; parts?: MessagePart[] | undefined }[],
  named: ChatPromptMessage[],
): ChatPromptMessage[] {
  if (!window.some((m) => m.parts?.some((p) => p.type === "tool"))) return named;
  return named.flatMap((message, i) => {
    const parts = window[i]?.parts;
    if (!parts?.some((p) => p.type === "tool")) return [message];
    const after = textAfterLastStep(parts);
    return [...stepMessages(parts), ...(after ? [{ role: "assistant" as const, content: after }] : [])];
  });
}

/** The window and the question, their authors named, their files read, earlier tool calls sent as steps. */
async function conversationMessages(
  window: Parameters<typeof withAuthors>[0] & Parameters<typeof withSteps>[0],
  question: PromptQuestion,
  read: PromptFileReader | undefined,
): Promise<ChatPromptMessage[]> {
  const last = {
    role: "user" as const,
    content: question.content,
    authorId: question.authorId ?? null,
    authorName: question.authorName ?? null,
    parts: question.parts,
  };
  const all = [...window, last];
  return withSteps(window, await withFiles(all, withAuthors(all), read));
}

export interface Prompt {
  messages: ChatPromptMessage[];
  /** Whether older messages of the path were left out of the window. */
  leftOut: boolean;
  /** The oldest message in the window (the question when there is none). */
  windowStart: { id: string; seq: number };
  /**
   * The summary sent, and the message of this path it covers up to, as read when the prompt was
   * built: a refresh after the turn extends exactly this one, whatever the conversation holds by then.
   */
  summaryOnPath: { summary: string; through: { id: string; seq: number } } | null;
  /** The prompt's tokens as counted here: each text's count, plus the framing of each message. */
  promptTokens: number;
}

/**
 * What the model is sent for a turn (PROTOCOL.md section 5, guarantee 8): the agent's system prompt,
 * the conversation summary when older messages are left out and the summary covers this path, the
 * newest complete messages of the path above the question that fit in the agent's `contextTokens`
 * (a template's system messages as system messages), then the question. Never a sibling branch.
 * Without memory, only the question.
 */
export async function buildPrompt(
  history: PromptHistory,
  agent: Pick<AgentRecord, "systemPrompt" | "contextTokens" | "conversationMemoryEnabled">,
  conversation: Pick<ConversationRecord, "summary" | "summaryThroughId" | "summaryThroughSeq">,
  question: PromptQuestion,
  /** Reads files' bytes; none: files are not sent. */
  readFiles?: PromptFileReader,
): Promise<Prompt> {
  const system: ChatPromptMessage[] = agent.systemPrompt
    ? [{ role: "system", content: agent.systemPrompt }]
    : [];
  const systemTokens =
    system.length > 0 ? (await recurring.count(agent.systemPrompt)) + MESSAGE_OVERHEAD_TOKENS : 0;
  const asked: ChatPromptMessage = { role: "user", content: question.content };
  const last = (await withFiles([question], [asked], readFiles))[0] ?? asked;
  const lastTokens = question.contentTokens + MESSAGE_OVERHEAD_TOKENS;
  const alone = { id: question.id, seq: question.seq };
  if (!agent.conversationMemoryEnabled) {
    return {
      messages: [...system, last],
      leftOut: false,
      windowStart: alone,
      summaryOnPath: null,
      promptTokens: systemTokens + lastTokens,
    };
  }

  const note = conversation.summary ? summaryNote(conversation.summary) : undefined;
  const noteTokens = note === undefined ? 0 : (await recurring.count(note)) + MESSAGE_OVERHEAD_TOKENS;
  const budget = Math.max(0, agent.contextTokens - systemTokens - lastTokens - noteTokens);
  const window = await history.window(question.parentId, budget);
  const leftOut = !window.reachedStart;
  const windowStart = window.messages[0] ?? alone;
  const anchor = conversation.summaryThroughId
    ? { id: conversation.summaryThroughId, seq: conversation.summaryThroughSeq }
    : undefined;
  // Only when older messages are left out is the summary needed, and only on a path that holds it.
  const onPath =
    leftOut &&
    anchor !== undefined &&
    (window.messages.some((m) => m.id === anchor.id) || (await history.onPath(anchor, windowStart.id)));
  const summaryOnPath =
    onPath && conversation.summary ? { summary: conversation.summary, through: anchor } : null;
  const summary: ChatPromptMessage[] =
    summaryOnPath && note !== undefined ? [{ role: "system", content: note }] : [];
  const named = await conversationMessages(window.messages, question, readFiles);
  return {
    messages: [...system, ...summary, ...named],
    leftOut,
    windowStart: { id: windowStart.id, seq: windowStart.seq },
    summaryOnPath,
    promptTokens: systemTokens + (summary.length > 0 ? noteTokens : 0) + window.tokens + lastTokens,
  };
}
