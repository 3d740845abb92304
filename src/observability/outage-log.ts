import type { Logger } from "./logger.js";

/**
 * Logs a failure that repeats while something is away (Redis, the database) once when it begins and
 * once when it ends, rather than once per delta or per second.
 */
export class OutageLog {
  private down = false;

  constructor(
    private readonly logger: Logger,
    private readonly what: string,
    private readonly context: Record<string, unknown>,
  ) {}

  failed(err: unknown): void {
    if (this.down) return;
    this.down = true;
    this.logger.warn({ err, ...this.context }, this.what);
  }

  recovered(): void {
    if (!this.down) return;
    this.down = false;
    this.logger.info(this.context, `${this.what}: recovered`);
  }
}
