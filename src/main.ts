import { createConfab } from "./app.js";
import { ConfigError, loadConfig } from "./config.js";
import { createLogger } from "./observability/logger.js";

/** Start: read the configuration, build, listen, and shut down gracefully on SIGTERM or SIGINT. */
async function main(): Promise<void> {
  let config;
  try {
    config = loadConfig();
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`Confab cannot start: ${err.problems.join("; ")}\n`);
      process.exit(1);
    }
    throw err;
  }
  // In development, in a terminal: lines a person can read; JSON lines otherwise.
  const logger = createLogger(config.logLevel, undefined, !config.isProduction && process.stdout.isTTY);
  const confab = await createConfab({ config, logger });
  const address = await confab.listen();
  const shown = address.address === "0.0.0.0" || address.address === "::" ? "localhost" : address.address;
  logger.info(
    {
      port: address.port,
      database: confab.db.embedded ? "embedded" : "postgres",
      redis: Boolean(config.redisUrl),
    },
    `Confab listening on http://${shown}:${address.port}`,
  );

  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, "shutting down");
    confab
      .close()
      .then(() => {
        logger.info("stopped");
        process.exit(0);
      })
      .catch((err: unknown) => {
        logger.error({ err }, "shutdown failed");
        process.exit(1);
      });
  };
  process.on("SIGTERM", () => stop("SIGTERM"));
  process.on("SIGINT", () => stop("SIGINT"));
}

main().catch((err: unknown) => {
  // A setting the services it reaches cannot honour (REDIS_ADAPTER=sharded on Redis 6) reads as one.
  if (err instanceof ConfigError) {
    process.stderr.write(`Confab cannot start: ${err.problems.join("; ")}\n`);
    process.exit(1);
  }
  createLogger("error").fatal({ err }, "Confab failed to start");
  process.exit(1);
});
