import type { Namespace } from "socket.io";
import type { TokenVerifier } from "../auth/token-verifier.js";
import type { UserDirectory } from "../auth/user-directory.js";
import type { RateLimits } from "../limits/rate-limits.js";
import type { Logger } from "../observability/logger.js";
import { authenticate } from "./chat-namespace.js";
import { userRoom, type AdminServerToClientEvents, type InterServerEvents } from "./events.js";
import type { SocketData } from "./socket-data.js";

export type AdminNamespace = Namespace<
  Record<string, never>,
  AdminServerToClientEvents,
  InterServerEvents,
  SocketData
>;

/**
 * `/admin` (PROTOCOL.md section 6): admins only. Everyone in it receives `activity` from every node.
 * A valid token without the admin role is refused with `connect_error` "forbidden".
 */
export function registerAdminNamespace(
  admin: AdminNamespace,
  deps: {
    verifier: TokenVerifier;
    users: UserDirectory;
    limits: RateLimits;
    trustProxy: boolean;
    logger: Logger;
  },
): void {
  admin.use(authenticate(deps));
  admin.use((socket, next) => {
    if (socket.data.principal.role === "admin") {
      next();
      return;
    }
    const refusal = new Error("forbidden") as Error & { data?: unknown };
    refusal.data = { code: "forbidden" };
    next(refusal);
  });
  admin.on("connection", (socket) => {
    // So that erasing a user also closes their admin tabs.
    void socket.join(userRoom(socket.data.principal.userId));
  });
}
