import { z } from "zod";

/**
 * The error codes of PROTOCOL.md section 4 and their HTTP statuses. REST answers
 * `{error: {code, message, details?}}` with the status; acks `{ok: false, error: {code, message, …}}`.
 */
export const ERROR_STATUS = {
  validation_failed: 400,
  unauthorized: 401,
  forbidden: 403,
  not_found: 404,
  generation_in_progress: 409,
  conversation_not_active: 409,
  token_limit_reached: 409,
  /** A tool call was decided already (the first decision wins). */
  conflict: 409,
  payload_too_large: 413,
  /** A file whose bytes are not of a media type Confab takes (PROTOCOL.md: files). */
  unsupported_media_type: 415,
  rate_limited: 429,
  internal: 500,
  provider_error: 502,
  unavailable: 503,
} as const;

export type ErrorCode = keyof typeof ERROR_STATUS;

export const ERROR_CODES = Object.keys(ERROR_STATUS) as [ErrorCode, ...ErrorCode[]];

/** An error as clients receive it: in REST's `{error}` (without `retryAfterMs`) and in acks. */
export const errorBody = z.object({
  code: z.enum(ERROR_CODES),
  message: z.string(),
  details: z.unknown().optional(),
  retryAfterMs: z.number().int().optional(),
});

export type ErrorBody = z.output<typeof errorBody>;
