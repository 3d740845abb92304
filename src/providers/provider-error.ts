import { AppError } from "../errors.js";

/**
 * Turns whatever a vendor's SDK threw into the one `provider_error` a person can read. Messages are
 * ours, in plain words, and never echo the API key: some servers quote the key back in their error
 * bodies, and these messages travel to clients and logs.
 */

interface SdkApiError extends Error {
  readonly status: number | undefined;
  readonly headers: Headers | undefined;
  readonly error: unknown;
}

type ErrorClass<E extends Error> = abstract new (...args: never[]) => E;

/** The error classes of one Stainless-generated SDK (openai, @anthropic-ai/sdk and groq-sdk share them). */
export interface SdkErrorClasses {
  APIError: ErrorClass<SdkApiError>;
  APIConnectionError: ErrorClass<SdkApiError>;
  APIConnectionTimeoutError: ErrorClass<SdkApiError>;
}

/** Where the failure happened: before the response arrived, or while its body was being read. */
export type FailurePhase = "request" | "stream";

/** What went wrong with a vendor, for metrics: one label value per kind of failure. */
export type ProviderFailureKind =
  | "auth"
  | "rate_limit"
  | "server"
  | "bad_request"
  | "connection"
  | "timeout"
  | "first_token_timeout"
  | "stall"
  | "cut_off"
  | "malformed"
  | "stream_error"
  | "other";

export function providerError(
  message: string,
  options: { cause?: unknown; retryAfterMs?: number; kind?: ProviderFailureKind } = {},
) {
  return new AppError("provider_error", message, { kind: "other", ...options });
}

export const cutOffError = (vendor: string, cause?: unknown) =>
  providerError(`the ${vendor} stream was cut off before it finished`, { cause, kind: "cut_off" });

export const malformedError = (vendor: string, cause?: unknown) =>
  providerError(`the ${vendor} stream sent malformed data`, { cause, kind: "malformed" });

export function toProviderError(
  vendor: string,
  err: unknown,
  context: { sdk: SdkErrorClasses; apiKey: string; phase: FailurePhase },
): AppError {
  if (err instanceof AppError) return err;
  const { sdk, apiKey, phase } = context;
  const cause = withoutKey(err, apiKey);
  if (err instanceof sdk.APIConnectionTimeoutError) {
    return providerError(`${vendor} did not answer the request in time`, { cause, kind: "timeout" });
  }
  if (err instanceof sdk.APIConnectionError)
    return providerError(`could not connect to ${vendor}`, { cause, kind: "connection" });
  if (err instanceof sdk.APIError) {
    const detail = redact(vendorDetail(err), apiKey);
    if (err.status === undefined) {
      // An error event inside a 200 stream (OpenAI `data: {"error": …}`, Anthropic `event: error`).
      return providerError(`${vendor} reported an error during the answer: ${detail}`, {
        cause,
        kind: "stream_error",
      });
    }
    return statusError(vendor, err.status, detail, err.headers, cause);
  }
  // JSON.parse inside the SDK's SSE decoder.
  if (err instanceof SyntaxError) return malformedError(vendor, cause);
  // Anything else while reading the body is the transport failing (undici throws `TypeError: terminated`).
  if (phase === "stream") return cutOffError(vendor, cause);
  return providerError(`the request to ${vendor} failed`, { cause });
}

function statusError(
  vendor: string,
  status: number,
  detail: string,
  headers: Headers | undefined,
  cause: unknown,
): AppError {
  if (status === 401) return providerError(`${vendor} rejected the API key (401)`, { cause, kind: "auth" });
  if (status === 403) return providerError(`${vendor} refused access (403)`, { cause, kind: "auth" });
  if (status === 429) {
    const wait = retryAfterMs(headers);
    return providerError(`${vendor} rate limit reached (429)`, {
      cause,
      kind: "rate_limit",
      ...(wait === undefined ? {} : { retryAfterMs: wait }),
    });
  }
  if (status === 529) return providerError(`${vendor} is overloaded (529)`, { cause, kind: "server" });
  if (status >= 500) return providerError(`${vendor} server error (${status})`, { cause, kind: "server" });
  return providerError(`${vendor} rejected the request (${status})${detail ? `: ${detail}` : ""}`, {
    cause,
    kind: "bad_request",
  });
}

/** The vendor's own explanation, from `{error: {message}}` or `{message}` bodies. */
function vendorDetail(err: SdkApiError): string {
  const body = err.error;
  const inner = isRecord(body) && isRecord(body.error) ? body.error : body;
  const message = isRecord(inner) && typeof inner.message === "string" ? inner.message : err.message;
  const oneLine = message.replace(/\s+/g, " ").trim();
  return oneLine.length > 300 ? `${oneLine.slice(0, 299)}…` : oneLine;
}

/** How long the vendor asked us to wait, from `retry-after-ms` or `retry-after` (seconds or a date). */
export function retryAfterMs(headers: Headers | undefined): number | undefined {
  const ms = Number.parseFloat(headers?.get("retry-after-ms") ?? "");
  if (Number.isFinite(ms) && ms >= 0) return Math.ceil(ms);
  const value = headers?.get("retry-after") ?? "";
  const seconds = Number.parseFloat(value);
  if (Number.isFinite(seconds) && seconds >= 0) return Math.ceil(seconds * 1000);
  const date = Date.parse(value);
  return Number.isNaN(date) ? undefined : Math.max(0, date - Date.now());
}

function redact(text: string, apiKey: string): string {
  return apiKey.length > 0 ? text.split(apiKey).join("[redacted]") : text;
}

/** The cause is kept for the logs, but not if the vendor quoted the key back in its message. */
function withoutKey(err: unknown, apiKey: string): unknown {
  if (!(err instanceof Error) || apiKey.length === 0 || !err.message.includes(apiKey)) return err;
  const copy = new Error(redact(err.message, apiKey));
  copy.name = err.name;
  return copy;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null;
}
