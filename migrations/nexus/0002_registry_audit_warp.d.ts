/**
 * nexus.db 0002: the project registry, the append-only nexus audit log, versioned warp
 * chains and their instances. Frozen once released: add a new migration instead.
 *
 * - `project_registry`: one row per project, keyed by a stable id that lives inside the
 *   project (tasks.db `schema_meta.project_id`); the SHA-256 of the resolved real path and
 *   the path itself are unique, so a path can belong to one project only.
 * - `nexus_audit_log`: append-only, enforced by triggers that RAISE on UPDATE and DELETE.
 * - `warp_chains`: one row per (name, version); a version's definition is immutable.
 * - `warp_chain_instances`: status transitions are checked by a trigger; a finished
 *   instance (completed, failed, cancelled) can no longer move.
 */
import type { Kysely } from 'kysely';
export declare function up(db: Kysely<any>): Promise<void>;
