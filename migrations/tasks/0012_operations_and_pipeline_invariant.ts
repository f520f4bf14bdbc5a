/**
 * tasks.db 0012: CLEO's operation audit trail and its status/pipeline invariant
 * (T877). Frozen once released: add a new migration instead.
 *
 * - `audit_log` gains CLEO's operation columns (`domain`, `operation`, `success`,
 *   `duration_ms`, `error_code`, `gateway`, `project_hash`) and `kind`: `change`
 *   rows (the row changes the repository writes with every mutation) and
 *   `operation` rows (appended by `tasks.audit.record`). Columns are added, not
 *   rebuilt: the table keeps its rows and ids. An operation row carries
 *   `entity_type = 'audit'` (the existing CHECK), `entity_id = domain.operation`.
 * - T877, in the schema so every writer obeys it: a task with a lifecycle pipeline
 *   becomes `done` only while its latest pipeline is completed or open at its
 *   `contribution` stage, and becomes `cancelled` only once no pipeline of it is
 *   open (the repository cancels the open pipeline in the same transaction).
 *   Violations RAISE(ABORT), which the engine reports as `INVARIANT`.
 */
import type { Kysely } from 'kysely'
import { sql } from 'kysely'

const STATEMENTS: readonly string[] = [
  `ALTER TABLE audit_log ADD COLUMN kind TEXT NOT NULL DEFAULT 'change' CHECK (kind IN ('change', 'operation'))`,
  'ALTER TABLE audit_log ADD COLUMN domain TEXT CHECK (domain IS NULL OR length(domain) BETWEEN 1 AND 100)',
  'ALTER TABLE audit_log ADD COLUMN operation TEXT CHECK (operation IS NULL OR length(operation) BETWEEN 1 AND 100)',
  'ALTER TABLE audit_log ADD COLUMN success INTEGER CHECK (success IS NULL OR success IN (0, 1))',
  'ALTER TABLE audit_log ADD COLUMN duration_ms INTEGER CHECK (duration_ms IS NULL OR duration_ms >= 0)',
  'ALTER TABLE audit_log ADD COLUMN error_code TEXT CHECK (error_code IS NULL OR length(error_code) BETWEEN 1 AND 100)',
  'ALTER TABLE audit_log ADD COLUMN gateway TEXT CHECK (gateway IS NULL OR length(gateway) BETWEEN 1 AND 100)',
  'ALTER TABLE audit_log ADD COLUMN project_hash TEXT CHECK (project_hash IS NULL OR length(project_hash) BETWEEN 1 AND 128)',
  // An operation row names its domain, operation and outcome; a change row has none of them.
  `CREATE TRIGGER audit_log_operation_shape BEFORE INSERT ON audit_log
    WHEN (NEW.kind = 'operation') <> (NEW.domain IS NOT NULL AND NEW.operation IS NOT NULL AND NEW.success IS NOT NULL)
    BEGIN
      SELECT RAISE(ABORT, 'audit_log: an operation row needs domain, operation and success; a change row has none');
    END`,
  'CREATE INDEX audit_log_operation_idx ON audit_log (domain, operation, id) WHERE domain IS NOT NULL',
  'CREATE INDEX audit_log_kind_idx ON audit_log (kind, id)',

  `CREATE TRIGGER tasks_done_needs_finished_pipeline BEFORE UPDATE OF status ON tasks
    WHEN NEW.status = 'done' AND OLD.status <> 'done' AND EXISTS (
      SELECT 1 FROM (
        SELECT p.status, p.current_stage FROM lifecycle_pipelines AS p
        WHERE p.task_id = NEW.id ORDER BY p.started_at DESC, p.id DESC LIMIT 1
      ) AS latest
      WHERE NOT (latest.status = 'completed'
        OR (latest.status IN ('active', 'blocked') AND latest.current_stage = 'contribution')))
    BEGIN
      SELECT RAISE(ABORT, 'tasks: T877: a task with a lifecycle pipeline becomes done only at its contribution stage or once the pipeline completed');
    END`,
  `CREATE TRIGGER tasks_cancel_needs_no_open_pipeline BEFORE UPDATE OF status ON tasks
    WHEN NEW.status = 'cancelled' AND OLD.status <> 'cancelled' AND EXISTS (
      SELECT 1 FROM lifecycle_pipelines AS p WHERE p.task_id = NEW.id AND p.status IN ('active', 'blocked'))
    BEGIN
      SELECT RAISE(ABORT, 'tasks: T877: cancel the open lifecycle pipeline in the same transaction as its task');
    END`,
]

export async function up(db: Kysely<any>): Promise<void> {
  for (const statement of STATEMENTS) await sql.raw(statement).execute(db)
}
