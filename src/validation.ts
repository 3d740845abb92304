import type { z } from "zod";
import { validationFailed } from "./errors.js";

/** Parses input against a schema, or throws `validation_failed` listing every problem by path. */
export function parse<S extends z.ZodType>(schema: S, input: unknown, what = "input"): z.output<S> {
  const result = schema.safeParse(input);
  if (result.success) return result.data;
  const issues = result.error.issues.map((i) => ({
    path: i.path.map(String).join("."),
    message: i.message,
  }));
  const first = issues[0];
  const summary = first ? `${first.path || what}: ${first.message}` : "invalid";
  throw validationFailed(`invalid ${what}: ${summary}`, { issues });
}
