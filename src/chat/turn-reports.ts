import type { Notifier } from "../conversations/notifier.js";
import type { MessageResource } from "../conversations/resources.js";
import type { Metrics } from "../observability/metrics.js";
import type { ActivityType, ToolPart } from "../protocol/index.js";

/** What operators learn of turns: the `/admin` activity feed and the Prometheus metrics. */
export class TurnReports {
  constructor(private readonly deps: { notifier: Notifier; metrics?: Metrics | undefined }) {}

  started(turn: {
    userId: string;
    conversationId: string;
    messageId: string;
    agentId: string;
    provider: string;
    model: string;
  }): void {
    this.deps.notifier.activity({ type: "generation.started", at: new Date().toISOString(), ...turn });
  }

  /**
   * An answer ended: finished (complete or cancelled, with usage and timings) or failed (error or
   * interrupted). `model` is the agent's model, which labels the metrics (the vendor may report a
   * more precise one, kept on the message).
   */
  ended(
    userId: string,
    message: MessageResource,
    labels: { model: string; failureKind?: string | undefined },
  ): void {
    const ok = message.status === "complete" || message.status === "cancelled";
    const provider = message.llmProvider ?? "unknown";
    this.deps.notifier.activity({
      type: ok ? "generation.finished" : "generation.failed",
      at: new Date().toISOString(),
      userId,
      conversationId: message.conversationId,
      messageId: message.id,
      status: message.status,
      provider,
      model: message.modelUsed,
      ...(ok
        ? {
            usage: {
              inputTokens: message.inputTokens,
              outputTokens: message.outputTokens,
              totalTokens: message.totalTokens,
            },
            responseTimeMs: message.responseTimeMs,
            timeToFirstTokenMs: message.timeToFirstTokenMs,
          }
        : { error: message.error }),
    });
    this.deps.metrics?.recordGeneration({
      provider,
      model: labels.model,
      status: message.status,
      timeToFirstTokenMs: message.timeToFirstTokenMs,
      responseTimeMs: message.responseTimeMs,
      inputTokens: message.inputTokens,
      outputTokens: message.outputTokens,
      failureKind: labels.failureKind,
    });
  }

  /**
   * A tool call changed state: approval asked (`tool.approval_requested`), decided (`tool.decided`),
   * ran (`tool.called`) or failed (`tool.failed`). Never its input or output: they may be private.
   */
  tool(userId: string, answer: { conversationId: string; messageId: string }, part: ToolPart): void {
    const type = TOOL_ACTIVITY[part.state];
    if (!type) return;
    this.deps.notifier.activity({
      type,
      at: new Date().toISOString(),
      userId,
      ...answer,
      toolName: part.toolName,
      ...(type === "tool.decided" ? { approved: part.approval?.approved ?? false } : {}),
      ...(type === "tool.failed" && part.error ? { error: part.error } : {}),
    });
  }
}

const TOOL_ACTIVITY: Partial<Record<ToolPart["state"], ActivityType>> = {
  "approval-requested": "tool.approval_requested",
  approved: "tool.decided",
  denied: "tool.decided",
  "output-available": "tool.called",
  "output-error": "tool.failed",
};
