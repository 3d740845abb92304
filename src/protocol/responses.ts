import { z } from "zod";
import {
  agentResource,
  conversationResource,
  createdInvite,
  fileResource,
  inviteResource,
  memberResource,
  messageResource,
  templateResource,
  treeNode,
  userResource,
} from "./resources.js";

/** The bodies of REST answers (PROTOCOL.md section 4) beyond the plain resources. */
const paging = {
  total: z.number().int(),
  /** `offset / limit + 1`. */
  page: z.number().int(),
  pageSize: z.number().int(),
  hasMore: z.boolean(),
};

export const conversationList = z.object({ conversations: z.array(conversationResource), ...paging });

export const conversationDetail = conversationResource.extend({
  messages: z.array(messageResource).describe("the latest 50, ascending seq"),
  hasMoreMessages: z.boolean(),
});

export const messagePage = z.object({ messages: z.array(messageResource), hasMore: z.boolean() });

export const turnResult = z.object({
  conversationId: z.string(),
  messageId: z.string(),
  assistantMessage: messageResource.nullable().describe("null when the message started no answer"),
  totalTokensUsed: z.number().int(),
  conversationTotalTokens: z.number().int(),
  duplicate: z.boolean().optional(),
});

export const memberList = z.object({ members: z.array(memberResource).describe("the owner first") });
/** `POST /conversations/:id/files`. */
export const uploadedFile = z.object({ file: fileResource });
/** `GET /conversations/:id/files`: its stored files, oldest first. */
export const fileList = z.object({ files: z.array(fileResource) });
/** `GET /files/:id/url`: a link to the bytes that needs no token. */
export const fileLink = z.object({
  url: z.string().describe("relative to the server's origin; valid for 5 minutes"),
  expiresAt: z.string().describe("ISO 8601 time"),
});
export const inviteList = z.object({ invites: z.array(inviteResource) });
export { createdInvite };
/** `POST /invites/:token/accept`: the conversation, with the caller's role. */
export const acceptedInvite = z.object({ conversation: conversationResource });
/** `GET /admin/conversations/:id`: the conversation, its latest messages and its members. */
export const adminConversationDetail = conversationDetail.extend({ members: z.array(memberResource) });

export const stopResult = z.object({ stopped: z.boolean() });

/** `GET /conversations/:id/tree`: every message without its text, in `seq` order. */
export const treeResult = z.object({ messages: z.array(treeNode) });

/** `POST …/regenerate`: the new answer, once it has ended. */
export const regenerateResult = z.object({
  conversationId: z.string(),
  assistantMessage: messageResource,
  totalTokensUsed: z.number().int(),
  conversationTotalTokens: z.number().int(),
});

export const templateList = z.array(templateResource);

/** `POST …/checkout`: the conversation with its new head. */
export const checkoutResult = z.object({ conversation: conversationResource });

export const summaryResult = z.object({ summary: z.string() });

export const conversationExport = z.object({
  conversation: conversationResource,
  messages: z.array(messageResource),
  files: z.array(fileResource).describe("the conversation's files (their bytes at GET /files/:id/content)"),
  exportedAt: z.string(),
});

export const userStats = z.object({
  totalConversations: z.number().int(),
  activeConversations: z.number().int(),
  archivedConversations: z.number().int(),
  totalMessages: z.number().int(),
  totalTokensUsed: z.number().int(),
  averageMessagesPerConversation: z.number(),
  mostActiveAgent: z.object({ id: z.string(), name: z.string(), conversations: z.number().int() }).nullable(),
});

export const adminStats = z.object({
  users: z.number().int(),
  conversations: z.object({
    active: z.number().int(),
    archived: z.number().int(),
    deleted: z.number().int(),
    total: z.number().int(),
  }),
  messages: z.number().int(),
  tokens: z.object({
    total: z.number().int(),
    byModel: z.array(
      z.object({
        provider: z.string(),
        model: z.string(),
        inputTokens: z.number().int(),
        outputTokens: z.number().int(),
        totalTokens: z.number().int(),
      }),
    ),
  }),
  activeGenerations: z.number().int().describe("answers being written on all nodes (streaming rows)"),
  connectedSockets: z.number().int().describe("sockets on /chat across all nodes"),
  partial: z.boolean().describe("true when some node could not be asked: connectedSockets is this node's"),
});

export const adminUser = userResource.extend({
  conversations: z.number().int(),
  totalTokensUsed: z.number().int(),
});
export const adminUserList = z.object({ users: z.array(adminUser), ...paging });

export const agentList = z.array(agentResource);
export const devToken = z.object({ token: z.string() });
export const purgeResult = z.object({ purged: z.number().int() });

export type StopResult = z.output<typeof stopResult>;
export type MemberList = z.output<typeof memberList>;
export type UploadedFile = z.output<typeof uploadedFile>;
export type FileList = z.output<typeof fileList>;
export type FileLink = z.output<typeof fileLink>;
export type InviteList = z.output<typeof inviteList>;
export type AcceptedInvite = z.output<typeof acceptedInvite>;
export type AdminConversationDetail = z.output<typeof adminConversationDetail>;
export type TreeResult = z.output<typeof treeResult>;
export type RegenerateResult = z.output<typeof regenerateResult>;
export type ConversationList = z.output<typeof conversationList>;
export type ConversationDetail = z.output<typeof conversationDetail>;
export type MessagePage = z.output<typeof messagePage>;
export type TurnResult = z.output<typeof turnResult>;
export type ConversationExport = z.output<typeof conversationExport>;
export type UserStats = z.output<typeof userStats>;
export type AdminStats = z.output<typeof adminStats>;
export type AdminUser = z.output<typeof adminUser>;
export type AdminUserList = z.output<typeof adminUserList>;
