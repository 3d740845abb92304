import type { ProviderName } from "../protocol/index.js";

/** A file's estimated tokens for a vendor (replaced by the vendors' published estimates). */
export function estimateFileTokens(
  _provider: ProviderName,
  file: { mediaType: string; size: number; width?: number | null; height?: number | null },
): number {
  return Math.ceil(file.size / 4);
}
