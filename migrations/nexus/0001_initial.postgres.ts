/**
 * nexus on PostgreSQL (15 or later): the baseline. On PostgreSQL `0001_initial`
 * runs this file, which creates nexus's head schema — everything 0001…0004 create
 * on SQLite, as it stands after 0004 — and 0002…0004 do nothing there (see
 * index.ts). Frozen like 0001_initial: a later schema change is a new migration
 * with a PostgreSQL branch.
 *
 * The rendering rules are conduit's and tasks' (see
 * migrations/conduit/0001_initial.postgres.ts), with the shared parts from
 * migrations/_shared/postgres-schema.ts:
 * - Same table, column and index names as SQLite, same column order: the columns
 *   0004 appended with `ALTER TABLE … ADD COLUMN` are last (`project_registry` ends
 *   with `tasks_db_path`, `brain_db_path`, `last_indexed`, `last_sync`;
 *   `nexus_audit_log` with `gateway`).
 * - `INTEGER` → `bigint` (epoch milliseconds, counts, versions), except the 0/1
 *   flag `nexus_audit_log.success`, which stays `integer` with its `IN (0, 1)`
 *   CHECK; `TEXT` → `text collate "C"`: names, paths and ids order and compare
 *   byte-wise, as SQLite's BINARY collation (so `projects.list()` by name, the
 *   audit log's keyset pages and `allPaths()` come out in the same order on both
 *   engines, whatever the database's default collation).
 * - `json_valid`/`json_type` → `cleo_json_valid`/`cleo_json_type`;
 *   `project_hash NOT GLOB '*[^0-9a-f]*'` → `project_hash !~ '[^0-9a-f]'`.
 * - Every CHECK, UNIQUE, index (the partial one too) and foreign key (same
 *   `ON DELETE`: `RESTRICT` from an instance to its chain version, `SET NULL` to
 *   its project) is kept.
 * - `nexus_schema_meta` is seeded as on SQLite: `store = nexus`, stamped in epoch
 *   milliseconds from `clock_timestamp()`, truncated like SQLite's CAST.
 *
 * Triggers: the five of SQLite, all guards (`RAISE(ABORT, …)`), as BEFORE row
 * triggers of the same names, events (`UPDATE OF` columns kept) and `WHEN`
 * conditions, calling `cleo_raise_invariant`: SQLSTATE 23514 → `INVARIANT`, with
 * SQLite's message. None reads other rows.
 *
 * Besides them, one trigger SQLite has no need of: `nexus_audit_log_no_truncate`,
 * a BEFORE TRUNCATE statement trigger refusing `TRUNCATE nexus_audit_log` the same
 * way (PostgreSQL's TRUNCATE skips row triggers; SQLite has no TRUNCATE, and its
 * `DELETE` without WHERE fires the row trigger).
 *
 * Where the engines differ: when one UPDATE breaks both instance guards, the
 * message may name the other one (PostgreSQL fires them in name order, SQLite in
 * reverse creation order) — still `INVARIANT`.
 *
 * The statements name nothing schema-qualified: they run with `search_path` set to
 * the store's schema ({@link searchStoreSchema}).
 */
import type { Kysely } from 'kysely'
import { sql } from 'kysely'

import { searchStoreSchema } from '../_shared/dialect.js'
import { SHARED_FUNCTIONS, TEXT, guard, schemaMetaTable } from '../_shared/postgres-schema.js'

/** A JSON column's CHECK: valid JSON of `type`. */
const json = (column: string, type: 'object' | 'array') => `cleo_json_valid(${column}) and cleo_json_type(${column}) = '${type}'`

