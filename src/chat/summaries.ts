import type { AgentRecord, ConversationRecord } from "../db/records.js";
import type { Repositories } from "../db/repositories/index.js";
import { DEFAULT_TITLE } from "../conversations/conversation-service.js";
import type { Notifier } from "../conversations/notifier.js";
import { toConversationResource } from "../conversations/resources.js";
import type { Logger } from "../observability/logger.js";
import { completeText } from "../providers/complete-text.js";
import type { ModelRegistry } from "../providers/model-registry.js";
import type { BackgroundGate } from "./background-gate.js";

const SUMMARY_INSTRUCTIONS =
  "You write summaries of conversations between a user and an assistant. Answer with a summary of " +
  "two to three sentences that keeps names, facts, decisions and open questions, and nothing else.";
const TITLE_INSTRUCTIONS =
  "Write a short title, at most six words, for a conversation that begins with the message below. " +
  "Answer with the title only, without quotes.";

/** A background refresh waits until this many messages have fallen out of the window unsummarized. */
const REFRESH_AFTER_MESSAGES = 10;
const SUMMARY_MAX_OUTPUT_TOKENS = 300;
/** A title is at most six words: a few tokens are all the vendor is asked for. */
const TITLE_MAX_OUTPUT_TOKENS = 16;
/** A summary may read more than a turn's window: the vendor's context is far larger than a turn's budget. */
const SUMMARY_MIN_INPUT_TOKENS = 4000;

export interface SummariesDeps {
  /** Background database work waits for a quiet pool: titles and refreshes never compete with answers. */
  gate: BackgroundGate;
  repositories: Pick<Repositories, "conversations" | "messages">;
  modelRegistry: ModelRegistry;
  notifier: Notifier;
  logger: Logger;
}

/**
 * Conversation summaries and generated titles, written by the conversation's own agent. A summary is
 * extended, never rebuilt: each refresh reads the previous summary and the messages after the seq it
 * covers, so its cost does not grow with the conversation.
 */
export class Summaries {
  private readonly refreshing = new Set<string>();

  constructor(private readonly deps: SummariesDeps) {}

  private get gate(): BackgroundGate {
    return this.deps.gate;
  }

  /** `POST /conversations/:id/summary`: the previous summary plus the newest messages that fit the window. */
  async summarize(conversation: ConversationRecord, agent: AgentRecord): Promise<string> {
    const newest = conversation.totalMessages;
    const from = conversation.summaryThroughSeq + 1;
    const { lines } = await this.transcript(conversation.id, from, newest + 1, agent, "backward");
    if (lines.length === 0 && conversation.summary) return conversation.summary;
    const summary = await this.write(agent, conversation.summary, lines);
    if (summary === conversation.summary && newest === conversation.summaryThroughSeq) return summary;
    const updated = await this.deps.repositories.conversations.update(conversation.id, {
      summary,
      summaryThroughSeq: newest,
    });
    if (updated) this.deps.notifier.conversationUpdated(toConversationResource(updated));
    return summary;
  }

  /**
   * After a turn whose window left older messages out: when enough of them are not yet covered by the
   * summary, extend it in the background. One refresh per conversation at a time on this node; across
   * nodes the conditional update lets only the first writer win.
   */
  refreshInBackground(conversation: ConversationRecord, agent: AgentRecord, windowStartSeq: number): void {
    if (!agent.autoGenerateSummary) return;
    const uncovered = windowStartSeq - 1 - conversation.summaryThroughSeq;
    if (uncovered < REFRESH_AFTER_MESSAGES || this.refreshing.has(conversation.id)) return;
    this.refreshing.add(conversation.id);
    void this.refresh(conversation, agent, windowStartSeq)
      .catch((err: unknown) =>
        this.deps.logger.warn({ err, conversationId: conversation.id }, "summary refresh failed"),
      )
      .finally(() => this.refreshing.delete(conversation.id));
  }

  private async refresh(
    conversation: ConversationRecord,
    agent: AgentRecord,
    windowStartSeq: number,
  ): Promise<void> {
    const from = conversation.summaryThroughSeq;
    // Oldest first: what fell out of the window longest ago is summarized before anything newer.
    const { lines, throughSeq } = await this.gate.run(() =>
      this.transcript(conversation.id, from + 1, windowStartSeq, agent, "forward"),
    );
    if (lines.length === 0) return;
    const summary = await this.write(agent, conversation.summary, lines);
    const fresh = await this.gate.run(() =>
      this.deps.repositories.conversations.extendSummary(conversation.id, from, summary, throughSeq),
    );
    if (fresh) this.deps.notifier.conversationUpdated(toConversationResource(fresh));
  }

