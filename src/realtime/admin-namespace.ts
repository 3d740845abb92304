import type { Namespace, Socket } from "socket.io";
import type { TokenVerifier } from "../auth/token-verifier.js";
import type { UserDirectory } from "../auth/user-directory.js";
import type { RateLimits } from "../limits/rate-limits.js";
import type { Logger } from "../observability/logger.js";
import { authenticate } from "./chat-namespace.js";
import { forbidden } from "../errors.js";
import { adminAcks } from "./ack.js";
import { SocketEvents } from "./socket-events.js";
import {
  userRoom,
  type AdminClientToServerEvents,
  type AdminServerToClientEvents,
  type InterServerEvents,
} from "../protocol/index.js";
import { TokenExpiry } from "./token-expiry.js";
import type { SocketData } from "./socket-data.js";

export type AdminNamespace = Namespace<
  AdminClientToServerEvents,
  AdminServerToClientEvents,
  InterServerEvents,
  SocketData
>;
export type AdminSocket = Socket<
  AdminClientToServerEvents,
  AdminServerToClientEvents,
  InterServerEvents,
  SocketData
>;

/**
 * The room of `/admin` that `activity` goes to: every admin socket is in it. A room, not the whole
 * namespace, so that with sharded Pub/Sub only the nodes holding an admin socket read the feed.
 */
export const ACTIVITY_ROOM = "admin:activity";

/**
 * `/admin` (PROTOCOL.md section 6): admins only. Everyone in it receives `activity` from every node.
 * A valid token without the admin role is refused with `connect_error` "forbidden". Its sockets live
 * as long as their token, as on `/chat`: `auth:expiring`, `auth:refresh`, `auth:expired`.
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
  // One timer for the token expiries of every socket of the namespace.
  const expiry = new TokenExpiry(admin.sockets);
  const events = new SocketEvents<AdminSocket>(
    deps.limits,
    adminAcks(
      {
        "auth:refresh": (socket, p) =>
          expiry.renew(socket, p.token, deps, (claims) => {
            if (claims.role !== "admin") throw forbidden("the new token does not have the admin role");
          }),
      },
      deps.logger,
    ),
  );
  admin.on("connection", (socket) => {
    // So that erasing a user also closes their admin tabs.
    void socket.join([userRoom(socket.data.principal.userId), ACTIVITY_ROOM]);
    expiry.watch(socket);
    events.listen(socket);
  });
}
