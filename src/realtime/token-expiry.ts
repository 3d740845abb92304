import { principalOf, type Claims } from "../auth/claims.js";
import type { TokenVerifier } from "../auth/token-verifier.js";
import type { UserDirectory } from "../auth/user-directory.js";
import { AppError } from "../errors.js";
import { DeadlineScheduler } from "./deadline-scheduler.js";
import type { SocketData } from "./socket-data.js";

/** Warned this long before its token expires, a client can renew with `auth:refresh`. */
const EXPIRY_WARNING_MS = 30_000;

/** What token expiry needs of a socket of either namespace. */
interface ExpiringSocket {
  id: string;
  data: SocketData;
  emit(event: "auth:expiring", payload: { expiresAt: string }): unknown;
  emit(event: "auth:expired", payload: Record<string, never>): unknown;
  disconnect(close: boolean): unknown;
}

/**
 * The sockets of a namespace live as long as their tokens: `auth:expiring` thirty seconds before a
 * token's `exp`, `auth:expired` and disconnect at it, unless `auth:refresh` brings a new token first.
 * Every socket's deadlines share one scheduler (one timer), and a deadline holds only its socket's id:
 * a socket carries nothing of its expiry, and a closed one is not kept. When a deadline comes up, the
 * socket (if still connected) and the expiry its token has now tell whether it still stands.
 */
export class TokenExpiry<Sock extends ExpiringSocket> {
  private readonly deadlines = new DeadlineScheduler<string>((socketId, at) => this.due(socketId, at));

  /** `sockets`: the namespace's connected sockets, by id. */
  constructor(private readonly sockets: ReadonlyMap<string, Sock>) {}

  /** A socket connected: it lives as long as its token. */
  watch(socket: Sock): void {
    this.deadlines.schedule(socket.data.principal.expiresAt.getTime() - EXPIRY_WARNING_MS, socket.id);
  }

  /**
   * `auth:refresh`: a token of the same user moves the expiry; another user's is refused, and so is
   * one that `accept` refuses (the old token then runs out as it would have).
   */
  async renew(
    socket: Sock,
    token: string,
    deps: { verifier: TokenVerifier; users: UserDirectory },
    accept: (claims: Claims) => void = () => undefined,
  ): Promise<{ expiresAt: string }> {
    const claims = deps.verifier.verify(token);
    if (claims.sub !== socket.data.principal.userId) {
      throw new AppError("unauthorized", "the new token is for another user", {
        details: { reason: "token_invalid" },
      });
    }
    accept(claims);
    await deps.users.provision(claims);
    const before = socket.data.principal.expiresAt.getTime();
    socket.data.principal = principalOf(claims);
    // The deadline of the old expiry no longer stands when it comes up; one of the same still does.
    if (socket.data.principal.expiresAt.getTime() !== before) this.watch(socket);
    return { expiresAt: socket.data.principal.expiresAt.toISOString() };
  }

  close(): void {
    this.deadlines.close();
  }

  /** A deadline came up: the warning, then the expiry, of a socket whose token still ends then. */
  private due(socketId: string, at: number): void {
    const socket = this.sockets.get(socketId);
    if (!socket) return;
    const expiresAt = socket.data.principal.expiresAt;
    if (at === expiresAt.getTime() - EXPIRY_WARNING_MS) {
      socket.emit("auth:expiring", { expiresAt: expiresAt.toISOString() });
      this.deadlines.schedule(expiresAt.getTime(), socketId);
    } else if (at === expiresAt.getTime()) {
      socket.emit("auth:expired", {});
      socket.disconnect(true);
    }
  }
}
