import createUsers from "./0001-create-users.js";
import createAgents from "./0002-create-agents.js";
import createConversations from "./0003-create-conversations.js";
import createMessages from "./0004-create-messages.js";
import addSummaryThroughSeq from "./0005-add-summary-through-seq.js";
import createMaintenanceJobs from "./0006-create-maintenance-jobs.js";
import branchesAndTemplates from "./0007-branches-and-templates.js";
import membersInvitesAuthors from "./0008-members-invites-authors.js";
import partsToolsApproval from "./0009-parts-tools-approval.js";
import files from "./0010-files.js";
import type { MigrationStep } from "./context.js";

/** Every migration, in the order they run. A new one is added at the end. */
export const migrations: MigrationStep[] = [
  createUsers,
  createAgents,
  createConversations,
  createMessages,
  addSummaryThroughSeq,
  createMaintenanceJobs,
  branchesAndTemplates,
  membersInvitesAuthors,
  partsToolsApproval,
  files,
];
