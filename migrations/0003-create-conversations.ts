import { sqlMigration } from "./context.js";

export default sqlMigration(
  "0003-create-conversations",
  [
    `CREATE TABLE conversations (
      id uuid PRIMARY KEY,
      user_id varchar(255) NOT NULL REFERENCES users (id) ON DELETE CASCADE,
      agent_id uuid NOT NULL REFERENCES agents (id),
      title varchar(255) NOT NULL,
      status varchar(16) NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'archived', 'deleted')),
      total_messages integer NOT NULL DEFAULT 0,
      total_tokens_used integer NOT NULL DEFAULT 0,
      summary text,
      tags varchar(50)[] NOT NULL DEFAULT '{}',
      metadata jsonb NOT NULL DEFAULT '{}',
      created_at timestamptz NOT NULL DEFAULT now(),
      updated_at timestamptz NOT NULL DEFAULT now(),
      last_message_at timestamptz,
      archived_at timestamptz,
      deleted_at timestamptz
    )`,
    // The user's list: newest activity first within a status.
    `CREATE INDEX conversations_user_status_last_message_at ON conversations (user_id, status, last_message_at DESC)`,
    `CREATE INDEX conversations_tags ON conversations USING gin (tags)`,
    `CREATE INDEX conversations_agent ON conversations (agent_id)`,
    // Purge looks for conversations soft-deleted before a cutoff.
    `CREATE INDEX conversations_deleted_at ON conversations (deleted_at) WHERE status = 'deleted'`,
  ],
  ["DROP TABLE conversations"],
);
