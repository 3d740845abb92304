import type { Principal } from "../auth/claims.js";
import type { MemberRole } from "../protocol/index.js";

/** What the handshake leaves on every authenticated socket. */
export interface SocketData {
  principal: Principal;
  /** The name others see in presence and typing (the token's `name`, or the user id). */
  name: string;
  /**
   * The caller's role in each conversation this socket joined, kept up to date by member changes
   * (on every node): typing is checked against it, never against the database.
   */
  roles: Map<string, MemberRole>;
}
