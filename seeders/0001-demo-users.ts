import type { SeedStep } from "./context.js";

const users = [
  { id: "demo-alice", name: "Alice (demo)", email: "alice@example.com", role: "user" },
  { id: "demo-bob", name: "Bob (demo)", email: "bob@example.com", role: "user" },
  { id: "demo-admin", name: "Ada (demo admin)", email: "admin@example.com", role: "admin" },
];

const seed: SeedStep = {
  name: "0001-demo-users",
  async up({ context: { sequelize, transaction } }) {
    for (const u of users) {
      await sequelize.query(
        `INSERT INTO users (id, name, email, role) VALUES (:id, :name, :email, :role) ON CONFLICT (id) DO NOTHING`,
        { replacements: u, transaction },
      );
    }
  },
  async down({ context: { sequelize, transaction } }) {
    await sequelize.query(`DELETE FROM users WHERE id IN (:ids)`, {
      replacements: { ids: users.map((u) => u.id) },
      transaction,
    });
  },
};
export default seed;
