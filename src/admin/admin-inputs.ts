import { z } from "zod";
import { id, limit, offset, text } from "../conversations/inputs.js";

export const userId = text(255).refine((s) => s.length > 0, "must not be empty");

export const adminUsersQuery = z.strictObject({ limit: limit.default(50), offset: offset.default(0) });

export const adminConversationsQuery = z.strictObject({
  userId: userId.optional(),
  status: z.enum(["active", "archived", "deleted"]).optional(),
  agentId: id.optional(),
  limit: limit.default(50),
  offset: offset.default(0),
});

export const purgeBody = z.strictObject({
  olderThanDays: z.number().int().min(0).max(36_500).default(90),
});

export type AdminConversationsQuery = z.infer<typeof adminConversationsQuery>;
