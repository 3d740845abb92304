/**
 * How long before its `exp` a held token counts as expiring and a fresh one is asked for (at most half
 * of the lifetime it had when it came, so a short-lived token is still reused).
 */
const RENEW_BEFORE_MS = 60_000;

export interface TokenSourceOptions {
  /** A fixed token (it cannot be renewed). */
  token?: string;
  /** Gives a fresh token; called as rarely as possible (see `TokenSource`). */
  getToken?: () => string | Promise<string>;
  now?: () => number;
}

/**
 * The one place a client gets its token from, shared by the socket and every REST call. `getToken` is
 * called once and its token reused until it nears its `exp` (read from the JWT, without verifying it:
 * the server does that); calls made while a request for one is in flight share it. So a page that
 * starts with three REST calls and a socket asks for one token, and nothing goes out without one.
 */
export class TokenSource {
  private held: string | undefined;
  private renewAt = Number.POSITIVE_INFINITY;
  private inFlight: Promise<string> | undefined;
  private readonly now: () => number;

  constructor(private readonly options: TokenSourceOptions) {
    if (!options.token && !options.getToken) throw new Error("a token or getToken is needed");
    this.now = options.now ?? Date.now;
    if (options.token) this.hold(options.token);
  }

  /** Whether a refused token can be replaced by another. */
  get renewable(): boolean {
    return this.options.getToken !== undefined;
  }

  /** The last token had, if any (for a handshake made while a fresh one cannot be had). */
  get last(): string | undefined {
    return this.held;
  }

  /** A token to send: the one held while it is not near its expiry, else a fresh one. */
  current(): Promise<string> {
    if (this.held !== undefined && (this.now() < this.renewAt || !this.renewable))
      return Promise.resolve(this.held);
    return this.renew();
  }

  /** A fresh token whatever is held (after a refusal, or when the server warns of expiry). */
  renew(): Promise<string> {
    const getToken = this.options.getToken;
    if (!getToken) return Promise.resolve(this.held!);
    this.inFlight ??= (async () => {
      try {
        const token = await getToken();
        if (typeof token !== "string" || token === "") throw new Error("getToken gave no token");
        this.hold(token);
        return token;
      } finally {
        this.inFlight = undefined;
      }
    })();
    return this.inFlight;
  }

  private hold(token: string): void {
    this.held = token;
    const exp = expiryOf(token);
    if (exp === undefined) {
      this.renewAt = Number.POSITIVE_INFINITY;
      return;
    }
    const left = exp * 1000 - this.now();
    this.renewAt = exp * 1000 - Math.min(RENEW_BEFORE_MS, Math.max(0, left / 2));
  }
}

/** The `exp` claim of a JWT, in seconds, if it has one that can be read. */
export function expiryOf(token: string): number | undefined {
  const payload = token.split(".")[1];
  if (!payload) return undefined;
  try {
    const base64 = payload.replace(/-/g, "+").replace(/_/g, "/");
    const claims = JSON.parse(atob(base64.padEnd(Math.ceil(base64.length / 4) * 4, "="))) as {
      exp?: unknown;
    };
    return typeof claims.exp === "number" ? claims.exp : undefined;
  } catch {
    return undefined;
  }
}
