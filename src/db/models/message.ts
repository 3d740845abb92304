import {
  DataTypes,
  Model,
  type CreationOptional,
  type InferAttributes,
  type InferCreationAttributes,
  type Sequelize,
} from "sequelize";

import type { MessagePart, MessageResource } from "../../protocol/index.js";

export type MessageRole = MessageResource["role"];
export type MessageStatus = MessageResource["status"];
export type MessageError = NonNullable<MessageResource["error"]>;

/** What an answer that waits for approval keeps for its next step. */
export interface AnswerState {
  /** Model calls made so far. */
  steps: number;
  /** Tokens the earlier steps used, as the vendor reported them (or estimated). */
  inputTokens: number;
  outputTokens: number;
  usageEstimated: boolean;
  /** The time to the first token of the first step. */
  timeToFirstTokenMs: number | null;
  /** Milliseconds the earlier steps took (waiting for a decision not counted). */
  responseTimeMs: number;
  /**
   * Signed thinking of the answer's steps, by the id of each step's first tool call: Anthropic needs
   * it sent back with the step's calls, within the answer.
   */
  thinking?: Record<string, { text: string; signature: string }[]>;
}

/** One message of a conversation, numbered by `seq` (1, 2, 3, … with no gaps). */
export class Message extends Model<InferAttributes<Message>, InferCreationAttributes<Message>> {
  declare id: CreationOptional<string>;
  declare conversationId: string;
  /** The message it follows on its path: the answer before a user message, the question of an answer. */
  declare parentId: CreationOptional<string | null>;
  declare seq: number;
  declare role: MessageRole;
  /** Who wrote a user message (null for answers, a template's messages, an erased user). */
  declare authorId: CreationOptional<string | null>;
  /** The author's name as it was when they wrote. */
  declare authorName: CreationOptional<string | null>;
  declare content: string;
  /** Its parts in order (PROTOCOL.md: parts); `content` is the text of its text parts. */
  declare parts: CreationOptional<MessagePart[]>;
  /** The `seq` of the last event of the answer (its deltas, reasoning and parts) the row covers. */
  declare streamSeq: CreationOptional<number>;
  /** What a later step of an answer needs (its usage so far, steps taken); null once it ended. */
  declare answerState: CreationOptional<AnswerState | null>;
  declare status: MessageStatus;
  declare clientMessageId: CreationOptional<string | null>;
  /** The tokenizer's count of `content`, kept so the history window never re-counts old messages. */
  declare contentTokens: CreationOptional<number>;
  declare inputTokens: CreationOptional<number | null>;
  declare outputTokens: CreationOptional<number | null>;
  declare totalTokens: CreationOptional<number | null>;
  declare modelUsed: CreationOptional<string | null>;
  declare llmProvider: CreationOptional<string | null>;
  declare temperature: CreationOptional<number | null>;
  declare responseTimeMs: CreationOptional<number | null>;
  declare timeToFirstTokenMs: CreationOptional<number | null>;
  declare finishReason: CreationOptional<string | null>;
  declare error: CreationOptional<MessageError | null>;
  declare metadata: CreationOptional<Record<string, unknown>>;
  declare createdAt: CreationOptional<Date>;
  declare updatedAt: CreationOptional<Date>;

  static initModel(sequelize: Sequelize): void {
    this.init(
      {
        id: { type: DataTypes.UUID, primaryKey: true, defaultValue: DataTypes.UUIDV4 },
        conversationId: { type: DataTypes.UUID, allowNull: false },
        parentId: { type: DataTypes.UUID, allowNull: true },
        seq: { type: DataTypes.INTEGER, allowNull: false },
        role: { type: DataTypes.STRING(16), allowNull: false },
        authorId: { type: DataTypes.STRING(255), allowNull: true },
        authorName: { type: DataTypes.STRING(255), allowNull: true },
        content: { type: DataTypes.TEXT, allowNull: false, defaultValue: "" },
        parts: { type: DataTypes.JSONB, allowNull: false, defaultValue: [] },
        streamSeq: { type: DataTypes.INTEGER, allowNull: false, defaultValue: 0 },
        answerState: { type: DataTypes.JSONB, allowNull: true },
        status: { type: DataTypes.STRING(24), allowNull: false },
        clientMessageId: { type: DataTypes.STRING(255), allowNull: true },
        contentTokens: { type: DataTypes.INTEGER, allowNull: false, defaultValue: 0 },
        inputTokens: { type: DataTypes.INTEGER, allowNull: true },
        outputTokens: { type: DataTypes.INTEGER, allowNull: true },
        totalTokens: { type: DataTypes.INTEGER, allowNull: true },
        modelUsed: { type: DataTypes.STRING(255), allowNull: true },
        llmProvider: { type: DataTypes.STRING(32), allowNull: true },
        temperature: { type: DataTypes.REAL, allowNull: true },
        responseTimeMs: { type: DataTypes.INTEGER, allowNull: true },
        timeToFirstTokenMs: { type: DataTypes.INTEGER, allowNull: true },
        finishReason: { type: DataTypes.STRING(64), allowNull: true },
        error: { type: DataTypes.JSONB, allowNull: true },
        metadata: { type: DataTypes.JSONB, allowNull: false, defaultValue: {} },
        createdAt: DataTypes.DATE,
        updatedAt: DataTypes.DATE,
      },
      { sequelize, tableName: "messages", underscored: true },
    );
  }
}