/** The tables (0001…0004, head state) and their indexes, in the order SQLite creates them. */
const TABLES: readonly string[] = [
  // 0001
  schemaMetaTable('nexus_schema_meta'),

  // 0002, with 0004's columns last
  `create table project_registry (
    project_id ${TEXT} primary key check (length(project_id) between 1 and 128),
    project_hash ${TEXT} not null unique
      check (length(project_hash) = 64 and project_hash !~ '[^0-9a-f]'),
    project_path ${TEXT} not null unique check (length(project_path) between 1 and 4096),
    name ${TEXT} not null check (length(name) between 1 and 200),
    health_status ${TEXT} not null default 'unknown'
      check (health_status in ('unknown', 'healthy', 'degraded', 'unreachable')),
    health_reason ${TEXT} check (health_reason is null or length(health_reason) <= 1000),
    health_checked_at bigint,
    permissions ${TEXT} not null default 'read' check (permissions in ('read', 'write', 'execute')),
    task_count bigint not null default 0 check (task_count >= 0),
    stats_json ${TEXT} not null default '{}' check (${json('stats_json', 'object')}),
    labels_json ${TEXT} not null default '[]' check (${json('labels_json', 'array')}),
    registered_at bigint not null,
    last_seen_at bigint not null,
    updated_at bigint not null,
    tasks_db_path ${TEXT} check (tasks_db_path is null or length(tasks_db_path) between 1 and 4096),
    brain_db_path ${TEXT} check (brain_db_path is null or length(brain_db_path) between 1 and 4096),
    last_indexed bigint check (last_indexed is null or last_indexed >= 0),
    last_sync bigint check (last_sync is null or last_sync >= 0)
  )`,
  `create index project_registry_name on project_registry (name)`,
  `create index project_registry_health on project_registry (health_status, last_seen_at)`,
  `create index project_registry_last_seen on project_registry (last_seen_at)`,

  `create table nexus_audit_log (
    id ${TEXT} primary key check (length(id) = 36),
    occurred_at bigint not null,
    action ${TEXT} not null check (length(action) between 1 and 100),
    project_id ${TEXT},
    project_hash ${TEXT},
    domain ${TEXT},
    operation ${TEXT},
    session_id ${TEXT},
    request_id ${TEXT},
    source ${TEXT},
    success integer not null default 1 check (success in (0, 1)),
    duration_ms bigint check (duration_ms is null or duration_ms >= 0),
    details_json ${TEXT} check (details_json is null or (${json('details_json', 'object')})),
    error_message ${TEXT},
    gateway ${TEXT} check (gateway is null or length(gateway) between 1 and 200)
  )`,
  `create index nexus_audit_log_occurred on nexus_audit_log (occurred_at, id)`,
  `create index nexus_audit_log_project on nexus_audit_log (project_id, occurred_at, id)`,
  `create index nexus_audit_log_action on nexus_audit_log (action, occurred_at, id)`,
  `create index nexus_audit_log_session on nexus_audit_log (session_id) where session_id is not null`,

  `create table warp_chains (
    id ${TEXT} primary key check (length(id) = 36),
    name ${TEXT} not null check (length(name) between 1 and 200),
    version bigint not null check (version >= 1),
    description ${TEXT} check (description is null or length(description) <= 10000),
    definition_json ${TEXT} not null check (${json('definition_json', 'object')}),
    definition_hash ${TEXT} not null check (length(definition_hash) = 64),
    created_at bigint not null,
    unique (name, version)
  )`,

  `create table warp_chain_instances (
    id ${TEXT} primary key check (length(id) = 36),
    chain_id ${TEXT} not null references warp_chains (id) on delete restrict,
    project_id ${TEXT} references project_registry (project_id) on delete set null,
    epic_id ${TEXT} check (epic_id is null or length(epic_id) between 1 and 128),
    status ${TEXT} not null default 'pending'
      check (status in ('pending', 'active', 'completed', 'failed', 'cancelled')),
    current_stage ${TEXT} not null,
    variables_json ${TEXT} not null default '{}' check (${json('variables_json', 'object')}),
    stage_tasks_json ${TEXT} not null default '{}' check (${json('stage_tasks_json', 'object')}),
    gate_results_json ${TEXT} not null default '[]' check (${json('gate_results_json', 'array')}),
    status_reason ${TEXT} check (status_reason is null or length(status_reason) <= 1000),
    version bigint not null default 1 check (version >= 1),
    created_at bigint not null,
    updated_at bigint not null,
    started_at bigint,
    finished_at bigint,
    check ((status in ('completed', 'failed', 'cancelled')) = (finished_at is not null)),
    check (status = 'cancelled' or ((status = 'pending') = (started_at is null)))
  )`,
  `create index warp_chain_instances_chain on warp_chain_instances (chain_id)`,
  `create index warp_chain_instances_project on warp_chain_instances (project_id, status)`,
  `create index warp_chain_instances_status on warp_chain_instances (status, updated_at)`,

  // 0003
  `create index project_registry_name_id on project_registry (name, project_id)`,
]

/** SQLite's five guards (0002), then the TRUNCATE guard of the append-only log. */
const TRIGGERS: readonly string[] = [
  guard('nexus_audit_log_no_update', 'update on nexus_audit_log', null, 'nexus_audit_log is append-only: rows cannot be updated'),
  guard('nexus_audit_log_no_delete', 'delete on nexus_audit_log', null, 'nexus_audit_log is append-only: rows cannot be deleted'),
  guard(
    'warp_chains_immutable',
    'update of id, name, version, definition_json, definition_hash on warp_chains',
    null,
    'warp_chains: a chain version is immutable; define a new version',
  ),
  guard(
    'warp_chain_instances_transition',
    'update of status on warp_chain_instances',
    `new.status <> old.status and not (
      (old.status = 'pending' and new.status in ('active', 'cancelled'))
      or (old.status = 'active' and new.status in ('completed', 'failed', 'cancelled'))
    )`,
    'warp_chain_instances: illegal status transition',
  ),
  guard(
    'warp_chain_instances_finished',
    'update of status, current_stage, variables_json, stage_tasks_json, gate_results_json on warp_chain_instances',
    `old.status in ('completed', 'failed', 'cancelled')`,
    'warp_chain_instances: a finished instance cannot change',
  ),
  `create trigger nexus_audit_log_no_truncate before truncate on nexus_audit_log for each statement
    execute function cleo_raise_invariant('nexus_audit_log is append-only: rows cannot be deleted')`,
]

export async function up(db: Kysely<any>): Promise<void> {
  await searchStoreSchema(db)
  for (const statement of [...SHARED_FUNCTIONS, ...TABLES, ...TRIGGERS]) await sql.raw(statement).execute(db)
  // The store's marker row, as createSchemaMetaV1 seeds it on SQLite (epoch ms, truncated).
  await sql`insert into nexus_schema_meta (key, value, updated_at)
    values ('store', 'nexus', floor(extract(epoch from clock_timestamp()) * 1000)::bigint)`.execute(db)
}
