import { z } from "zod";
import { textProblem } from "./text.js";

/** The most `metadata` may hold, measured on the JSON that is stored. */
export const METADATA_MAX_BYTES = 16 * 1024;
/** Deeper nesting than this is refused before anything walks it recursively (JSON.stringify does). */
export const METADATA_MAX_DEPTH = 32;

interface Problem {
  path: (string | number)[];
  message: string;
}

/**
 * Why `value` is not a JSON object that PostgreSQL stores and gives back unchanged, or undefined when
 * it is. Walks without recursion, so no nesting can overflow the stack. Refused: anything but null,
 * booleans, finite numbers, strings, arrays and plain objects; text with NUL (PostgreSQL cannot store
 * it) or a lone surrogate (it would come back as U+FFFD); the key `__proto__` (JavaScript objects
 * drop it); nesting deeper than METADATA_MAX_DEPTH.
 */
export function metadataProblem(value: unknown): Problem | undefined {
  if (!isPlainObject(value)) return { path: [], message: "must be a JSON object" };
  const pending: { value: unknown; path: (string | number)[] }[] = [{ value, path: [] }];
  for (let item = pending.pop(); item !== undefined; item = pending.pop()) {
    const { value: v, path } = item;
    if (path.length > METADATA_MAX_DEPTH) {
      return {
        path: path.slice(0, METADATA_MAX_DEPTH),
        message: `must not nest deeper than ${METADATA_MAX_DEPTH} levels`,
      };
    }
    if (v === null || typeof v === "boolean") continue;
    if (typeof v === "number") {
      if (!Number.isFinite(v)) return { path, message: "numbers must be finite" };
      continue;
    }
    if (typeof v === "string") {
      const problem = textProblem(v);
      if (problem) return { path, message: problem };
      continue;
    }
    if (Array.isArray(v)) {
      v.forEach((element, index) => pending.push({ value: element, path: [...path, index] }));
      continue;
    }
    if (!isPlainObject(v)) return { path, message: "must hold only JSON values" };
    for (const key of Object.keys(v)) {
      if (key === "__proto__") return { path, message: "must not have the key __proto__" };
      const problem = textProblem(key);
      if (problem) return { path: [...path, key], message: `keys ${problem}` };
      pending.push({ value: v[key], path: [...path, key] });
    }
    // JSON.parse makes `__proto__` an own key that Object.keys lists; this catches any other way in.
    if (Object.hasOwn(v, "__proto__")) return { path, message: "must not have the key __proto__" };
  }
  if (new TextEncoder().encode(JSON.stringify(value)).length > METADATA_MAX_BYTES) {
    return { path: [], message: "must be at most 16 KB of JSON" };
  }
  return undefined;
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  if (typeof v !== "object" || v === null || Array.isArray(v)) return false;
  const prototype: unknown = Object.getPrototypeOf(v);
  return prototype === Object.prototype || prototype === null;
}

/** A JSON object of at most 16 KB, stored and given back exactly as sent (see `metadataProblem`). */
export const metadata = z
  .custom<Record<string, unknown>>()
  .superRefine((value, ctx) => {
    const problem = metadataProblem(value);
    if (problem) ctx.addIssue({ code: "custom", message: problem.message, path: problem.path });
  })
  .meta({ type: "object", additionalProperties: true, description: "a JSON object of at most 16 KB" });
