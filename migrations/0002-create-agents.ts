import { sqlMigration } from "./context.js";

export default sqlMigration(
  "0002-create-agents",
  [
    `CREATE TABLE agents (
      id uuid PRIMARY KEY,
      name varchar(255) NOT NULL,
      description text NOT NULL DEFAULT '',
      provider varchar(32) NOT NULL CHECK (provider IN ('openai', 'anthropic', 'groq', 'demo')),
      model varchar(255) NOT NULL,
      system_prompt text NOT NULL DEFAULT '',
      temperature real NOT NULL DEFAULT 0.7,
      max_conversation_tokens integer NOT NULL DEFAULT 8000,
      context_tokens integer NOT NULL DEFAULT 6000,
      conversation_memory_enabled boolean NOT NULL DEFAULT true,
      auto_generate_summary boolean NOT NULL DEFAULT true,
      active boolean NOT NULL DEFAULT true,
      created_at timestamptz NOT NULL DEFAULT now(),
      updated_at timestamptz NOT NULL DEFAULT now()
    )`,
  ],
  ["DROP TABLE agents"],
);
