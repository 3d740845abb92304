import { QueryTypes } from "sequelize";
import type { Sequelize } from "sequelize";

/** The `maintenance_jobs` table: when each periodic job last ran, across all nodes. */
export class MaintenanceRepository {
  constructor(private readonly sequelize: Sequelize) {}

  /**
   * Claims the job if it last ran more than `periodMs` ago, with one conditional update: true for
   * exactly one caller per period, however many nodes ask at once.
   */
  async claim(name: string, periodMs: number): Promise<boolean> {
    const claimed = await this.sequelize.query<{ name: string }>(
      `UPDATE maintenance_jobs SET last_run_at = now()
        WHERE name = $1 AND last_run_at < now() - make_interval(secs => $2)
        RETURNING name`,
      { bind: [name, periodMs / 1000], type: QueryTypes.SELECT },
    );
    return claimed.length === 1;
  }
}
