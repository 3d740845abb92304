import type { SeedStep } from "./context.js";

const DEMO_AGENT = "00000000-0000-4000-8000-000000000001";
const TEMPLATE = "00000000-0000-4000-8000-0000000000f1";

/** Starters the demo agent offers on an empty conversation (PROTOCOL.md: starters). */
const starters = ["Remember the word pineapple", "What did I ask you to remember?", "Tell me a joke"];

/** A template whose conversations begin with a question and its answer already in place. */
const template = {
  id: TEMPLATE,
  name: "Trip planner",
  description: "Starts with a packing list already written.",
  agentId: DEMO_AGENT,
  title: "Planning a trip",
  messages: [
    { role: "user", content: "I am going hiking for a weekend. What should I pack?" },
    { role: "assistant", content: "Boots, a rain jacket, water, snacks, a map and a head torch." },
  ],
};

const seed: SeedStep = {
  name: "0003-demo-starters-and-template",
  async up({ context: { sequelize, transaction } }) {
    // Only where an operator has not chosen starters of their own.
    await sequelize.query(
      `UPDATE agents SET starters = ARRAY[:starters]::varchar(200)[] WHERE id = :id AND starters = '{}'`,
      {
        replacements: { id: DEMO_AGENT, starters },
        transaction,
      },
    );
    await sequelize.query(
      `INSERT INTO templates (id, name, description, agent_id, title, messages)
       SELECT :id, :name, :description, :agentId, :title, CAST(:messages AS jsonb)
        WHERE EXISTS (SELECT 1 FROM agents WHERE id = :agentId)
       ON CONFLICT (id) DO NOTHING`,
      { replacements: { ...template, messages: JSON.stringify(template.messages) }, transaction },
    );
  },
  async down({ context: { sequelize, transaction } }) {
    await sequelize.query(`DELETE FROM templates WHERE id = :id`, {
      replacements: { id: TEMPLATE },
      transaction,
    });
    await sequelize.query(
      `UPDATE agents SET starters = '{}' WHERE id = :id AND starters = ARRAY[:starters]::varchar(200)[]`,
      {
        replacements: { id: DEMO_AGENT, starters },
        transaction,
      },
    );
  },
};
export default seed;
