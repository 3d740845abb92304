/**
 * The bytes behind a URL as a `Blob`: a `data:` URL decoded here (no request, so no page's
 * `connect-src` stands in the way; the AI SDK gives files as `data:` URLs), anything else (a `blob:`
 * URL, a signed link) fetched.
 */
export async function blobFromUrl(url: string, fetchImpl: typeof fetch = fetch): Promise<Blob> {
  if (url.startsWith("data:")) return decodeDataUrl(url);
  const res = await fetchImpl(url);
  if (!res.ok) throw new Error(`cannot read ${new URL(url).protocol} file: ${res.status}`);
  return res.blob();
}

/** `data:[<media type>][;base64],<data>` (RFC 2397). */
function decodeDataUrl(url: string): Blob {
  const comma = url.indexOf(",");
  if (comma < 0) throw new Error("a data: URL without data");
  const header = url.slice(5, comma);
  const data = url.slice(comma + 1);
  const params = header.split(";");
  const base64 = params.at(-1)?.toLowerCase() === "base64";
  const type = params[0] ?? "";
  if (!base64) return new Blob([decodeURIComponent(data)], { type });
  const binary = atob(decodeURIComponent(data));
  const bytes = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
  return new Blob([bytes], { type });
}
