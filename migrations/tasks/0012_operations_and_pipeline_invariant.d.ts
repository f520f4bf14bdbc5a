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
import type { Kysely } from 'kysely';
export declare function up(db: Kysely<any>): Promise<void>;
