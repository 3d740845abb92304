import type { ModelStatic, Model } from "sequelize";

/**
 * Raw statements that read or return whole rows (several tables in one statement) select each
 * table's columns under a prefix and turn them back into records here. The column list comes from the
 * model, so it follows the schema. The driver already parses timestamps, JSON and arrays.
 */
export function columnsOf(model: ModelStatic<Model>, alias: string, prefix: string): string {
  return Object.entries(model.getAttributes())
    .map(
      ([attribute, definition]) => `${alias}."${definition.field ?? attribute}" AS "${prefix}${attribute}"`,
    )
    .join(", ");
}

/** The record under `prefix` in a row selected with `columnsOf`; null when its id is null (no row). */
export function recordOf<T>(
  model: ModelStatic<Model>,
  row: Record<string, unknown>,
  prefix: string,
): T | null {
  if (row[`${prefix}id`] === null || row[`${prefix}id`] === undefined) return null;
  const record: Record<string, unknown> = {};
  for (const attribute of Object.keys(model.getAttributes()))
    record[attribute] = row[`${prefix}${attribute}`];
  return record as T;
}
