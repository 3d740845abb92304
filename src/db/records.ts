import type { InferAttributes, Transaction } from "sequelize";
import type {
  Agent,
  Conversation,
  Invite,
  McpServer,
  Member,
  Message,
  Template,
  Tool,
  User,
} from "./models/index.js";

/**
 * Rows as the rest of the server sees them: plain data, never a model instance, so that only the
 * repositories can read or write the database.
 */
export type UserRecord = InferAttributes<User>;
export type AgentRecord = InferAttributes<Agent>;
export type ConversationRecord = InferAttributes<Conversation>;
export type MessageRecord = InferAttributes<Message>;
export type TemplateRecord = InferAttributes<Template>;
export type MemberRecord = InferAttributes<Member>;
export type InviteRecord = InferAttributes<Invite>;
export type ToolRecord = InferAttributes<Tool>;
export type McpServerRecord = InferAttributes<McpServer>;
/** A member with the name it goes by (its user's, or its id when it has none). */
export type NamedMember = MemberRecord & { name: string };
/** A conversation as a member sees it: with the caller's role (null for an admin, no member). */
export type MemberConversation = ConversationRecord & { role: MemberRecord["role"] | null };
/** A message with its place among its siblings (the messages that share its parent). */
export type BranchedMessage = MessageRecord & { branch: { index: number; count: number } };

export type { AnswerState } from "./models/message.js";

/** A database transaction, handed from one repository call to the next. */
export type Tx = Transaction;

/** `{transaction}` when there is one: every query inside a transaction is given it explicitly. */
export const inTx = (tx: Tx | undefined) => (tx ? { transaction: tx } : {});
