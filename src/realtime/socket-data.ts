import type { Principal } from "../auth/claims.js";

/** What the handshake leaves on every authenticated socket. */
export interface SocketData {
  principal: Principal;
}
