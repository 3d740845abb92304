import type { IncomingMessage } from "node:http";
import type { CorsOptions } from "cors";
import type { Config } from "../config.js";

type OriginConfig = Pick<Config, "corsOrigins" | "isProduction">;

/**
 * Who may call from a browser, for REST and for Socket.IO's polling (both take `cors` options):
 * CORS_ORIGINS when set; else any origin outside production, and no cross-origin access in production.
 */
export function corsOptions(config: OriginConfig): CorsOptions {
  const exposedHeaders = ["Retry-After", "X-Request-Id"];
  if (config.corsOrigins) return { origin: [...config.corsOrigins], exposedHeaders };
  return { origin: !config.isProduction, exposedHeaders };
}

/**
 * The same rule for the Socket.IO handshake, which CORS does not cover for WebSockets: production
 * without CORS_ORIGINS allows the server's own origin. Clients that send no Origin (servers, the
 * terminal client) are let through to authentication.
 */
export function originCheck(config: OriginConfig) {
  return (req: IncomingMessage, callback: (err: string | null | undefined, success: boolean) => void) => {
    const origin = req.headers.origin;
    if (!origin) return callback(null, true);
    if (config.corsOrigins) return callback(null, config.corsOrigins.includes(origin));
    if (!config.isProduction) return callback(null, true);
    let host: string | undefined;
    try {
      host = new URL(origin).host;
    } catch {
      host = undefined;
    }
    callback(null, host !== undefined && host === req.headers.host);
  };
}
