import type { AdminService } from "./admin/admin-service.js";
import type { Recovery } from "./chat/recovery.js";
import type { ToolDecisions } from "./chat/tool-decisions.js";
import type { FileService } from "./files/file-service.js";
import type { Logger } from "./observability/logger.js";

const HOUR_MS = 3_600_000;
const DAY_MS = 24 * HOUR_MS;

/**
 * What every node does by itself: sweep for dead nodes' answers, for tool calls nobody decided in
 * time and for files nobody sent (at start, then every `recoveryIntervalMs`), and look hourly whether the daily purge is due (the first node to find it
 * due runs it, see `AdminService.purgeIfDue`). Returns what stops them.
 */
export async function startBackgroundJobs(deps: {
  recovery: Recovery;
  admin: AdminService;
  decisions: Pick<ToolDecisions, "expire">;
  files: Pick<FileService, "sweepUnsent">;
  /** FILE_UNSENT_TTL_SECONDS. */
  fileUnsentTtlSeconds: number;
  recoveryIntervalMs: number;
  toolApprovalTtlSeconds: number;
  purgeAfterDays: number;
  logger: Logger;
}): Promise<() => void> {
  const { recovery, admin, logger } = deps;
  const sweep = async () => {
    await recovery.sweep().catch((err: unknown) => logger.warn({ err }, "recovery sweep failed"));
    // Tool calls nobody decided in time are denied, and their answers go on.
    await deps.decisions
      .expire(deps.toolApprovalTtlSeconds)
      .catch((err: unknown) => logger.warn({ err }, "the approval sweep failed"));
    // Files uploaded and never sent (or whose upload died with its node) are deleted.
    await deps.files
      .sweepUnsent(deps.fileUnsentTtlSeconds)
      .catch((err: unknown) => logger.warn({ err }, "the unsent-file sweep failed"));
  };
  const sweeper = setInterval(() => void sweep(), deps.recoveryIntervalMs);
  sweeper.unref();
  await sweep();

  const purgeCheck = () =>
    admin
      .purgeIfDue(deps.purgeAfterDays, DAY_MS)
      .then((purged) => {
        if (purged !== null) logger.info({ purged, olderThanDays: deps.purgeAfterDays }, "daily purge");
      })
      .catch((err: unknown) => logger.warn({ err }, "daily purge failed"));
  const purgeTimer = setInterval(() => void purgeCheck(), HOUR_MS);
  purgeTimer.unref();
  void purgeCheck();

  return () => {
    clearInterval(sweeper);
    clearInterval(purgeTimer);
  };
}