  /** After the first answer of a conversation still titled by default: a short generated title. */
  titleInBackground(conversation: ConversationRecord, agent: AgentRecord, firstMessage: string): void {
    if (conversation.title !== DEFAULT_TITLE) return;
    void this.title(conversation, agent, firstMessage).catch((err: unknown) =>
      this.deps.logger.warn({ err, conversationId: conversation.id }, "title generation failed"),
    );
  }

  private async title(
    conversation: ConversationRecord,
    agent: AgentRecord,
    firstMessage: string,
  ): Promise<void> {
    const model = this.deps.modelRegistry.forAgent(agent);
    const { text } = await completeText(model, {
      model: agent.model,
      purpose: "title",
      temperature: 0.2,
      maxOutputTokens: TITLE_MAX_OUTPUT_TOKENS,
      abortSignal: AbortSignal.timeout(60_000),
      messages: [
        { role: "system", content: TITLE_INSTRUCTIONS },
        { role: "user", content: `"""${firstMessage.slice(0, 2000)}"""` },
      ],
    });
    const title = cleanTitle(text);
    if (!title) return;
    const fresh = await this.gate.run(() =>
      this.deps.repositories.conversations.replaceDefaultTitle(conversation.id, DEFAULT_TITLE, title),
    );
    if (fresh) this.deps.notifier.conversationUpdated(toConversationResource(fresh));
  }

  private async write(agent: AgentRecord, previous: string | null, lines: string[]): Promise<string> {
    const model = this.deps.modelRegistry.forAgent(agent);
    const { text } = await completeText(model, {
      model: agent.model,
      purpose: "summary",
      temperature: 0.2,
      maxOutputTokens: SUMMARY_MAX_OUTPUT_TOKENS,
      abortSignal: AbortSignal.timeout(120_000),
      messages: [
        { role: "system", content: SUMMARY_INSTRUCTIONS },
        {
          role: "user",
          content:
            (previous ? `The summary so far: ${previous}\n\n` : "") +
            `The conversation${previous ? " since then" : ""}:\n${lines.join("\n")}`,
        },
      ],
    });
    return text.slice(0, 4000);
  }

  /**
   * "User: …" / "Assistant: …" lines of the complete and cancelled messages with seq in [from, to)
   * that fit the summary budget: the newest of them (`backward`) or the oldest (`forward`), in order.
   * Also returns the newest seq the lines reach.
   */
  private async transcript(
    conversationId: string,
    from: number,
    to: number,
    agent: AgentRecord,
    direction: "forward" | "backward",
  ): Promise<{ lines: string[]; throughSeq: number }> {
    const budget = Math.max(agent.contextTokens, SUMMARY_MIN_INPUT_TOKENS);
    const taken: { seq: number; line: string }[] = [];
    let used = 0;
    let cursor = direction === "forward" ? from : to;
    const done = () => (direction === "forward" ? cursor >= to : cursor <= from);
    while (!done()) {
      const [start, end] =
        direction === "forward"
          ? [cursor, Math.min(to, cursor + 256)]
          : [Math.max(from, cursor - 256), cursor];
      const batch = await this.deps.repositories.messages.texts(conversationId, start, end, {
        order: direction === "forward" ? "ASC" : "DESC",
        endedOnly: true,
      });
      for (const m of batch) {
        if (m.role === "system" || m.content.length === 0) continue;
        const speaker = m.role === "user" ? "User" : "Assistant";
        const cost = m.contentTokens + 3;
        if (used + cost > budget) {
          // A single message larger than the whole budget is cut rather than skipped, or the summary
          // could never move past it.
          if (taken.length === 0) {
            const cut = m.content.replace(/\s+/g, " ").slice(0, budget);
            taken.push({ seq: m.seq, line: `${speaker}: ${cut}…` });
          }
          return result(taken, direction, from);
        }
        used += cost;
        taken.push({ seq: m.seq, line: `${speaker}: ${m.content.replace(/\s+/g, " ")}` });
      }
      cursor = direction === "forward" ? end : start;
    }
    return result(taken, direction, direction === "forward" ? to - 1 : from);
  }
}

function result(
  taken: { seq: number; line: string }[],
  direction: "forward" | "backward",
  fallbackSeq: number,
): { lines: string[]; throughSeq: number } {
  const ordered = direction === "forward" ? taken : taken.reverse();
  const throughSeq = direction === "forward" ? (ordered.at(-1)?.seq ?? fallbackSeq) : fallbackSeq;
  return { lines: ordered.map((t) => t.line), throughSeq };
}

function cleanTitle(text: string): string {
  const firstLine = text.split("\n").find((l) => l.trim()) ?? "";
  return firstLine
    .replace(/^(title:\s*)/i, "")
    .replace(/^["'“”*#\s]+|["'“”*.\s]+$/g, "")
    .slice(0, 255)
    .trim();
}
