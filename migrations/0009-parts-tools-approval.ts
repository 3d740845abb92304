import { sqlMigration } from "./context.js";

/**
 * Agents that act (PROTOCOL.md: parts, tools, approval): a message is a list of parts, filled here for
 * every stored message from its text; an answer numbers its events (`stream_seq`) and keeps what a
 * later step needs (`answer_state`); it may wait for approval (`awaiting_approval`, held by no node).
 * Admins define tools and register MCP servers; agents get tools, a step limit and thinking;
 * conversations say who decides tool calls.
 */
export default sqlMigration(
  "0009-parts-tools-approval",
  [
    `ALTER TABLE messages ALTER COLUMN status TYPE varchar(24)`,
    `ALTER TABLE messages DROP CONSTRAINT messages_status_check`,
    `ALTER TABLE messages ADD CONSTRAINT messages_status_check
       CHECK (status IN ('complete', 'streaming', 'awaiting_approval', 'cancelled', 'error', 'interrupted'))`,
    `ALTER TABLE messages ADD COLUMN parts jsonb NOT NULL DEFAULT '[]'::jsonb`,
    `ALTER TABLE messages ADD COLUMN stream_seq integer NOT NULL DEFAULT 0`,
    `ALTER TABLE messages ADD COLUMN answer_state jsonb`,
    `UPDATE messages SET parts = jsonb_build_array(jsonb_build_object('type', 'text', 'text', content))
      WHERE content <> ''`,
    // The answer of a conversation that waits for a decision (a turn is refused meanwhile).
    `CREATE INDEX messages_awaiting_approval ON messages (conversation_id) WHERE status = 'awaiting_approval'`,
    `CREATE TABLE mcp_servers (
       id uuid PRIMARY KEY,
       name varchar(255) NOT NULL,
       url text NOT NULL,
       headers jsonb NOT NULL DEFAULT '{}'::jsonb,
       active boolean NOT NULL DEFAULT true,
       created_at timestamptz NOT NULL DEFAULT now(),
       updated_at timestamptz NOT NULL DEFAULT now()
     )`,
    `CREATE TABLE tools (
       id uuid PRIMARY KEY,
       name varchar(64) NOT NULL UNIQUE,
       description text NOT NULL DEFAULT '',
       input_schema jsonb NOT NULL,
       execution jsonb NOT NULL,
       approval varchar(8) NOT NULL DEFAULT 'always' CHECK (approval IN ('never', 'always')),
       timeout_ms integer NOT NULL DEFAULT 30000,
       active boolean NOT NULL DEFAULT true,
       secret text,
       created_at timestamptz NOT NULL DEFAULT now(),
       updated_at timestamptz NOT NULL DEFAULT now()
     )`,
    `ALTER TABLE agents ADD COLUMN tool_ids uuid[] NOT NULL DEFAULT '{}'`,
    `ALTER TABLE agents ADD COLUMN max_steps integer NOT NULL DEFAULT 5`,
    `ALTER TABLE agents ADD COLUMN reasoning jsonb`,
    `ALTER TABLE conversations ADD COLUMN tool_approval varchar(16) NOT NULL DEFAULT 'participant'`,
  ],
  [
    `ALTER TABLE conversations DROP COLUMN tool_approval`,
    `ALTER TABLE agents DROP COLUMN reasoning`,
    `ALTER TABLE agents DROP COLUMN max_steps`,
    `ALTER TABLE agents DROP COLUMN tool_ids`,
    `DROP TABLE tools`,
    `DROP TABLE mcp_servers`,
    `DROP INDEX messages_awaiting_approval`,
    `UPDATE messages SET status = 'interrupted' WHERE status = 'awaiting_approval'`,
    `ALTER TABLE messages DROP COLUMN answer_state`,
    `ALTER TABLE messages DROP COLUMN stream_seq`,
    `ALTER TABLE messages DROP COLUMN parts`,
    `ALTER TABLE messages DROP CONSTRAINT messages_status_check`,
    `ALTER TABLE messages ADD CONSTRAINT messages_status_check
       CHECK (status IN ('complete', 'streaming', 'cancelled', 'error', 'interrupted'))`,
  ],
);
