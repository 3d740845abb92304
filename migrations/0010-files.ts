import { sqlMigration } from "./context.js";

/**
 * Files (PROTOCOL.md: files). A file belongs to a conversation and to whoever uploaded it; it is
 * `stored` once its bytes are, `deleting` once the unsent-file sweep took it, and sent once a user
 * message holds it (`message_id`). Its bytes live
 * in the configured store: `file_chunks` here for the PostgreSQL store (deleted with the file), or an
 * S3 bucket under the file's id. Agents say which media types their model reads.
 */
export default sqlMigration(
  "0010-files",
  [
    `CREATE TABLE files (
       id uuid PRIMARY KEY,
       conversation_id uuid NOT NULL REFERENCES conversations(id) ON DELETE CASCADE,
       uploaded_by varchar(255) REFERENCES users(id) ON DELETE SET NULL,
       name varchar(255) NOT NULL,
       media_type varchar(100) NOT NULL DEFAULT 'application/octet-stream',
       size bigint NOT NULL DEFAULT 0,
       sha256 char(64),
       width integer,
       height integer,
       pages integer,
       state varchar(12) NOT NULL DEFAULT 'uploading' CHECK (state IN ('uploading', 'stored', 'deleting')),
       message_id uuid REFERENCES messages(id) ON DELETE SET NULL,
       created_at timestamptz NOT NULL DEFAULT now()
     )`,
    `CREATE INDEX files_conversation ON files (conversation_id, created_at)`,
    `CREATE INDEX files_uploader ON files (uploaded_by) WHERE uploaded_by IS NOT NULL`,
    // The files nobody sent: deleted after a day.
    `CREATE INDEX files_unsent ON files (created_at) WHERE message_id IS NULL`,
    `CREATE TABLE file_chunks (
       file_id uuid NOT NULL REFERENCES files(id) ON DELETE CASCADE,
       idx integer NOT NULL,
       data bytea NOT NULL,
       PRIMARY KEY (file_id, idx)
     )`,
    `ALTER TABLE agents ADD COLUMN accepts_files text[] NOT NULL
       DEFAULT '{text/plain,text/markdown,text/csv,application/json}'`,
  ],
  [`ALTER TABLE agents DROP COLUMN accepts_files`, `DROP TABLE file_chunks`, `DROP TABLE files`],
);
