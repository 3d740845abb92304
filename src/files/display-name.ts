/**
 * A file's name as people see it: what follows the last path separator, without control or
 * bidirectional-override characters, at most 255 characters ("file" when nothing is left). It is
 * only ever shown as text, never used as a path.
 */
export function displayName(raw: string): string {
  const last = raw.split(/[/\\]/).pop() ?? "";
  const clean = last
    // C0 and C1 controls, DEL, bidirectional embeddings, overrides and isolates.
    // eslint-disable-next-line no-control-regex -- control characters are what it removes
    .replace(/[\u0000-\u001F\u007F-\u009F\u202A-\u202E\u2066-\u2069]/g, "")
    // A lone surrogate cannot be stored as UTF-8.
    .replace(/[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g, "\uFFFD")
    .trim();
  const name = Array.from(clean).slice(0, 255).join("");
  return name === "" || name === "." || name === ".." ? "file" : name;
}
