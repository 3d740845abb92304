// Covers: migrations/, seeders/, src/db/migrator.ts.
import { expect } from "chai";
import { QueryTypes, Sequelize } from "sequelize";
import { migrateDown, migrateUp, seedUp } from "../../src/db/migrator.js";
import { createLogger } from "../../src/observability/logger.js";
import { migrations } from "../../migrations/index.js";
import { createTestDatabase, type TestDatabase } from "../support/database.js";

const logger = createLogger("silent");

async function tables(sequelize: Sequelize): Promise<string[]> {
  const rows = await sequelize.query<{ tablename: string }>(
    `SELECT tablename FROM pg_tables WHERE schemaname = 'public' AND tablename NOT LIKE 'confab_%' ORDER BY tablename`,
    { type: QueryTypes.SELECT },
  );
  return rows.map((r) => r.tablename);
}

describe("migrations", () => {
  let database: TestDatabase;
  const open: Sequelize[] = [];
  const connect = () => {
    const s = new Sequelize(database.url, { dialect: "postgres", logging: false });
    open.push(s);
    return s;
  };

  beforeEach(async () => {
    database = await createTestDatabase();
  });
  afterEach(async () => {
    for (const s of open.splice(0)) await s.close();
    await database.drop();
  });

  it("applies every migration, reverts each one, and applies them again", async () => {
    const sequelize = connect();
    expect(await migrateUp(sequelize, logger)).to.have.length(migrations.length);
    expect(await tables(sequelize)).to.deep.equal([
      "agents",
      "conversation_members",
      "conversations",
      "file_chunks",
      "files",
      "invites",
      "maintenance_jobs",
      "mcp_servers",
      "messages",
      "templates",
      "tools",
      "users",
    ]);
    expect(await migrateDown(sequelize, logger, true)).to.have.length(migrations.length);
    expect(await tables(sequelize)).to.deep.equal([]);
    await migrateUp(sequelize, logger);
    expect(await migrateUp(sequelize, logger)).to.deep.equal([]);
  });

  it("lets two nodes started together on an empty database both come up", async () => {
    const [a, b] = [connect(), connect()];
    const results = await Promise.all([migrateUp(a, logger), migrateUp(b, logger)]);
    expect(results.map((r) => r.length).sort()).to.deep.equal([0, migrations.length]);
    expect(await tables(a)).to.deep.equal([
      "agents",
      "conversation_members",
      "conversations",
      "file_chunks",
      "files",
      "invites",
      "maintenance_jobs",
      "mcp_servers",
      "messages",
      "templates",
      "tools",
      "users",
    ]);
  });

  it("creates the indexes the queries need", async () => {
    const sequelize = connect();
    await migrateUp(sequelize, logger);
    const rows = await sequelize.query<{ indexdef: string }>(
      `SELECT indexdef FROM pg_indexes WHERE schemaname = 'public'`,
      {
        type: QueryTypes.SELECT,
      },
    );
    const defs = rows.map((r) => r.indexdef).join("\n");
    expect(defs).to.match(
      /UNIQUE INDEX messages_conversation_seq ON public\.messages USING btree \(conversation_id, seq\)/,
    );
    expect(defs).to.match(
      /UNIQUE INDEX messages_conversation_client_message_id .*\(conversation_id, client_message_id\)/,
    );
    expect(defs).to.match(
      /conversations_user_status_last_message_at .*\(user_id, status, last_message_at DESC\)/,
    );
    expect(defs).to.match(/conversations_tags ON public\.conversations USING gin \(tags\)/);
    // A message's siblings and children, and the messages that begin a conversation.
    expect(defs).to.match(/messages_parent_seq ON public\.messages USING btree \(parent_id, seq\)/);
    expect(defs).to.match(/messages_roots .*\(conversation_id, seq\) WHERE \(parent_id IS NULL\)/);
    // Files: a conversation's (its list, its deletion) and the unsent ones the sweep takes.
    expect(defs).to.match(/files_conversation ON public\.files USING btree \(conversation_id, created_at\)/);
    expect(defs).to.match(
      /files_unsent ON public\.files USING btree \(created_at\) WHERE \(message_id IS NULL\)/,
    );
  });

  it("seeds the demo users and one agent per provider once, using the demo model where no key is set", async () => {
    const sequelize = connect();
    await migrateUp(sequelize, logger);
    await seedUp(sequelize, logger, new Set(["openai"]));
    expect(await seedUp(sequelize, logger, new Set(["openai"]))).to.deep.equal([]);
    const agents = await sequelize.query<{ name: string; provider: string }>(
      `SELECT name, provider FROM agents ORDER BY name`,
      { type: QueryTypes.SELECT },
    );
    expect(agents).to.deep.equal([
      { name: "Claude assistant", provider: "demo" },
      { name: "Demo assistant", provider: "demo" },
      { name: "GPT assistant", provider: "openai" },
      { name: "Llama on Groq", provider: "demo" },
    ]);
    // The demo agent offers starters, and a template starts from a question already answered.
    const [demo] = await sequelize.query<{ starters: string[] }>(
      `SELECT starters FROM agents WHERE name = 'Demo assistant'`,
      { type: QueryTypes.SELECT },
    );
    expect(demo!.starters).to.include("Remember the word pineapple");
    const templates = await sequelize.query<{ name: string; roles: string[] }>(
      `SELECT name, ARRAY(SELECT m->>'role' FROM jsonb_array_elements(messages) m) AS roles FROM templates`,
      { type: QueryTypes.SELECT },
    );
    expect(templates).to.deep.equal([{ name: "Trip planner", roles: ["user", "assistant"] }]);
  });

  it("turns a conversation made before branches into one path, its head at the newest message", async () => {
    const sequelize = connect();
    await migrateUp(sequelize, logger);
    expect(await migrateDown(sequelize, logger)).to.deep.equal(["0010-files"]);
    expect(await migrateDown(sequelize, logger)).to.deep.equal(["0009-parts-tools-approval"]);
    expect(await migrateDown(sequelize, logger)).to.deep.equal(["0008-members-invites-authors"]);
    expect(await migrateDown(sequelize, logger)).to.deep.equal(["0007-branches-and-templates"]);
    // A conversation as the schema before branches stored it, with a summary through seq 2.
    await sequelize.query(
      `INSERT INTO users (id, role) VALUES ('old-user', 'user');
       INSERT INTO agents (id, name, provider, model) VALUES ('00000000-0000-4000-8000-0000000000aa', 'old', 'demo', 'demo-1');
       INSERT INTO conversations (id, user_id, agent_id, title, total_messages, summary, summary_through_seq)
         VALUES ('00000000-0000-4000-8000-0000000000cc', 'old-user', '00000000-0000-4000-8000-0000000000aa', 'old', 4, 'so far', 2);
       INSERT INTO messages (id, conversation_id, seq, role, content, status)
         SELECT ('00000000-0000-4000-8000-00000000000' || n)::uuid, '00000000-0000-4000-8000-0000000000cc', n,
                CASE WHEN n % 2 = 1 THEN 'user' ELSE 'assistant' END, 'message ' || n, 'complete'
           FROM generate_series(1, 4) AS n;`,
    );
    await migrateUp(sequelize, logger);
    const messages = await sequelize.query<{ seq: number; parent: number | null }>(
      `SELECT m.seq, p.seq AS parent FROM messages m LEFT JOIN messages p ON p.id = m.parent_id ORDER BY m.seq`,
      { type: QueryTypes.SELECT },
    );
    expect(messages).to.deep.equal([
      { seq: 1, parent: null },
      { seq: 2, parent: 1 },
      { seq: 3, parent: 2 },
      { seq: 4, parent: 3 },
    ]);
    const [conversation] = await sequelize.query<{ head: number; through: number }>(
      `SELECT h.seq AS head, s.seq AS through FROM conversations c
         JOIN messages h ON h.id = c.head_id JOIN messages s ON s.id = c.summary_through_id`,
      { type: QueryTypes.SELECT },
    );
    expect(conversation).to.deep.equal({ head: 4, through: 2 });
  });

  it("makes the user of a conversation made before members its owner and the author of its questions", async () => {
    const sequelize = connect();
    await migrateUp(sequelize, logger);
    expect(await migrateDown(sequelize, logger)).to.deep.equal(["0010-files"]);
    expect(await migrateDown(sequelize, logger)).to.deep.equal(["0009-parts-tools-approval"]);
    expect(await migrateDown(sequelize, logger)).to.deep.equal(["0008-members-invites-authors"]);
    await sequelize.query(
      `INSERT INTO users (id, name, role) VALUES ('solo', 'Solo Person', 'user');
       INSERT INTO agents (id, name, provider, model) VALUES ('00000000-0000-4000-8000-0000000000ab', 'old', 'demo', 'demo-1');
       INSERT INTO conversations (id, user_id, agent_id, title, total_messages)
         VALUES ('00000000-0000-4000-8000-0000000000cd', 'solo', '00000000-0000-4000-8000-0000000000ab', 'old', 2);
       INSERT INTO messages (id, conversation_id, seq, role, content, status) VALUES
         ('00000000-0000-4000-8000-000000000101', '00000000-0000-4000-8000-0000000000cd', 1, 'user', 'hi', 'complete'),
         ('00000000-0000-4000-8000-000000000102', '00000000-0000-4000-8000-0000000000cd', 2, 'assistant', 'hello', 'complete');`,
    );
    await migrateUp(sequelize, logger);
    const members = await sequelize.query(`SELECT user_id, role FROM conversation_members`, {
      type: QueryTypes.SELECT,
    });
    expect(members).to.deep.equal([{ user_id: "solo", role: "owner" }]);
    const authors = await sequelize.query(`SELECT seq, author_id, author_name FROM messages ORDER BY seq`, {
      type: QueryTypes.SELECT,
    });
    expect(authors).to.deep.equal([
      { seq: 1, author_id: "solo", author_name: "Solo Person" },
      { seq: 2, author_id: null, author_name: null },
    ]);
    const [mode] = await sequelize.query<{ assistant_mode: string }>(
      `SELECT assistant_mode FROM conversations`,
      {
        type: QueryTypes.SELECT,
      },
    );
    expect(mode!.assistant_mode).to.equal("auto");
  });
});
