import { Writable } from "node:stream";
import { createLogger, type Logger } from "../../src/observability/logger.js";

/** What a node logged, kept for the test to read. */
export interface CapturedLogs {
  /** A logger at `level` whose output is kept here; give it to the node as `logger`. */
  logger: Logger;
  /** Everything written, as written. */
  text: () => string;
  /** One entry per line written (each a JSON object). */
  lines: () => string[];
}

/** A logger at `level` writing into memory instead of stdout. */
export function captureLogs(level: string): CapturedLogs {
  let written = "";
  const sink = new Writable({
    write(chunk: Buffer, _enc, done) {
      written += chunk.toString();
      done();
    },
  });
  return {
    logger: createLogger(level, sink),
    text: () => written,
    lines: () => written.split("\n").filter(Boolean),
  };
}
