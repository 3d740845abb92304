import { inflateSync } from "node:zlib";

/** The most an object stream may inflate to before it is left uncounted (a bomb, or not objects). */
const MAX_INFLATED_BYTES = 8 * 1024 * 1024;
/** Where the `%PDF-` header may sit (readers allow some bytes before it). */
const HEADER_WITHIN_BYTES = 1024;
/** Enough bytes after `/Type` to read the name that follows it (`/Type /ObjStm`, spaces between). */
const NAME_WINDOW_BYTES = 32;

/**
 * About how many pages a PDF has, from its bytes, for the token estimate (`estimateFileTokens`'s
 * `pages`), without a PDF library: it counts the page objects (`/Type /Page`), in the file as it is
 * and inside its compressed object streams (`/Type /ObjStm`, where PDF 1.5 writers such as LaTeX,
 * Word and DocBook put them). Not a parser: a page rewritten by an incremental update counts twice,
 * an encrypted file counts what it can; undefined when it finds no page at all (then the size
 * decides). It searches the bytes rather than a string of them: a 10 MB file of scanned pages takes
 * a few milliseconds.
 */
export function countPdfPages(data: Buffer): number | undefined {
  if (!data.subarray(0, HEADER_WITHIN_BYTES).includes("%PDF-")) return undefined;
  let pages = 0;
  for (const { name, at } of typeNames(data)) {
    if (name === "Page") pages++;
    else if (name === "ObjStm") pages += pagesInObjectStream(data, at);
  }
  return pages > 0 ? pages : undefined;
}

/** Each `/Type /Name` of the bytes: the name, and where it ends. */
function* typeNames(data: Buffer): Iterable<{ name: string; at: number }> {
  for (let at = data.indexOf("/Type"); at !== -1; at = data.indexOf("/Type", at + 1)) {
    const after = data
      .subarray(at + "/Type".length, at + "/Type".length + NAME_WINDOW_BYTES)
      .toString("latin1");
    const name = /^\s*\/([A-Za-z]+)/.exec(after)?.[1];
    if (name) yield { name, at };
  }
}

/** The page objects in the object stream whose dictionary holds `at` (0 when it will not inflate). */
function pagesInObjectStream(data: Buffer, at: number): number {
  const keyword = data.indexOf("stream", at);
  if (keyword === -1) return 0;
  let start = keyword + "stream".length;
  if (data[start] === 0x0d) start++;
  if (data[start] === 0x0a) start++;
  const end = data.indexOf("endstream", start);
  if (end === -1) return 0;
  let objects: Buffer;
  try {
    objects = inflateSync(data.subarray(start, end), { maxOutputLength: MAX_INFLATED_BYTES });
  } catch {
    return 0; // not deflated, encrypted, truncated, or too large
  }
  let pages = 0;
  for (const { name } of typeNames(objects)) if (name === "Page") pages++;
  return pages;
}
