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
import type { Kysely } from 'kysely'
import { sql } from 'kysely'

export async function up(db: Kysely<any>): Promise<void> {
  await sql`CREATE TABLE project_registry (
    project_id TEXT PRIMARY KEY CHECK (length(project_id) BETWEEN 1 AND 128),
    project_hash TEXT NOT NULL UNIQUE
      CHECK (length(project_hash) = 64 AND project_hash NOT GLOB '*[^0-9a-f]*'),
    project_path TEXT NOT NULL UNIQUE CHECK (length(project_path) BETWEEN 1 AND 4096),
    name TEXT NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
    health_status TEXT NOT NULL DEFAULT 'unknown'
      CHECK (health_status IN ('unknown', 'healthy', 'degraded', 'unreachable')),
    health_reason TEXT CHECK (health_reason IS NULL OR length(health_reason) <= 1000),
    health_checked_at INTEGER,
    permissions TEXT NOT NULL DEFAULT 'read' CHECK (permissions IN ('read', 'write', 'execute')),
    task_count INTEGER NOT NULL DEFAULT 0 CHECK (task_count >= 0),
    stats_json TEXT NOT NULL DEFAULT '{}' CHECK (json_valid(stats_json) AND json_type(stats_json) = 'object'),
    labels_json TEXT NOT NULL DEFAULT '[]' CHECK (json_valid(labels_json) AND json_type(labels_json) = 'array'),
    registered_at INTEGER NOT NULL,
    last_seen_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL
  ) STRICT`.execute(db)
  await sql`CREATE INDEX project_registry_name ON project_registry (name)`.execute(db)
  await sql`CREATE INDEX project_registry_health ON project_registry (health_status, last_seen_at)`.execute(db)
  await sql`CREATE INDEX project_registry_last_seen ON project_registry (last_seen_at)`.execute(db)

  await sql`CREATE TABLE nexus_audit_log (
    id TEXT PRIMARY KEY CHECK (length(id) = 36),
    occurred_at INTEGER NOT NULL,
    action TEXT NOT NULL CHECK (length(action) BETWEEN 1 AND 100),
    project_id TEXT,
    project_hash TEXT,
    domain TEXT,
    operation TEXT,
    session_id TEXT,
    request_id TEXT,
    source TEXT,
    success INTEGER NOT NULL DEFAULT 1 CHECK (success IN (0, 1)),
    duration_ms INTEGER CHECK (duration_ms IS NULL OR duration_ms >= 0),
    details_json TEXT CHECK (details_json IS NULL OR (json_valid(details_json) AND json_type(details_json) = 'object')),
    error_message TEXT
  ) STRICT`.execute(db)
  await sql`CREATE INDEX nexus_audit_log_occurred ON nexus_audit_log (occurred_at, id)`.execute(db)
  await sql`CREATE INDEX nexus_audit_log_project ON nexus_audit_log (project_id, occurred_at, id)`.execute(db)
  await sql`CREATE INDEX nexus_audit_log_action ON nexus_audit_log (action, occurred_at, id)`.execute(db)
  await sql`CREATE INDEX nexus_audit_log_session ON nexus_audit_log (session_id) WHERE session_id IS NOT NULL`.execute(db)
  await sql`CREATE TRIGGER nexus_audit_log_no_update BEFORE UPDATE ON nexus_audit_log
    BEGIN SELECT RAISE(ABORT, 'nexus_audit_log is append-only: rows cannot be updated'); END`.execute(db)
  await sql`CREATE TRIGGER nexus_audit_log_no_delete BEFORE DELETE ON nexus_audit_log
    BEGIN SELECT RAISE(ABORT, 'nexus_audit_log is append-only: rows cannot be deleted'); END`.execute(db)

  await sql`CREATE TABLE warp_chains (
    id TEXT PRIMARY KEY CHECK (length(id) = 36),
    name TEXT NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
    version INTEGER NOT NULL CHECK (version >= 1),
    description TEXT CHECK (description IS NULL OR length(description) <= 10000),
    definition_json TEXT NOT NULL CHECK (json_valid(definition_json) AND json_type(definition_json) = 'object'),
    definition_hash TEXT NOT NULL CHECK (length(definition_hash) = 64),
    created_at INTEGER NOT NULL,
    UNIQUE (name, version)
  ) STRICT`.execute(db)
  await sql`CREATE TRIGGER warp_chains_immutable BEFORE UPDATE OF id, name, version, definition_json, definition_hash ON warp_chains
    BEGIN SELECT RAISE(ABORT, 'warp_chains: a chain version is immutable; define a new version'); END`.execute(db)

  await sql`CREATE TABLE warp_chain_instances (
    id TEXT PRIMARY KEY CHECK (length(id) = 36),
    chain_id TEXT NOT NULL REFERENCES warp_chains (id) ON DELETE RESTRICT,
    project_id TEXT REFERENCES project_registry (project_id) ON DELETE SET NULL,
    epic_id TEXT CHECK (epic_id IS NULL OR length(epic_id) BETWEEN 1 AND 128),
    status TEXT NOT NULL DEFAULT 'pending'
      CHECK (status IN ('pending', 'active', 'completed', 'failed', 'cancelled')),
    current_stage TEXT NOT NULL,
    variables_json TEXT NOT NULL DEFAULT '{}'
      CHECK (json_valid(variables_json) AND json_type(variables_json) = 'object'),
    stage_tasks_json TEXT NOT NULL DEFAULT '{}'
      CHECK (json_valid(stage_tasks_json) AND json_type(stage_tasks_json) = 'object'),
    gate_results_json TEXT NOT NULL DEFAULT '[]'
      CHECK (json_valid(gate_results_json) AND json_type(gate_results_json) = 'array'),
    status_reason TEXT CHECK (status_reason IS NULL OR length(status_reason) <= 1000),
    version INTEGER NOT NULL DEFAULT 1 CHECK (version >= 1),
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL,
    started_at INTEGER,
    finished_at INTEGER,
    CHECK ((status IN ('completed', 'failed', 'cancelled')) = (finished_at IS NOT NULL)),
    CHECK (status = 'cancelled' OR ((status = 'pending') = (started_at IS NULL)))
  ) STRICT`.execute(db)
  await sql`CREATE INDEX warp_chain_instances_chain ON warp_chain_instances (chain_id)`.execute(db)
  await sql`CREATE INDEX warp_chain_instances_project ON warp_chain_instances (project_id, status)`.execute(db)
  await sql`CREATE INDEX warp_chain_instances_status ON warp_chain_instances (status, updated_at)`.execute(db)
  await sql`CREATE TRIGGER warp_chain_instances_transition BEFORE UPDATE OF status ON warp_chain_instances
    WHEN NEW.status <> OLD.status AND NOT (
      (OLD.status = 'pending' AND NEW.status IN ('active', 'cancelled'))
      OR (OLD.status = 'active' AND NEW.status IN ('completed', 'failed', 'cancelled'))
    )
    BEGIN SELECT RAISE(ABORT, 'warp_chain_instances: illegal status transition'); END`.execute(db)
  await sql`CREATE TRIGGER warp_chain_instances_finished
    BEFORE UPDATE OF status, current_stage, variables_json, stage_tasks_json, gate_results_json ON warp_chain_instances
    WHEN OLD.status IN ('completed', 'failed', 'cancelled')
    BEGIN SELECT RAISE(ABORT, 'warp_chain_instances: a finished instance cannot change'); END`.execute(db)
}
