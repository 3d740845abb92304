import type { SeedStep } from "./context.js";

/** One agent per vendor plus the demo agent. A vendor without a key answers with the demo model. */
const agents = [
  {
    id: "00000000-0000-4000-8000-000000000001",
    name: "Demo assistant",
    description: "Built in: needs no key or network and remembers what you said.",
    provider: "demo",
    model: "demo-1",
    systemPrompt: "You are a friendly demo assistant.",
  },
  {
    id: "00000000-0000-4000-8000-000000000002",
    name: "GPT assistant",
    description: "OpenAI (or any OpenAI-compatible server).",
    provider: "openai",
    model: "gpt-4o-mini",
    systemPrompt: "You are a helpful assistant. Answer concisely.",
  },
  {
    id: "00000000-0000-4000-8000-000000000003",
    name: "Claude assistant",
    description: "Anthropic.",
    provider: "anthropic",
    model: "claude-3-5-haiku-latest",
    systemPrompt: "You are a helpful assistant. Answer concisely.",
  },
  {
    id: "00000000-0000-4000-8000-000000000004",
    name: "Llama on Groq",
    description: "Groq.",
    provider: "groq",
    model: "llama-3.1-8b-instant",
    systemPrompt: "You are a helpful assistant. Answer concisely.",
  },
] as const;

const seed: SeedStep = {
  name: "0002-demo-agents",
  async up({ context: { sequelize, transaction, configuredProviders } }) {
    for (const a of agents) {
      const vendorReady = a.provider === "demo" || configuredProviders.has(a.provider);
      await sequelize.query(
        `INSERT INTO agents (id, name, description, provider, model, system_prompt, temperature)
         VALUES (:id, :name, :description, :provider, :model, :systemPrompt, 0.7)
         ON CONFLICT (id) DO NOTHING`,
        {
          replacements: {
            ...a,
            description: vendorReady
              ? a.description
              : `${a.description} No key was set, so it runs on the demo model.`,
            provider: vendorReady ? a.provider : "demo",
            model: vendorReady ? a.model : "demo-1",
          },
          transaction,
        },
      );
    }
  },
  async down({ context: { sequelize, transaction } }) {
    await sequelize.query(`DELETE FROM agents WHERE id IN (:ids)`, {
      replacements: { ids: agents.map((a) => a.id) },
      transaction,
    });
  },
};
export default seed;
