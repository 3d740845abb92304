import type { AgentRecord, ConversationRecord } from "../db/records.js";
import type { Repositories } from "../db/repositories/index.js";
import { DEFAULT_TITLE } from "../conversations/conversation-service.js";
import type { Notifier } from "../conversations/notifier.js";
import type { Logger } from "../observability/logger.js";
import { completeText } from "../providers/complete-text.js";
import type { ModelRegistry } from "../providers/model-registry.js";
import type { BackgroundGate } from "./background-gate.js";
import type { Prompt } from "./prompt.js";

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
/** A summary reads at most this many messages of a path, newest first. */
const TRANSCRIPT_MAX_MESSAGES = 512;
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

  /**
   * `POST /conversations/:id/summary`: the summary of the path the conversation shows, extended from
   * the previous one when it covers this path (else written afresh), by the newest messages that fit.
   */
  async summarize(conversation: ConversationRecord, agent: AgentRecord): Promise<string> {
    const headId = conversation.headId;
    if (!headId) return conversation.summary ?? "";
    const anchor = anchorOf(conversation);
    const onPath =
      anchor !== null && (await this.deps.repositories.messages.isAncestor(anchor, headId, 1024));
    const previous = onPath ? conversation.summary : null;
    const { lines, through } = await this.transcript(
      headId,
      null,
      onPath ? anchor.seq : 0,
      agent,
      "backward",
    );
    if (lines.length === 0 && previous) return previous;
    const summary = await this.write(agent, previous, lines);
    const throughMessage = through ?? anchor;
    const updated = await this.deps.repositories.conversations.update(conversation.id, {
      summary,
      summaryThroughId: throughMessage?.id ?? null,
      summaryThroughSeq: throughMessage?.seq ?? 0,
    });
    if (updated) this.deps.notifier.conversationUpdated(updated);
    return summary;
  }

  /**
   * After a turn whose window left older messages of its path out: when enough of them are not yet
   * covered by the summary, extend it in the background (or, when the summary covers another branch,
   * write this path's afresh). One refresh per conversation at a time on this node; across nodes the
   * conditional update lets only the first writer win.
   */
  refreshInBackground(conversation: ConversationRecord, agent: AgentRecord, prompt: Prompt): void {
    if (!agent.autoGenerateSummary) return;
    // The summary this turn's prompt verified on its path: another branch's refresh may have
    // replaced the conversation's since, and must not be extended with this path's messages.
    const verified = prompt.summaryOnPath;
    const anchor = verified?.through ?? null;
    // Along a path seq grows at least by one per message: this bounds the messages left uncovered.
    const uncovered = prompt.windowStart.seq - 1 - (anchor?.seq ?? 0);
    if (uncovered < REFRESH_AFTER_MESSAGES || this.refreshing.has(conversation.id)) return;
    this.refreshing.add(conversation.id);
    void this.refresh(conversation, agent, verified, prompt.windowStart)
      .catch((err: unknown) =>
        this.deps.logger.warn({ err, conversationId: conversation.id }, "summary refresh failed"),
      )
      .finally(() => this.refreshing.delete(conversation.id));
  }

  private async refresh(
    conversation: ConversationRecord,
    agent: AgentRecord,
    verified: Prompt["summaryOnPath"],
    windowStart: PathPoint,
  ): Promise<void> {
    // Oldest first: what fell out of the window longest ago is summarized before anything newer.
    const { lines, through } = await this.gate.run(() =>
      this.transcript(windowStart.id, windowStart.id, verified?.through.seq ?? 0, agent, "forward"),
    );
    if (lines.length === 0 || !through) return;
    const summary = await this.write(agent, verified?.summary ?? null, lines);
    // Written only if the conversation still holds the summary this one extends (a fresh one
    // replaces whatever another branch holds); otherwise another refresh won and this is dropped.
    const fresh = await this.gate.run(() =>
      this.deps.repositories.conversations.extendSummary(
        conversation.id,
        verified ? verified.through.id : (conversation.summaryThroughId ?? null),
        summary,
        through,
      ),
    );
    if (fresh) this.deps.notifier.conversationUpdated(fresh);
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
    if (fresh) this.deps.notifier.conversationUpdated(fresh);
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
   * "User: …" / "Assistant: …" lines of the complete and cancelled messages of the path ending at
   * `fromId` (without `excludeId`) below `aboveSeq`, that fit the summary budget: the newest of them
   * (`backward`) or the oldest (`forward`), in order, and the newest message they reach. At most
   * TRANSCRIPT_MAX_MESSAGES are read, so a refresh costs the same however long the path.
   */
  private async transcript(
    fromId: string,
    excludeId: string | null,
    aboveSeq: number,
    agent: AgentRecord,
    direction: "forward" | "backward",
  ): Promise<{ lines: string[]; through: PathPoint | null }> {
    const budget = Math.max(agent.contextTokens, SUMMARY_MIN_INPUT_TOKENS);
    const newestFirst = await this.deps.repositories.messages.pathTexts(
      fromId,
      aboveSeq,
      TRANSCRIPT_MAX_MESSAGES,
    );
    const ended = newestFirst.filter(
      (m) => m.id !== excludeId && (m.status === "complete" || m.status === "cancelled"),
    );
    const ordered = direction === "forward" ? ended.reverse() : ended;
    const taken: { point: PathPoint; line: string }[] = [];
    let used = 0;
    for (const m of ordered) {
      if (m.role === "system" || m.content.length === 0) continue;
      const speaker = m.role === "user" ? "User" : "Assistant";
      const cost = m.contentTokens + 3;
      if (used + cost > budget) {
        // A single message larger than the whole budget is cut rather than skipped, or the summary
        // could never move past it.
        if (taken.length === 0) {
          const cut = m.content.replace(/\s+/g, " ").slice(0, budget);
          taken.push({ point: { id: m.id, seq: m.seq }, line: `${speaker}: ${cut}…` });
        }
        break;
      }
      used += cost;
      taken.push({ point: { id: m.id, seq: m.seq }, line: `${speaker}: ${m.content.replace(/\s+/g, " ")}` });
    }
    if (direction === "forward") {
      return { lines: taken.map((t) => t.line), through: taken.at(-1)?.point ?? null };
    }
    const newest = ended[0];
    return {
      lines: taken.reverse().map((t) => t.line),
      through: newest ? { id: newest.id, seq: newest.seq } : null,
    };
  }
}

/** A message of a path, as a summary remembers where it ends. */
interface PathPoint {
  id: string;
  seq: number;
}

/** The message the conversation's summary covers up to, if it has one. */
function anchorOf(conversation: ConversationRecord): PathPoint | null {
  return conversation.summary && conversation.summaryThroughId
    ? { id: conversation.summaryThroughId, seq: conversation.summaryThroughSeq }
    : null;
}

function cleanTitle(text: string): string {
  const firstLine = text.split("\n").find((l) => l.trim()) ?? "";
  return firstLine
    .replace(/^(title:\s*)/i, "")
    .replace(/^["'“”*#\s]+|["'“”*.\s]+$/g, "")
    .slice(0, 255)
    .trim();
}
