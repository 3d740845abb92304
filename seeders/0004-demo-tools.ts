import { BUILTIN_TOOLS } from "../src/tools/builtin-tools.js";
import type { SeedStep } from "./context.js";

const DEMO_AGENT = "00000000-0000-4000-8000-000000000001";

/** The builtin tools, with fixed ids: one that needs no approval and one that does. */
const tools = [
  { id: "00000000-0000-4000-8000-0000000000a1", name: "current_time" },
  { id: "00000000-0000-4000-8000-0000000000a2", name: "open_ticket" },
].map(({ id, name }) => {
  const builtin = BUILTIN_TOOLS.get(name);
  if (!builtin) throw new Error(`no builtin tool ${name}`);
  return {
    id,
    name,
    description: builtin.description,
    inputSchema: JSON.stringify(builtin.inputSchema),
    execution: JSON.stringify({ type: "builtin", name }),
    approval: builtin.approval,
  };
});

/** The builtin tools, given to the demo agent (PROTOCOL.md: tools), so the quick start shows a call and an approval. */
const seed: SeedStep = {
  name: "0004-demo-tools",
  async up({ context: { sequelize, transaction } }) {
    for (const t of tools) {
      await sequelize.query(
        `INSERT INTO tools (id, name, description, input_schema, execution, approval, timeout_ms)
         VALUES (:id, :name, :description, CAST(:inputSchema AS jsonb), CAST(:execution AS jsonb), :approval, 5000)
         ON CONFLICT DO NOTHING`,
        { replacements: t, transaction },
      );
      await sequelize.query(
        `UPDATE agents SET tool_ids = array_append(tool_ids, CAST(:id AS uuid))
          WHERE id = :agentId AND NOT (CAST(:id AS uuid) = ANY(tool_ids))
            AND EXISTS (SELECT 1 FROM tools WHERE id = :id)`,
        { replacements: { id: t.id, agentId: DEMO_AGENT }, transaction },
      );
    }
  },
  async down({ context: { sequelize, transaction } }) {
    for (const t of tools) {
      await sequelize.query(
        `UPDATE agents SET tool_ids = array_remove(tool_ids, CAST(:id AS uuid)) WHERE CAST(:id AS uuid) = ANY(tool_ids)`,
        { replacements: { id: t.id }, transaction },
      );
    }
    await sequelize.query(`DELETE FROM tools WHERE id IN (:ids)`, {
      replacements: { ids: tools.map((t) => t.id) },
      transaction,
    });
  },
};
export default seed;
