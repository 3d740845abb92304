import { principalOf, type Claims } from "../auth/claims.js";
import type { TokenVerifier } from "../auth/token-verifier.js";
import type { UserDirectory } from "../auth/user-directory.js";
import { AppError } from "../errors.js";
import type { DeadlineScheduler } from "./deadline-scheduler.js";
import type { SocketData } from "./socket-data.js";

/** Warned this long before its token expires, a client can renew with `auth:refresh`. */
const EXPIRY_WARNING_MS = 30_000;

/** What token expiry needs of a socket of either namespace. */
interface ExpiringSocket {
  data: SocketData;
  emit(event: "auth:expiring", payload: { expiresAt: string }): unknown;
  emit(event: "auth:expired", payload: Record<string, never>): unknown;
  on(event: "disconnect", listener: () => void): unknown;
  disconnect(close: boolean): unknown;
}

/**
 * A socket lives as long as its token: `auth:expiring` thirty seconds before the token's `exp`,
 * `auth:expired` and disconnect at it, unless `auth:refresh` brings a new token first. The deadlines
 * of every socket of a namespace share one scheduler (one timer), so a socket carries none of its own.
 */
export class TokenExpiry {
  private cancel: (() => void)[] = [];

  constructor(
    private readonly socket: ExpiringSocket,
    private readonly deadlines: DeadlineScheduler,
  ) {
    this.schedule(socket.data.principal.expiresAt);
    socket.on("disconnect", () => this.clear());
  }

  /**
   * `auth:refresh`: a token of the same user moves the expiry; another user's is refused, and so is
   * one that `accept` refuses (the old token then runs out as it would have).
   */
  async renew(
    token: string,
    deps: { verifier: TokenVerifier; users: UserDirectory },
    accept: (claims: Claims) => void = () => undefined,
  ): Promise<{ expiresAt: string }> {
    const claims = deps.verifier.verify(token);
    if (claims.sub !== this.socket.data.principal.userId) {
      throw new AppError("unauthorized", "the new token is for another user", {
        details: { reason: "token_invalid" },
      });
    }
    accept(claims);
    await deps.users.provision(claims);
    this.socket.data.principal = principalOf(claims);
    this.schedule(this.socket.data.principal.expiresAt);
    return { expiresAt: this.socket.data.principal.expiresAt.toISOString() };
  }

  private schedule(expiresAt: Date): void {
    this.clear();
    const at = expiresAt.getTime();
    this.cancel = [
      this.deadlines.schedule(at - EXPIRY_WARNING_MS, () =>
        this.socket.emit("auth:expiring", { expiresAt: expiresAt.toISOString() }),
      ),
      this.deadlines.schedule(at, () => {
        this.socket.emit("auth:expired", {});
        this.socket.disconnect(true);
      }),
    ];
  }

  private clear(): void {
    for (const cancel of this.cancel) cancel();
    this.cancel = [];
  }
}
