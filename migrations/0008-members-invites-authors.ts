import { sqlMigration } from "./context.js";

/**
 * People share conversations (PROTOCOL.md: members): each conversation has members with a role, the
 * creator its owner; invites let an owner hand out a link (only a hash of its token is stored); user
 * messages remember their author (the name as it was when they wrote); a conversation says who
 * answers. Every existing conversation's user becomes its owner and the author of its user messages.
 */
export default sqlMigration(
  "0008-members-invites-authors",
  [
    `CREATE TABLE conversation_members (
       conversation_id uuid NOT NULL REFERENCES conversations(id) ON DELETE CASCADE,
       user_id varchar(255) NOT NULL REFERENCES users(id) ON DELETE CASCADE,
       role varchar(16) NOT NULL,
       joined_at timestamptz NOT NULL DEFAULT now(),
       PRIMARY KEY (conversation_id, user_id)
     )`,
    // A user's conversations, for the lists.
    `CREATE INDEX conversation_members_user ON conversation_members (user_id, conversation_id)`,
    `INSERT INTO conversation_members (conversation_id, user_id, role, joined_at)
       SELECT id, user_id, 'owner', created_at FROM conversations`,
    `ALTER TABLE conversations ADD COLUMN assistant_mode varchar(8) NOT NULL DEFAULT 'auto'`,
    `ALTER TABLE messages ADD COLUMN author_id varchar(255) REFERENCES users(id) ON DELETE SET NULL`,
    `ALTER TABLE messages ADD COLUMN author_name varchar(255)`,
    `UPDATE messages m SET author_id = c.user_id, author_name = u.name
       FROM conversations c JOIN users u ON u.id = c.user_id
      WHERE m.conversation_id = c.id AND m.role = 'user'`,
    // What an erasure empties in other people's conversations.
    `CREATE INDEX messages_author ON messages (author_id) WHERE author_id IS NOT NULL`,
    `CREATE TABLE invites (
       id uuid PRIMARY KEY,
       conversation_id uuid NOT NULL REFERENCES conversations(id) ON DELETE CASCADE,
       token_hash char(64) NOT NULL UNIQUE,
       role varchar(16) NOT NULL,
       expires_at timestamptz NOT NULL,
       max_uses integer,
       uses integer NOT NULL DEFAULT 0,
       revoked_at timestamptz,
       created_by varchar(255) REFERENCES users(id) ON DELETE SET NULL,
       created_at timestamptz NOT NULL DEFAULT now()
     )`,
    `CREATE INDEX invites_conversation ON invites (conversation_id, created_at)`,
  ],
  [
    `DROP TABLE invites`,
    `DROP INDEX messages_author`,
    `ALTER TABLE messages DROP COLUMN author_name`,
    `ALTER TABLE messages DROP COLUMN author_id`,
    `ALTER TABLE conversations DROP COLUMN assistant_mode`,
    `DROP TABLE conversation_members`,
  ],
);
