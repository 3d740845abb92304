import type { MigrationContext } from "../migrations/context.js";

export interface SeedContext extends MigrationContext {
  /** Vendors with an API key configured; seeded agents of the others answer with the demo model. */
  configuredProviders: ReadonlySet<"openai" | "anthropic" | "groq">;
}

export interface SeedStep {
  name: string;
  up(params: { context: SeedContext }): Promise<void>;
  down(params: { context: SeedContext }): Promise<void>;
}
