import { createHash } from "node:crypto";

/**
 * An author's name as OpenAI and Groq accept it in a message's `name` (letters, digits, `_` and `-`,
 * at most 64 characters). A name with other characters keeps what it can and gains a short hash of
 * the whole, so that two authors never share one (Ада and Оля stay two people).
 */
export function vendorName(name: string): string {
  const kept = name.replace(/[^A-Za-z0-9_-]+/g, "_").replace(/^_+|_+$/g, "");
  if (kept === name && kept.length <= 64) return kept;
  const hash = createHash("sha256").update(name).digest("hex").slice(0, 8);
  return `${kept.slice(0, 55) || "user"}_${hash}`;
}

/** The same name as a prefix of the text, for vendors without a `name` field (Anthropic). */
export const namePrefix = (name: string, content: string) => `${name}: ${content}`;
