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
import type { Kysely } from 'kysely';
export declare function up(db: Kysely<any>): Promise<void>;
