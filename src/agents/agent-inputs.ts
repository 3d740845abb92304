import { z } from "zod";
import { text } from "../conversations/inputs.js";
import { PROVIDERS } from "../db/models/index.js";

const budget = z.number().int().positive().max(10_000_000);

const agentFields = {
  name: text(255).refine((s) => s.trim().length > 0, "must not be blank"),
  description: text(2000),
  provider: z.enum(PROVIDERS),
  model: text(255).refine((s) => s.trim().length > 0, "must not be blank"),
  systemPrompt: text(20_000),
  temperature: z.number().min(0).max(2),
  maxConversationTokens: budget,
  contextTokens: budget,
  conversationMemoryEnabled: z.boolean(),
  autoGenerateSummary: z.boolean(),
  active: z.boolean(),
};

/** `POST /admin/agents`: name, provider and model are required; the rest has the documented defaults. */
export const createAgentBody = z.strictObject({
  name: agentFields.name,
  provider: agentFields.provider,
  model: agentFields.model,
  description: agentFields.description.optional(),
  systemPrompt: agentFields.systemPrompt.optional(),
  temperature: agentFields.temperature.optional(),
  maxConversationTokens: agentFields.maxConversationTokens.optional(),
  contextTokens: agentFields.contextTokens.optional(),
  conversationMemoryEnabled: agentFields.conversationMemoryEnabled.optional(),
  autoGenerateSummary: agentFields.autoGenerateSummary.optional(),
  active: agentFields.active.optional(),
});

export const patchAgentBody = z
  .strictObject(
    Object.fromEntries(Object.entries(agentFields).map(([k, v]) => [k, v.optional()])) as {
      [K in keyof typeof agentFields]: z.ZodOptional<(typeof agentFields)[K]>;
    },
  )
  .refine((b) => Object.values(b).some((v) => v !== undefined), {
    message: "give at least one field to change",
  });

export type CreateAgentInput = z.infer<typeof createAgentBody>;
export type PatchAgentInput = z.infer<typeof patchAgentBody>;
