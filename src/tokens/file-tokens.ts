import { isImageType, isTextType, type ProviderName } from "../protocol/index.js";
import { countPdfPages } from "./pdf-page-count.js";

/**
 * What the estimate needs of a file: its type, its size in bytes, an image's size in pixels. A
 * PDF's pages are counted from its bytes when they are given (a `PromptFile` has them), else
 * estimated from its size.
 */
export interface FileForTokens {
  mediaType: string;
  size: number;
  width?: number | undefined;
  height?: number | undefined;
  /** A PDF's page count, when the caller knows it. */
  pages?: number | undefined;
  /** The bytes, to count a PDF's pages (see `countPdfPages`: a few milliseconds for 10 MB). */
  data?: Buffer | undefined;
}

/**
 * OpenAI, high detail (https://platform.openai.com/docs/guides/images-vision, "Calculating costs"):
 * the image is scaled to fit within 2048 × 2048, then so that its shortest side is 768 px (never
 * up), and costs 170 tokens per 512-px tile plus 85. Groq publishes no rule for its vision models
 * and the demo model reads nothing: both are counted as OpenAI would, the known figure closest to
 * theirs. High detail is the dearer of OpenAI's modes; images are sent with detail "auto", which
 * may pick low (85 tokens), so this is an upper bound.
 */
const OPENAI_FIT_PX = 2048;
const OPENAI_SHORT_SIDE_PX = 768;
const OPENAI_TILE_PX = 512;
const OPENAI_TOKENS_PER_TILE = 170;
const OPENAI_BASE_TOKENS = 85;

/** The most an image can cost after OpenAI's scaling: 768 × 2048 px, 2 × 4 tiles. */
const OPENAI_MAX_IMAGE_TOKENS = 2 * 4 * OPENAI_TOKENS_PER_TILE + OPENAI_BASE_TOKENS;

/**
 * Anthropic (https://docs.anthropic.com/en/docs/build-with-claude/vision, "Evaluate image size"):
 * tokens = width × height / 750, after the API scales an image down (keeping its proportions) when
 * its long edge is over 1568 px or it would cost more than about 1,600 tokens (about 1.15 megapixels).
 * The pixel cap taken is the largest image of the docs' table of sizes that are not resized, 784 ×
 * 1568 (1:2, about 1,639 tokens): every row of that table (1092 × 1092, 951 × 1268, 896 × 1344,
 * 819 × 1456) is then counted as the docs count it, and a larger image a few percent high at most.
 */
const ANTHROPIC_LONG_EDGE_PX = 1568;
const ANTHROPIC_MAX_PIXELS = 784 * 1568;
const ANTHROPIC_PIXELS_PER_TOKEN = 750;

/**
 * PDFs. Without the bytes to count the pages in (nor a count), they are estimated from the size, a
 * page taken as this many bytes. Measured on text documents (the Debian manuals of libtasn1 and shared-mime-info, made
 * by LaTeX and DocBook): 7.3 and 8.3 KB a page; scans and pages with pictures weigh far more. 16 KB
 * sits between, so that a text PDF is not under-counted by much and a scan not over-counted by too
 * much: it is a guess either way.
 */
const PDF_BYTES_PER_PAGE = 16 * 1024;
/** Both OpenAI and Anthropic take at most 100 pages of PDF in a request; past that they refuse it. */
const PDF_MAX_PAGES = 100;
/**
 * Anthropic (https://docs.anthropic.com/en/docs/build-with-claude/pdf-support, "Estimate your
 * costs"): each page typically costs 1,500 to 3,000 tokens of text, depending on how dense it is,
 * and each page is also sent as an image. The top of the range is taken, to leave room for the page
 * images. OpenAI also reads the text and an image of each page
 * (https://platform.openai.com/docs/guides/pdf-files) and publishes no figure per page: the same is
 * taken for it and for the demo model.
 */
const PDF_TOKENS_PER_PAGE = 3000;
/** Groq reads no PDF: its model is sent one sentence saying so (see `unreadableFileText`). */
const UNREAD_FILE_TOKENS = 30;

/**
 * Text files: OpenAI's rule of thumb, a token is about 4 characters of English
 * (https://help.openai.com/en/articles/4936856-what-are-tokens-and-how-to-count-them), with bytes
 * for characters (more tokens for text outside ASCII, which takes more bytes, as it does tokens).
 */
const BYTES_PER_TEXT_TOKEN = 4;

/**
 * About how many input tokens a file costs with a vendor, from each vendor's published estimate:
 * cheap enough to run for every file of a window at send time (only a PDF's bytes are read, and only
 * when given, to count its pages). An image without its size in pixels is counted at the most the
 * vendor charges for one.
 */
export function estimateFileTokens(provider: ProviderName, file: FileForTokens): number {
  if (isImageType(file.mediaType)) {
    return provider === "anthropic" ? anthropicImageTokens(file) : openAIImageTokens(file);
  }
  if (file.mediaType === "application/pdf") {
    if (provider === "groq") return UNREAD_FILE_TOKENS;
    const pages =
      file.pages ?? (file.data && countPdfPages(file.data)) ?? Math.ceil(file.size / PDF_BYTES_PER_PAGE);
    return Math.min(PDF_MAX_PAGES, Math.max(1, pages)) * PDF_TOKENS_PER_PAGE;
  }
  if (isTextType(file.mediaType)) return Math.ceil(file.size / BYTES_PER_TEXT_TOKEN);
  return UNREAD_FILE_TOKENS;
}

function openAIImageTokens(file: FileForTokens): number {
  const size = pixelsOf(file);
  if (!size) return OPENAI_MAX_IMAGE_TOKENS;
  const fit = Math.min(1, OPENAI_FIT_PX / Math.max(size.width, size.height));
  let width = size.width * fit;
  let height = size.height * fit;
  const shorten = Math.min(1, OPENAI_SHORT_SIDE_PX / Math.min(width, height));
  width = Math.round(width * shorten);
  height = Math.round(height * shorten);
  const tiles = Math.ceil(width / OPENAI_TILE_PX) * Math.ceil(height / OPENAI_TILE_PX);
  return tiles * OPENAI_TOKENS_PER_TILE + OPENAI_BASE_TOKENS;
}

function anthropicImageTokens(file: FileForTokens): number {
  const size = pixelsOf(file);
  if (!size) return Math.ceil(ANTHROPIC_MAX_PIXELS / ANTHROPIC_PIXELS_PER_TOKEN);
  const pixels = size.width * size.height;
  const scale = Math.min(
    1,
    ANTHROPIC_LONG_EDGE_PX / Math.max(size.width, size.height),
    Math.sqrt(ANTHROPIC_MAX_PIXELS / pixels),
  );
  const width = Math.round(size.width * scale);
  const height = Math.round(size.height * scale);
  return Math.ceil((width * height) / ANTHROPIC_PIXELS_PER_TOKEN);
}

function pixelsOf(file: FileForTokens): { width: number; height: number } | undefined {
  const { width, height } = file;
  if (width === undefined || height === undefined || width <= 0 || height <= 0) return undefined;
  return { width, height };
}
