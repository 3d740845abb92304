import {
  DEFAULT_FIRST_TOKEN_TIMEOUT_MS,
  DEFAULT_STALL_TIMEOUT_MS,
  maxRetryWaitMs,
  retryPolicyFetch,
  type StreamTimeouts,
} from "./stream-guard.js";

/** What every vendor model takes. */
export interface VendorModelOptions extends StreamTimeouts {
  apiKey: string;
  /** The vendor's address; the vendor's own when absent. */
  baseURL?: string | undefined;
  /** SDK retries of the initial response (429, 5xx, connection errors), never mid-stream. Default 2. */
  maxRetries?: number;
}

/**
 * The settings the three official SDKs (all Stainless-generated) share, and the time limits the
 * stream guard applies, with their defaults.
 */
export function vendorClientSettings(options: VendorModelOptions) {
  const firstTokenTimeoutMs = options.firstTokenTimeoutMs ?? DEFAULT_FIRST_TOKEN_TIMEOUT_MS;
  const stallTimeoutMs = options.stallTimeoutMs ?? DEFAULT_STALL_TIMEOUT_MS;
  return {
    timeouts: { firstTokenTimeoutMs, stallTimeoutMs },
    client: {
      apiKey: options.apiKey,
      // null, not undefined: undefined makes each SDK read its *_BASE_URL variable behind the config's back.
      baseURL: options.baseURL ?? null,
      maxRetries: options.maxRetries ?? 2,
      // Every failure becomes a provider_error the caller logs; the SDK's console lines would duplicate it.
      logLevel: "off" as const,
      fetch: retryPolicyFetch(maxRetryWaitMs(firstTokenTimeoutMs)),
    },
  };
}

/** The settings of `vendorClientSettings`: the SDK client's, and the stream guard's time limits. */
export type VendorClientSettings = ReturnType<typeof vendorClientSettings>;
