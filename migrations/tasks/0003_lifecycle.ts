/**
 * tasks.db 0003: the RCASD-IVTR+C lifecycle — pipelines, their ten stages, gate
 * results, evidence, stage transitions — and the manifests and release manifests.
 * Frozen once released: add a new migration instead.
 *
 * Fixes over CLEO: one *active* pipeline per task (partial UNIQUE); one row per
 * (pipeline, stage) and the stage's sequence tied to its name by a CHECK, so the
 * order of the ten stages lives in the schema; `current_stage` always holds a
 * stage *name* (CLEO stored a name in one writer and an id in the other); every
 * enum is a CHECK; gate results are appended (CLEO upserted, keeping only the last).
 */
import type { Kysely } from 'kysely'
import { sql } from 'kysely'

const STAGE_NAMES = `'research', 'consensus', 'architecture_decision', 'specification', 'decomposition',
  'implementation', 'validation', 'testing', 'release', 'contribution'`

const STATEMENTS: readonly string[] = [
  `CREATE TABLE lifecycle_pipelines (
    id TEXT PRIMARY KEY CHECK (length(id) > 0),
    task_id TEXT NOT NULL REFERENCES tasks (id) ON DELETE CASCADE,
    status TEXT NOT NULL DEFAULT 'active'
      CHECK (status IN ('active', 'completed', 'blocked', 'failed', 'cancelled', 'aborted')),
    current_stage TEXT NOT NULL CHECK (current_stage IN (${STAGE_NAMES})),
    started_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL,
    completed_at INTEGER,
    version INTEGER NOT NULL DEFAULT 1 CHECK (version >= 1),
    CHECK ((status = 'completed') = (completed_at IS NOT NULL))
  ) STRICT`,
  // One active (or blocked: not yet finished) pipeline per task.
  `CREATE UNIQUE INDEX lifecycle_pipelines_one_open_idx ON lifecycle_pipelines (task_id)
    WHERE status IN ('active', 'blocked')`,
  'CREATE INDEX lifecycle_pipelines_task_idx ON lifecycle_pipelines (task_id, started_at)',
  'CREATE INDEX lifecycle_pipelines_status_idx ON lifecycle_pipelines (status, started_at)',

  `CREATE TABLE lifecycle_stages (
    id TEXT PRIMARY KEY CHECK (length(id) > 0),
    pipeline_id TEXT NOT NULL REFERENCES lifecycle_pipelines (id) ON DELETE CASCADE,
    stage_name TEXT NOT NULL CHECK (stage_name IN (${STAGE_NAMES})),
    sequence INTEGER NOT NULL CHECK (sequence = CASE stage_name
      WHEN 'research' THEN 1 WHEN 'consensus' THEN 2 WHEN 'architecture_decision' THEN 3
      WHEN 'specification' THEN 4 WHEN 'decomposition' THEN 5 WHEN 'implementation' THEN 6
      WHEN 'validation' THEN 7 WHEN 'testing' THEN 8 WHEN 'release' THEN 9 WHEN 'contribution' THEN 10 END),
    status TEXT NOT NULL DEFAULT 'not_started'
      CHECK (status IN ('not_started', 'in_progress', 'blocked', 'completed', 'skipped', 'failed')),
    started_at INTEGER,
    completed_at INTEGER,
    blocked_at INTEGER,
    skipped_at INTEGER,
    block_reason TEXT,
    skip_reason TEXT,
    notes_json TEXT NOT NULL DEFAULT '[]' CHECK (json_valid(notes_json) AND json_type(notes_json) = 'array'),
    metadata_json TEXT NOT NULL DEFAULT '{}' CHECK (json_valid(metadata_json) AND json_type(metadata_json) = 'object'),
    output_file TEXT,
    created_by TEXT,
    validated_by TEXT,
    validated_at INTEGER,
    validation_status TEXT CHECK (validation_status IS NULL OR validation_status IN (
      'pending', 'in_review', 'approved', 'rejected', 'needs_revision')),
    UNIQUE (pipeline_id, stage_name),
    UNIQUE (pipeline_id, sequence),
    CHECK ((status = 'completed') = (completed_at IS NOT NULL)),
    CHECK ((status = 'skipped') = (skipped_at IS NOT NULL))
  ) STRICT`,

  `CREATE TABLE lifecycle_gate_results (
    id TEXT PRIMARY KEY CHECK (length(id) > 0),
    stage_id TEXT NOT NULL REFERENCES lifecycle_stages (id) ON DELETE CASCADE,
    gate_name TEXT NOT NULL CHECK (length(gate_name) BETWEEN 1 AND 200),
    result TEXT NOT NULL CHECK (result IN ('pass', 'fail', 'warn')),
    required INTEGER NOT NULL DEFAULT 1 CHECK (required IN (0, 1)),
    checked_at INTEGER NOT NULL,
    checked_by TEXT NOT NULL CHECK (length(checked_by) > 0),
    details TEXT,
    reason TEXT
  ) STRICT`,
  // The latest result per (stage, gate) decides: this index finds it.
  'CREATE INDEX lifecycle_gate_results_stage_idx ON lifecycle_gate_results (stage_id, gate_name, checked_at)',

  `CREATE TABLE lifecycle_evidence (
    id TEXT PRIMARY KEY CHECK (length(id) > 0),
    stage_id TEXT NOT NULL REFERENCES lifecycle_stages (id) ON DELETE CASCADE,
    gate_result_id TEXT REFERENCES lifecycle_gate_results (id) ON DELETE SET NULL,
    uri TEXT NOT NULL CHECK (length(uri) > 0),
    type TEXT NOT NULL CHECK (type IN ('file', 'url', 'manifest')),
    recorded_at INTEGER NOT NULL,
    recorded_by TEXT,
    description TEXT
  ) STRICT`,
  'CREATE INDEX lifecycle_evidence_stage_idx ON lifecycle_evidence (stage_id, recorded_at)',
  'CREATE INDEX lifecycle_evidence_gate_idx ON lifecycle_evidence (gate_result_id) WHERE gate_result_id IS NOT NULL',

  `CREATE TABLE lifecycle_transitions (
    id TEXT PRIMARY KEY CHECK (length(id) > 0),
    pipeline_id TEXT NOT NULL REFERENCES lifecycle_pipelines (id) ON DELETE CASCADE,
    from_stage_id TEXT REFERENCES lifecycle_stages (id) ON DELETE CASCADE,
    to_stage_id TEXT NOT NULL REFERENCES lifecycle_stages (id) ON DELETE CASCADE,
    transition_type TEXT NOT NULL DEFAULT 'automatic' CHECK (transition_type IN ('automatic', 'manual', 'forced')),
    transitioned_by TEXT,
    reason TEXT,
    created_at INTEGER NOT NULL
  ) STRICT`,
  'CREATE INDEX lifecycle_transitions_pipeline_idx ON lifecycle_transitions (pipeline_id, created_at)',
  'CREATE INDEX lifecycle_transitions_from_idx ON lifecycle_transitions (from_stage_id) WHERE from_stage_id IS NOT NULL',
  'CREATE INDEX lifecycle_transitions_to_idx ON lifecycle_transitions (to_stage_id)',

  `CREATE TABLE manifest_entries (
    id TEXT PRIMARY KEY CHECK (length(id) > 0),
    pipeline_id TEXT NOT NULL REFERENCES lifecycle_pipelines (id) ON DELETE CASCADE,
    stage_id TEXT REFERENCES lifecycle_stages (id) ON DELETE CASCADE,
    title TEXT NOT NULL CHECK (length(title) BETWEEN 1 AND 200),
    status TEXT NOT NULL CHECK (status IN ('completed', 'partial', 'blocked', 'archived')),
    agent_type TEXT,
    output_file TEXT,
    topics_json TEXT NOT NULL DEFAULT '[]' CHECK (json_valid(topics_json) AND json_type(topics_json) = 'array'),
    findings_json TEXT NOT NULL DEFAULT '[]' CHECK (json_valid(findings_json) AND json_type(findings_json) = 'array'),
    linked_tasks_json TEXT NOT NULL DEFAULT '[]' CHECK (json_valid(linked_tasks_json) AND json_type(linked_tasks_json) = 'array'),
    created_at INTEGER NOT NULL
  ) STRICT`,
  'CREATE INDEX manifest_entries_pipeline_idx ON manifest_entries (pipeline_id, created_at)',
  'CREATE INDEX manifest_entries_stage_idx ON manifest_entries (stage_id) WHERE stage_id IS NOT NULL',

  `CREATE TABLE pipeline_manifest (
    id TEXT PRIMARY KEY CHECK (length(id) > 0),
    session_id TEXT REFERENCES sessions (id) ON DELETE SET NULL,
    task_id TEXT REFERENCES tasks (id) ON DELETE SET NULL,
    epic_id TEXT REFERENCES tasks (id) ON DELETE SET NULL,
    type TEXT NOT NULL CHECK (length(type) BETWEEN 1 AND 100),
    content TEXT NOT NULL,
    content_hash TEXT NOT NULL CHECK (length(content_hash) = 64),
    status TEXT NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'archived')),
    distilled INTEGER NOT NULL DEFAULT 0 CHECK (distilled IN (0, 1)),
    brain_obs_id TEXT,
    source_file TEXT,
    metadata_json TEXT NOT NULL DEFAULT '{}' CHECK (json_valid(metadata_json) AND json_type(metadata_json) = 'object'),
    created_at INTEGER NOT NULL,
    archived_at INTEGER,
    CHECK ((status = 'archived') = (archived_at IS NOT NULL))
  ) STRICT`,
  'CREATE INDEX pipeline_manifest_task_idx ON pipeline_manifest (task_id, created_at) WHERE task_id IS NOT NULL',
  'CREATE INDEX pipeline_manifest_epic_idx ON pipeline_manifest (epic_id, created_at) WHERE epic_id IS NOT NULL',
  'CREATE INDEX pipeline_manifest_session_idx ON pipeline_manifest (session_id, created_at) WHERE session_id IS NOT NULL',
  'CREATE INDEX pipeline_manifest_status_idx ON pipeline_manifest (status, created_at)',
  'CREATE INDEX pipeline_manifest_hash_idx ON pipeline_manifest (content_hash)',

  `CREATE TABLE release_manifests (
    id TEXT PRIMARY KEY CHECK (length(id) > 0),
    version TEXT NOT NULL UNIQUE CHECK (length(version) BETWEEN 1 AND 100),
    status TEXT NOT NULL DEFAULT 'draft'
      CHECK (status IN ('draft', 'prepared', 'committed', 'tagged', 'pushed', 'cancelled')),
    pipeline_id TEXT REFERENCES lifecycle_pipelines (id) ON DELETE SET NULL,
    epic_id TEXT REFERENCES tasks (id) ON DELETE SET NULL,
    tasks_json TEXT NOT NULL DEFAULT '[]' CHECK (json_valid(tasks_json) AND json_type(tasks_json) = 'array'),
    changelog TEXT,
    notes TEXT,
    previous_version TEXT,
    commit_sha TEXT,
    git_tag TEXT,
    npm_dist_tag TEXT,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL,
    prepared_at INTEGER,
    committed_at INTEGER,
    tagged_at INTEGER,
    pushed_at INTEGER,
    cancelled_at INTEGER,
    CHECK (status NOT IN ('prepared', 'committed', 'tagged', 'pushed') OR prepared_at IS NOT NULL),
    CHECK (status NOT IN ('committed', 'tagged', 'pushed') OR committed_at IS NOT NULL),
    CHECK (status NOT IN ('tagged', 'pushed') OR tagged_at IS NOT NULL),
    CHECK ((status = 'pushed') = (pushed_at IS NOT NULL)),
    CHECK ((status = 'cancelled') = (cancelled_at IS NOT NULL))
  ) STRICT`,
  'CREATE INDEX release_manifests_status_idx ON release_manifests (status, created_at)',
  'CREATE INDEX release_manifests_pipeline_idx ON release_manifests (pipeline_id) WHERE pipeline_id IS NOT NULL',
  'CREATE INDEX release_manifests_epic_idx ON release_manifests (epic_id) WHERE epic_id IS NOT NULL',
]

export async function up(db: Kysely<any>): Promise<void> {
  for (const statement of STATEMENTS) await sql.raw(statement).execute(db)
}
