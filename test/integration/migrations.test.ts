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
      "conversations",
      "maintenance_jobs",
      "messages",
      "templates",
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
      "conversations",
      "maintenance_jobs",
      "messages",
      "templates",
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
  });
});
