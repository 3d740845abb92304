import { setTimeout as sleep } from "node:timers/promises";
import { estimateFileTokens } from "../../tokens/file-tokens.js";
import { countTextTokens } from "../../tokens/token-counter.js";
import type { ChatModel, ChatRequest, ChatStreamPart, PromptFile } from "../chat-model.js";
import { describeFiles } from "./describe-files.js";

export interface DemoChatModelOptions {
  /** Milliseconds between two words (default 25). */
  wordDelayMs?: number;
}

/**
 * The built-in model: no key, no network, deterministic. It answers from the conversation it is
 * given, so that memory is visible: it quotes the new message and recalls the first one.
 */
export class DemoChatModel implements ChatModel {
  readonly provider = "demo";
  private readonly wordDelayMs: number;

  constructor(options: DemoChatModelOptions = {}) {
    this.wordDelayMs = options.wordDelayMs ?? 25;
  }

  async *stream(request: ChatRequest): AsyncIterable<ChatStreamPart> {
    const call = toolCallFor(request);
    const reply = call ? call.preface : await composeReply(request);
    const words = reply.match(/\S+\s*/g) ?? [];
    for (const word of words) {
      if (request.abortSignal.aborted) return;
      if (this.wordDelayMs > 0) {
        try {
          await sleep(this.wordDelayMs, undefined, { signal: request.abortSignal });
        } catch {
          return; // aborted while waiting
        }
      }
      yield { type: "text-delta", delta: word };
    }
    if (call) {
      yield { type: "tool-input-start", toolCallId: call.id, toolName: call.name };
      yield {
        type: "tool-call",
        toolCallId: call.id,
        toolName: call.name,
        input: JSON.stringify(call.input),
      };
    }
    let inputTokens = 0;
    for (const m of request.messages) {
      inputTokens += (await countTextTokens(m.content)) + 4;
      for (const file of m.files ?? []) inputTokens += estimateFileTokens("demo", file);
    }
    yield {
      type: "finish",
      finishReason: call ? "tool_calls" : "stop",
      usage: { inputTokens, outputTokens: await countTextTokens(reply) },
      modelUsed: request.model,
    };
  }
}

const quote = (text: string, max = 60) => {
  const oneLine = text.replace(/\s+/g, " ").trim();
  return oneLine.length > max ? `${oneLine.slice(0, max - 1)}…` : oneLine;
};

/**
 * The demo model asks for a tool it was given, deterministically: the time when the newest message
 * asks for it (`current_time`), a ticket when it asks to open one (`open_ticket`). Once the results
 * are in (the prompt ends with them), it answers with them instead.
 */
function toolCallFor(
  request: ChatRequest,
): { id: string; name: string; input: Record<string, unknown>; preface: string } | undefined {
  const last = request.messages.at(-1);
  if (!request.tools || (request.purpose !== undefined && request.purpose !== "answer")) return undefined;
  if (last?.role !== "user") return undefined;
  const has = (name: string) => request.tools?.some((t) => t.name === name) === true;
  const id = `call_${request.messages.length}`;
  if (/\bticket\b/i.test(last.content) && has("open_ticket"))
    return {
      id,
      name: "open_ticket",
      input: { title: quote(last.content, 80) },
      preface: "I will open a ticket for this; someone here has to approve it first. ",
    };
  if (/\b(time|clock)\b/i.test(last.content) && has("current_time"))
    return { id, name: "current_time", input: {}, preface: "Let me look at the clock. " };
  return undefined;
}

/** After tool calls: what each returned, or that it failed or was denied. */
function composeAfterTools(request: ChatRequest): string {
  const results = [];
  for (let i = request.messages.length - 1; i >= 0 && request.messages[i]?.role === "tool"; i--)
    results.unshift(request.messages[i]!);
  return results
    .map((r) =>
      r.isError
        ? `The tool ${r.toolName ?? "call"} did not run: ${quote(r.content, 120)}`
        : `The tool ${r.toolName ?? "call"} answered ${quote(r.content, 200)}.`,
    )
    .join(" ");
}

export async function composeReply(request: ChatRequest): Promise<string> {
  if (request.purpose === "title") return composeTitle(request);
  if (request.purpose === "summary") return composeSummary(request);
  const last = request.messages.at(-1);
  if (last?.role === "tool") return composeAfterTools(request);
  if (last?.role === "user" && last.files?.length) return composeAboutFiles(last.files, last.content);
  const userMessages = request.messages.filter((m) => m.role === "user");
  const latest = userMessages.at(-1)?.content ?? "";
  const turn = userMessages.length;
  const parts = [`You said: "${quote(latest)}".`];
  if (turn > 1) {
    const first = userMessages[0]?.content ?? "";
    parts.push(
      `This is message ${turn} I can see of our conversation; earlier you said "${quote(first, 40)}".`,
    );
    const previousAnswer = request.messages.filter((m) => m.role === "assistant").at(-1);
    if (previousAnswer)
      parts.push(`My last answer was ${await countTextTokens(previousAnswer.content)} tokens long.`);
  } else {
    parts.push("This is the start of our conversation.");
  }
  const summary = request.messages.find((m) => m.role === "system" && m.content.startsWith("Summary of"));
  if (summary) parts.push("I also have a summary of what we said long ago.");
  parts.push("I am the demo model: I need no key and no network, and I answer the same way every time.");
  return parts.join(" ");
}

/** A message with files: what the model was sent (it reads no file), and the text if there is one. */
function composeAboutFiles(files: PromptFile[], text: string): string {
  const said = text.trim() === "" ? "" : ` You said: "${quote(text)}".`;
  return `${describeFiles(files)}${said} I am the demo model: I can tell what you sent, but not read it.`;
}

/** The last message of a title request quotes the conversation's opening; its first words make the title. */
function composeTitle(request: ChatRequest): string {
  const opening = /"""([\s\S]*)"""/.exec(request.messages.at(-1)?.content ?? "")?.[1] ?? "";
  const words = opening.replace(/\s+/g, " ").trim().split(" ").slice(0, 6).join(" ");
  return words ? words.charAt(0).toUpperCase() + words.slice(1) : "Conversation";
}

/** Names what the user talked about, from the transcript lines the summary request carries. */
function composeSummary(request: ChatRequest): string {
  const transcript = request.messages.at(-1)?.content ?? "";
  const said = [...transcript.matchAll(/^User: (.*)$/gm)].map((m) => quote(m[1] ?? "", 40));
  if (said.length === 0) return "The conversation has not started yet.";
  const first = said[0];
  const last = said.at(-1);
  return said.length === 1
    ? `The user said "${first}".`
    : `The user began with "${first}" and most recently said "${last}". They exchanged ${said.length} messages in that part.`;
}
