import { sqlMigration } from "./context.js";

/**
 * Conversations become trees (PROTOCOL.md: branches): each message follows a parent, and the
 * conversation shows the path ending at its head. Existing conversations are straight lines: each
 * message's parent is the one before it, and the head is the newest. The summary remembers the
 * message it covers up to, so that it is used only on a path that contains it. Agents offer starters,
 * and templates start conversations from a pre-filled context.
 */
export default sqlMigration(
  "0007-branches-and-templates",
  [
    `ALTER TABLE messages ADD COLUMN parent_id uuid REFERENCES messages(id) ON DELETE CASCADE`,
    `UPDATE messages m SET parent_id = p.id
       FROM messages p
      WHERE p.conversation_id = m.conversation_id AND p.seq = m.seq - 1`,
    `CREATE INDEX messages_parent_seq ON messages (parent_id, seq)`,
    // The messages that begin a conversation (several, once the first one is edited).
    `CREATE INDEX messages_roots ON messages (conversation_id, seq) WHERE parent_id IS NULL`,
    `ALTER TABLE conversations ADD COLUMN head_id uuid`,
    `ALTER TABLE conversations ADD COLUMN summary_through_id uuid`,
    `UPDATE conversations c SET
        head_id = (SELECT id FROM messages m WHERE m.conversation_id = c.id AND m.seq = c.total_messages),
        summary_through_id = (SELECT id FROM messages m WHERE m.conversation_id = c.id AND m.seq = c.summary_through_seq)`,
    `ALTER TABLE agents ADD COLUMN starters varchar(200)[] NOT NULL DEFAULT '{}'`,
    `CREATE TABLE templates (
       id uuid PRIMARY KEY,
       name varchar(255) NOT NULL,
       description text NOT NULL DEFAULT '',
       agent_id uuid NOT NULL REFERENCES agents(id),
       title varchar(255) NOT NULL,
       messages jsonb NOT NULL DEFAULT '[]',
       active boolean NOT NULL DEFAULT true,
       created_at timestamptz NOT NULL DEFAULT now(),
       updated_at timestamptz NOT NULL DEFAULT now()
     )`,
  ],
  [
    `DROP TABLE templates`,
    `ALTER TABLE agents DROP COLUMN starters`,
    `ALTER TABLE conversations DROP COLUMN summary_through_id`,
    `ALTER TABLE conversations DROP COLUMN head_id`,
    `DROP INDEX messages_roots`,
    `DROP INDEX messages_parent_seq`,
    `ALTER TABLE messages DROP COLUMN parent_id`,
  ],
);
