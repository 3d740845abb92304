import demoUsers from "./0001-demo-users.js";
import demoAgents from "./0002-demo-agents.js";
import type { SeedStep } from "./context.js";

export const seeders: SeedStep[] = [demoUsers, demoAgents];
