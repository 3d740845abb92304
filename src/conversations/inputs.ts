import { z } from "zod";
import { textProblem } from "../validation.js";
import { metadata } from "./metadata.js";

/**
 * The shapes clients may send (PROTOCOL.md section 4, input limits), shared by REST and Socket.IO.
 * Objects are strict: an unknown field is a `validation_failed` naming it, never silently ignored.
 */
export const id = z.guid({ message: "must be a UUID" });

/**
 * A string of at most `max` characters that PostgreSQL stores exactly as sent: no NUL (it cannot
 * hold one) and no lone surrogate (it would silently become U+FFFD). Either is refused up front.
 */
export const text = (max: number) =>
  z
    .string()
    .max(max)
    .superRefine((s, ctx) => {
      const problem = textProblem(s);
      if (problem) ctx.addIssue({ code: "custom", message: problem });
    });

export const content = text(10_000)
  .refine((s) => s.length > 0, "must not be empty")
  .refine((s) => s.trim().length > 0, "must not be blank");

export const title = text(255).refine((s) => s.trim().length > 0, "must not be blank");

export const tags = z.array(text(50).refine((s) => s.length > 0, "must not be empty")).max(20);

export { metadata };

export const clientMessageId = text(255).refine((s) => s.length > 0, "must not be empty");

/** A query-string integer: digits only, so "1e2", " 5" or "" are refused rather than coerced. */
const queryInt = (min: number, max: number) =>
  z
    .string()
    .regex(/^\d{1,9}$/, "must be a whole number")
    .transform(Number)
    .pipe(z.number().int().min(min).max(max));

export const limit = queryInt(1, 100);
export const offset = queryInt(0, 1_000_000_000);

export const createConversationBody = z.strictObject({
  agentId: id,
  title: title.optional(),
  initialMessage: content.optional(),
  metadata: metadata.optional(),
});

export const listConversationsQuery = z.strictObject({
  status: z.enum(["active", "archived"]).optional(),
  agentId: id.optional(),
  limit: limit.default(50),
  offset: offset.default(0),
});

export const messagesQuery = z.strictObject({
  before: queryInt(1, 2_000_000_000).optional(),
  limit: limit.default(50),
});

export const postMessageBody = z.strictObject({
  content,
  clientMessageId: clientMessageId.optional(),
  metadata: metadata.optional(),
});

export const patchConversationBody = z
  .strictObject({ title: title.optional(), tags: tags.optional(), metadata: metadata.optional() })
  .refine((b) => b.title !== undefined || b.tags !== undefined || b.metadata !== undefined, {
    message: "give at least one of title, tags, metadata",
  });

export const archiveBody = z.strictObject({ archive: z.boolean() });

export const exportQuery = z.strictObject({ format: z.enum(["json", "markdown"]).default("json") });

export const joinPayload = z.strictObject({
  conversationId: id,
  afterSeq: z.number().int().min(0).optional(),
});
export const conversationPayload = z.strictObject({ conversationId: id });
export const sendPayload = z.strictObject({
  conversationId: id,
  content,
  clientMessageId: clientMessageId.optional(),
  metadata: metadata.optional(),
});
export const refreshPayload = z.strictObject({ token: z.string().min(1).max(16_384) });

export type CreateConversationInput = z.infer<typeof createConversationBody>;
export type ListConversationsInput = z.infer<typeof listConversationsQuery>;
export type PatchConversationInput = z.infer<typeof patchConversationBody>;
