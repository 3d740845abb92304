import type { ToolSpec } from "../providers/chat-model.js";
import type { ToolApprovalMode } from "../protocol/index.js";
import type { ToolCallContext, ToolExecutor, ToolOutcome } from "./tool-executor.js";

/** A tool that ships with Confab: its definition (for the seeder and the admin) and what it does. */
export interface BuiltinTool extends ToolSpec {
  /** The approval the seeded tool gets. */
  approval: ToolApprovalMode;
  run(input: unknown): ToolOutcome;
}

/** The time now, in a time zone (UTC by default). Needs no approval. */
const currentTime: BuiltinTool = {
  name: "current_time",
  description:
    "The current date and time, in a time zone (an IANA name such as Europe/Paris; UTC by default).",
  inputSchema: {
    type: "object",
    properties: { timeZone: { type: "string", description: "An IANA time zone, such as Europe/Paris" } },
    additionalProperties: false,
  },
  approval: "never",
  run(input) {
    const timeZone = (input as { timeZone?: string } | null)?.timeZone ?? "UTC";
    const now = new Date();
    try {
      const formatted = new Intl.DateTimeFormat("en-GB", {
        dateStyle: "full",
        timeStyle: "long",
        timeZone,
      }).format(now);
      return { output: { iso: now.toISOString(), timeZone, formatted } };
    } catch {
      return { error: `unknown time zone: ${timeZone}` };
    }
  },
};

let lastTicket = 0;

/** Opens a (pretend) support ticket, kept in memory: needs approval, as an action on a person's behalf would. */
const openTicket: BuiltinTool = {
  name: "open_ticket",
  description: "Opens a support ticket with a title and optional details.",
  inputSchema: {
    type: "object",
    properties: {
      title: { type: "string", minLength: 1, maxLength: 200 },
      details: { type: "string", maxLength: 4000 },
    },
    required: ["title"],
    additionalProperties: false,
  },
  approval: "always",
  run(input) {
    const { title } = input as { title: string };
    lastTicket += 1;
    return { output: { ticketId: `T-${1000 + lastTicket}`, title, status: "open" } };
  },
};

/** Every builtin tool, by name. */
export const BUILTIN_TOOLS: ReadonlyMap<string, BuiltinTool> = new Map(
  [currentTime, openTicket].map((t) => [t.name, t]),
);

/** Runs a builtin tool by its name; an unknown name is an error, not a throw. */
export class BuiltinToolExecutor implements ToolExecutor {
  constructor(private readonly name: string) {}

  run(call: ToolCallContext): Promise<ToolOutcome> {
    const tool = BUILTIN_TOOLS.get(this.name);
    if (!tool) return Promise.resolve({ error: `there is no builtin tool ${this.name}` });
    if (call.signal.aborted) return Promise.resolve({ error: "the call was stopped" });
    return Promise.resolve(tool.run(call.input));
  }
}
