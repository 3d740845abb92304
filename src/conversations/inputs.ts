import { z } from "zod";

/**
 * The shapes clients may send (PROTOCOL.md section 4, input limits), shared by REST and Socket.IO.
 * Objects are strict: an unknown field is a `validation_failed` naming it, never silently ignored.
 */
export const id = z.guid({ message: "must be a UUID" });

/** PostgreSQL text cannot hold U+0000: refused up front rather than failing (or changing) on write. */
const NUL = "\u0000";
export const noNul = (s: string) => !s.includes(NUL);
export const NO_NUL_MESSAGE = "must not contain the NUL character";
/** A string of at most `max` characters without NUL. */
export const text = (max: number) => z.string().max(max).refine(noNul, NO_NUL_MESSAGE);

export const content = text(10_000)
  .refine((s) => s.length > 0, "must not be empty")
  .refine((s) => s.trim().length > 0, "must not be blank");

export const title = text(255).refine((s) => s.trim().length > 0, "must not be blank");

export const tags = z.array(text(50).refine((s) => s.length > 0, "must not be empty")).max(20);

export const METADATA_MAX_BYTES = 16 * 1024;
export const metadata = z
  .record(z.string(), z.unknown())
  .refine((m) => Buffer.byteLength(JSON.stringify(m)) <= METADATA_MAX_BYTES, "must be at most 16 KB of JSON")
  .refine((m) => !JSON.stringify(m).includes("\\u0000"), NO_NUL_MESSAGE);

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
