import type { InferAttributes, Transaction } from "sequelize";
import type { Agent, Conversation, Message, User } from "./models/index.js";

/**
 * Rows as the rest of the server sees them: plain data, never a model instance, so that only the
 * repositories can read or write the database.
 */
export type UserRecord = InferAttributes<User>;
export type AgentRecord = InferAttributes<Agent>;
export type ConversationRecord = InferAttributes<Conversation>;
export type MessageRecord = InferAttributes<Message>;

/** A database transaction, handed from one repository call to the next. */
export type Tx = Transaction;

/** `{transaction}` when there is one: every query inside a transaction is given it explicitly. */
export const inTx = (tx: Tx | undefined) => (tx ? { transaction: tx } : {});
