import { sqlMigration } from "./context.js";

/** How far the conversation's summary reaches, so that refreshing it only reads what came after. */
export default sqlMigration(
  "0005-add-summary-through-seq",
  [`ALTER TABLE conversations ADD COLUMN summary_through_seq integer NOT NULL DEFAULT 0`],
  [`ALTER TABLE conversations DROP COLUMN summary_through_seq`],
);
