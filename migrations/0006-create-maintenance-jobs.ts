import { sqlMigration } from "./context.js";

/** When each recurring job last ran, so that any number of nodes run it once per period between them. */
export default sqlMigration(
  "0006-create-maintenance-jobs",
  [
    `CREATE TABLE maintenance_jobs (
      name varchar(64) PRIMARY KEY,
      last_run_at timestamptz NOT NULL DEFAULT '-infinity'
    )`,
    `INSERT INTO maintenance_jobs (name) VALUES ('purge')`,
  ],
  ["DROP TABLE maintenance_jobs"],
);
