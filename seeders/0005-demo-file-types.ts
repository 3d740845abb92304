import { DEFAULT_ACCEPTED_FILES, FILE_MEDIA_TYPES } from "../src/protocol/index.js";
import type { SeedStep } from "./context.js";

/**
 * What the seeded agents read (PROTOCOL.md: files): the demo agent every allowed type; the OpenAI and
 * Anthropic agents' models read images and PDFs besides text; Llama on Groq text only (the default).
 * An agent whose types an admin already changed is left alone.
 */
const reads: Record<string, readonly string[]> = {
  "00000000-0000-4000-8000-000000000001": FILE_MEDIA_TYPES,
  "00000000-0000-4000-8000-000000000002": FILE_MEDIA_TYPES,
  "00000000-0000-4000-8000-000000000003": FILE_MEDIA_TYPES,
};

const seed: SeedStep = {
  name: "0005-demo-file-types",
  async up({ context: { sequelize, transaction } }) {
    for (const [id, types] of Object.entries(reads)) {
      await sequelize.query(
        `UPDATE agents SET accepts_files = CAST(:types AS text[])
          WHERE id = :id AND accepts_files = CAST(:defaults AS text[])`,
        {
          replacements: {
            id,
            types: `{${types.join(",")}}`,
            defaults: `{${DEFAULT_ACCEPTED_FILES.join(",")}}`,
          },
          transaction,
        },
      );
    }
  },
  async down({ context: { sequelize, transaction } }) {
    await sequelize.query(`UPDATE agents SET accepts_files = CAST(:defaults AS text[]) WHERE id IN (:ids)`, {
      replacements: { ids: Object.keys(reads), defaults: `{${DEFAULT_ACCEPTED_FILES.join(",")}}` },
      transaction,
    });
  },
};
export default seed;
