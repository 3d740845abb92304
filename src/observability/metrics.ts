import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from "prom-client";

export interface MetricsDeps {
  /** Sockets connected to `/chat` on this node, read at each scrape. */
  connectedSockets: () => number;
  /** Answers this node is writing, read at each scrape. */
  activeGenerations: () => number;
}

/** What answers are measured by: their outcomes, timings, tokens and the vendors' failures. */
function answerMetrics(registers: Registry[]) {
  const latencyBuckets = [0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 30, 60];
  return {
    generations: new Counter({
      name: "confab_generations_total",
      help: "Answers ended, by outcome (complete, cancelled, error, interrupted)",
      labelNames: ["outcome", "provider", "model"],
      registers,
    }),
    timeToFirstToken: new Histogram({
      name: "confab_time_to_first_token_seconds",
      help: "From the call to the vendor to the first text",
      labelNames: ["provider", "model"],
      buckets: latencyBuckets,
      registers,
    }),
    generationDuration: new Histogram({
      name: "confab_generation_duration_seconds",
      help: "From the call to the vendor to the stored answer",
      labelNames: ["provider", "model"],
      buckets: [0.25, 0.5, 1, 2, 5, 10, 30, 60, 120, 300],
      registers,
    }),
    tokens: new Counter({
      name: "confab_tokens_total",
      help: "Tokens used, by provider, model and kind (input or output)",
      labelNames: ["provider", "model", "kind"],
      registers,
    }),
    providerErrors: new Counter({
      name: "confab_provider_errors_total",
      help: "Vendor failures, by kind (auth, rate_limit, server, cut_off, stall, …)",
      labelNames: ["provider", "kind"],
      registers,
    }),
  };
}

/** What requests are measured by: refusals by a rate limit, REST requests and their durations. */
function requestMetrics(registers: Registry[]) {
  return {
    rateLimited: new Counter({
      name: "confab_rate_limited_total",
      help: "Refusals by a rate limit (message, connection, request)",
      labelNames: ["limit"],
      registers,
    }),
    httpRequests: new Counter({
      name: "confab_http_requests_total",
      help: "REST requests, by method, route and status",
      labelNames: ["method", "route", "status"],
      registers,
    }),
    httpDuration: new Histogram({
      name: "confab_http_request_duration_seconds",
      help: "REST request durations, by method and route",
      labelNames: ["method", "route"],
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 60],
      registers,
    }),
  };
}

/** What tool calls are measured by: their outcomes (output, error, timeout) and durations. */
function toolMetrics(registers: Registry[]) {
  return {
    toolCalls: new Counter({
      name: "confab_tool_calls_total",
      help: "Tool calls run, by tool and outcome (output, error, timeout, stopped)",
      labelNames: ["tool", "outcome"],
      registers,
    }),
    toolDuration: new Histogram({
      name: "confab_tool_call_seconds",
      help: "How long tool calls took, by tool",
      labelNames: ["tool"],
      buckets: [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 30, 60],
      registers,
    }),
  };
}

/**
 * The Prometheus metrics of one node (prom-client), in a registry of its own so that several nodes in
 * one process (tests) never share counters. Served as text at `/metrics`.
 */
export class Metrics {
  readonly registry = new Registry();
  readonly connectedSockets: Gauge;
  readonly activeGenerations: Gauge;
  readonly generations: Counter<"outcome" | "provider" | "model">;
  readonly timeToFirstToken: Histogram<"provider" | "model">;
  readonly generationDuration: Histogram<"provider" | "model">;
  readonly tokens: Counter<"provider" | "model" | "kind">;
  readonly providerErrors: Counter<"provider" | "kind">;
  readonly rateLimited: Counter<"limit">;
  readonly httpRequests: Counter<"method" | "route" | "status">;
  readonly httpDuration: Histogram<"method" | "route">;
  readonly toolCalls: Counter<"tool" | "outcome">;
  readonly toolDuration: Histogram<"tool">;

  constructor(deps: MetricsDeps) {
    const registers = [this.registry];
    // Registered in this order, which is the order /metrics lists them in.
    collectDefaultMetrics({ register: this.registry, prefix: "confab_" });
    this.connectedSockets = new Gauge({
      name: "confab_connected_sockets",
      help: "Sockets connected to /chat on this node",
      registers,
      collect() {
        this.set(deps.connectedSockets());
      },
    });
    this.activeGenerations = new Gauge({
      name: "confab_active_generations",
      help: "Answers this node is writing (streaming); /admin/stats' activeGenerations counts them on all nodes, and a dead node's until recovery marks them interrupted",
      registers,
      collect() {
        this.set(deps.activeGenerations());
      },
    });
    ({
      generations: this.generations,
      timeToFirstToken: this.timeToFirstToken,
      generationDuration: this.generationDuration,
      tokens: this.tokens,
      providerErrors: this.providerErrors,
    } = answerMetrics(registers));
    ({
      rateLimited: this.rateLimited,
      httpRequests: this.httpRequests,
      httpDuration: this.httpDuration,
    } = requestMetrics(registers));
    ({ toolCalls: this.toolCalls, toolDuration: this.toolDuration } = toolMetrics(registers));
  }

  /** An answer ended: its outcome, timings and usage. */
  recordGeneration(answer: {
    provider: string;
    model: string;
    status: string;
    timeToFirstTokenMs: number | null;
    responseTimeMs: number | null;
    inputTokens: number | null;
    outputTokens: number | null;
    failureKind?: string | undefined;
  }): void {
    const labels = { provider: answer.provider, model: answer.model };
    this.generations.inc({ ...labels, outcome: answer.status });
    if (answer.timeToFirstTokenMs !== null)
      this.timeToFirstToken.observe(labels, answer.timeToFirstTokenMs / 1000);
    if (answer.responseTimeMs !== null) this.generationDuration.observe(labels, answer.responseTimeMs / 1000);
    if (answer.inputTokens) this.tokens.inc({ ...labels, kind: "input" }, answer.inputTokens);
    if (answer.outputTokens) this.tokens.inc({ ...labels, kind: "output" }, answer.outputTokens);
    if (answer.status === "error") {
      this.providerErrors.inc({ provider: answer.provider, kind: answer.failureKind ?? "other" });
    }
  }
}
