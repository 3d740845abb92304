import { sqlMigration } from "./context.js";

export default sqlMigration(
  "0004-create-messages",
  [
    `CREATE TABLE messages (
      id uuid PRIMARY KEY,
      conversation_id uuid NOT NULL REFERENCES conversations (id) ON DELETE CASCADE,
      seq integer NOT NULL CHECK (seq > 0),
      role varchar(16) NOT NULL CHECK (role IN ('user', 'assistant', 'system')),
      content text NOT NULL DEFAULT '',
      status varchar(16) NOT NULL
        CHECK (status IN ('complete', 'streaming', 'cancelled', 'error', 'interrupted')),
      client_message_id varchar(255),
      content_tokens integer NOT NULL DEFAULT 0,
      input_tokens integer,
      output_tokens integer,
      total_tokens integer,
      model_used varchar(255),
      llm_provider varchar(32),
      temperature real,
      response_time_ms integer,
      time_to_first_token_ms integer,
      finish_reason varchar(64),
      error jsonb,
      metadata jsonb NOT NULL DEFAULT '{}',
      created_at timestamptz NOT NULL DEFAULT now(),
      updated_at timestamptz NOT NULL DEFAULT now()
    )`,
    `CREATE UNIQUE INDEX messages_conversation_seq ON messages (conversation_id, seq)`,
    `CREATE UNIQUE INDEX messages_conversation_client_message_id ON messages (conversation_id, client_message_id)`,
    // One answer at a time per conversation, and recovery of answers left streaming by a dead node.
    `CREATE INDEX messages_streaming ON messages (conversation_id) WHERE status = 'streaming'`,
  ],
  ["DROP TABLE messages"],
);
