/**
 * How long before its `exp` a held token counts as expiring and a fresh one is asked for (at most half
 * of the lifetime it had when it came, so a short-lived token is still reused).
 */
const RENEW_BEFORE_MS = 60_000;
/** However its `exp` reads on this machine's clock, a token is asked for at most this often unless refused. */
const MIN_REUSE_MS = 10_000;

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
  /** Whether the server refused the token held (it is then sent no more, but to a handshake). */
  private refused = false;
  private renewAt = Number.POSITIVE_INFINITY;
  private expiresAt = Number.POSITIVE_INFINITY;
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

  /**
   * A token to send: the one held while it is not near its expiry, else a fresh one. Should a renewal
   * before expiry fail, the held token serves until it expires (or is refused).
   */
  current(): Promise<string> {
    const held = this.usable();
    if (held !== undefined && (this.now() < this.renewAt || !this.renewable)) return Promise.resolve(held);
    return this.renew().catch((err: unknown) => {
      const fallback = this.usable();
      if (fallback !== undefined && this.now() < this.expiresAt) return fallback;
      throw err;
    });
  }

  /**
   * A fresh token (the server refused `refused`, or warned of expiry). Callers that saw the same token
   * refused share one renewal: if a newer token is held already, that one is the answer.
   */
  renew(refused?: string): Promise<string> {
    const getToken = this.options.getToken;
    if (!getToken) return Promise.resolve(this.held!);
    if (refused !== undefined) {
      if (this.held !== undefined && this.held !== refused && !this.refused)
        return Promise.resolve(this.held);
      if (this.held === refused) this.refused = true;
    }
    if (!this.inFlight) {
      // Started on a later turn, so that a getToken that throws at once is a rejection like any other.
      const asked = Promise.resolve()
        .then(getToken)
        .then((token) => {
          if (typeof token !== "string" || token === "") throw new Error("getToken gave no token");
          this.hold(token);
          return token;
        });
      this.inFlight = asked;
      const done = () => {
        if (this.inFlight === asked) this.inFlight = undefined;
      };
      asked.then(done, done);
    }
    return this.inFlight;
  }

  private usable(): string | undefined {
    return this.refused ? undefined : this.held;
  }

  private hold(token: string): void {
    this.held = token;
    this.refused = false;
    const exp = expiryOf(token);
    if (exp === undefined) {
      this.renewAt = this.expiresAt = Number.POSITIVE_INFINITY;
      return;
    }
    const now = this.now();
    this.expiresAt = exp * 1000;
    const left = this.expiresAt - now;
    // A clock behind the server's could make a good token look expired: it is still reused a while.
    this.renewAt = Math.max(
      this.expiresAt - Math.min(RENEW_BEFORE_MS, Math.max(0, left / 2)),
      now + MIN_REUSE_MS,
    );
    if (left <= 0) this.expiresAt = now + MIN_REUSE_MS;
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
