/**
 * nexus.db 0004: CLEO's registry columns and the audit gateway. Frozen once
 * released: add a new migration instead.
 *
 * - `project_registry`: `tasks_db_path` and `brain_db_path` (where the project's
 *   databases are), `last_indexed` (when `task_count` was last counted) and
 *   `last_sync` (when a workspace last synchronised the row) — epoch ms, filled by
 *   the workspace at open/registration.
 * - `nexus_audit_log.gateway`: where an operation came from (CLEO keeps `source` and
 *   `gateway` apart). Adding a column does not touch the append-only triggers.
 */
import type { Kysely } from 'kysely'
import { sql } from 'kysely'

const STATEMENTS: readonly string[] = [
  'ALTER TABLE project_registry ADD COLUMN tasks_db_path TEXT CHECK (tasks_db_path IS NULL OR length(tasks_db_path) BETWEEN 1 AND 4096)',
  'ALTER TABLE project_registry ADD COLUMN brain_db_path TEXT CHECK (brain_db_path IS NULL OR length(brain_db_path) BETWEEN 1 AND 4096)',
  'ALTER TABLE project_registry ADD COLUMN last_indexed INTEGER CHECK (last_indexed IS NULL OR last_indexed >= 0)',
  'ALTER TABLE project_registry ADD COLUMN last_sync INTEGER CHECK (last_sync IS NULL OR last_sync >= 0)',
  'ALTER TABLE nexus_audit_log ADD COLUMN gateway TEXT CHECK (gateway IS NULL OR length(gateway) BETWEEN 1 AND 200)',
]

export async function up(db: Kysely<any>): Promise<void> {
  for (const statement of STATEMENTS) await sql.raw(statement).execute(db)
}
