import { Ajv, type ErrorObject, type ValidateFunction } from "ajv";
import addFormatsModule from "ajv-formats";

// ajv-formats is CommonJS with a default export: under NodeNext its function is the module itself
// at run time, its `default` to the types.
const addFormats = ((addFormatsModule as unknown as { default?: unknown }).default ??
  addFormatsModule) as unknown as (ajv: Ajv) => Ajv;

/** A tool's schema as the checker keys it: the tool, and the version of it. */
export interface SchemaOwner {
  id: string;
  updatedAt: Date;
  inputSchema: Record<string, unknown>;
}

/**
 * Checks tool input against the tool's JSON Schema (ajv 8, with formats), compiling each schema once
 * per version of the tool.
 */
export class InputChecker {
  private readonly ajv = addFormats(new Ajv({ allErrors: false, strict: false }));
  private readonly compiled = new Map<string, ValidateFunction>();

  /** Why the schema does not compile (a short reason), or null when it does. */
  schemaProblem(schema: Record<string, unknown>): string | null {
    try {
      this.ajv.compile(compilable(schema));
      return null;
    } catch (err) {
      return err instanceof Error ? err.message.slice(0, 300) : "the schema does not compile";
    }
  }

  /** Why the input does not fit (`input/title must be string`), or null when it fits. */
  check(tool: SchemaOwner, input: unknown): string | null {
    const validate = this.validatorOf(tool);
    if (!validate) return "the tool's input schema does not compile";
    if (validate(input)) return null;
    return describe(validate.errors?.[0]);
  }

  private validatorOf(tool: SchemaOwner): ValidateFunction | null {
    const key = `${tool.id}@${tool.updatedAt.getTime()}`;
    let validate = this.compiled.get(key);
    if (!validate) {
      try {
        validate = this.ajv.compile(compilable(tool.inputSchema));
      } catch {
        return null;
      }
      for (const old of this.compiled.keys()) if (old.startsWith(`${tool.id}@`)) this.compiled.delete(old);
      this.compiled.set(key, validate);
    }
    return validate;
  }
}

/**
 * The schema as ajv compiles it: without a top-level `$schema` (MCP servers may name draft 2020-12,
 * which the default dialect does not load; the keywords tools use are the same) nor `$id` (two tools
 * may share one, which ajv would refuse as a duplicate).
 */
function compilable(schema: Record<string, unknown>): Record<string, unknown> {
  const { $schema: _dialect, $id: _id, ...rest } = schema;
  return rest;
}

/** The first error as `input/path message`. */
function describe(error: ErrorObject | undefined): string {
  if (!error) return "input does not match the schema";
  const extra =
    error.keyword === "additionalProperties"
      ? `: ${String((error.params as { additionalProperty?: unknown }).additionalProperty)}`
      : "";
  return `input${error.instancePath} ${error.message ?? "is invalid"}${extra}`;
}
