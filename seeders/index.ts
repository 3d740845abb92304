import demoUsers from "./0001-demo-users.js";
import demoAgents from "./0002-demo-agents.js";
import demoStarters from "./0003-demo-starters-and-template.js";
import demoTools from "./0004-demo-tools.js";
import demoFileTypes from "./0005-demo-file-types.js";
import type { SeedStep } from "./context.js";

export const seeders: SeedStep[] = [demoUsers, demoAgents, demoStarters, demoTools, demoFileTypes];
