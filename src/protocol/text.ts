/**
 * Why a string cannot be stored exactly as given, or undefined: PostgreSQL cannot hold NUL, and turns
 * a lone surrogate into U+FFFD (two different strings would become one). Such text is refused.
 */
export function textProblem(s: string): string | undefined {
  if (s.includes("\u0000")) return "must not contain the NUL character";
  if (!s.isWellFormed()) return "must be well-formed Unicode (a lone surrogate is not)";
  return undefined;
}
