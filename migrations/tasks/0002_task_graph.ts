/**
 * tasks.db 0002: the task graph — tasks, dependencies, typed relations, sessions,
 * work history, the seeded status registry, full-text search over tasks, and the
 * task id counter. Frozen once released: add a new migration instead.
 *
 * What CLEO only typed is enforced here: every enum is a CHECK; the epic → task →
 * subtask rules are triggers; a relation's type is part of its key; the work
 * history has at most one open row per session; a second *exclusive* open session
 * per scope is refused by a partial UNIQUE index; timestamps are INTEGER epoch ms.
 */
import type { Kysely } from 'kysely'
import { sql } from 'kysely'

/**
 * The seeded status registry (also what the PostgreSQL baseline, 0001_initial.postgres.ts,
 * inserts: the statement is plain SQL on both engines).
 */
export const STATUS_REGISTRY_ROWS = `INSERT INTO status_registry (entity_type, name, namespace, description, is_terminal) VALUES
    ('task', 'proposed', 'workflow', 'suggested, not yet accepted as work', 0),
    ('task', 'pending', 'workflow', 'accepted, not started', 0),
    ('task', 'active', 'workflow', 'being worked on', 0),
    ('task', 'blocked', 'workflow', 'cannot proceed for a stated reason', 0),
    ('task', 'done', 'workflow', 'finished', 1),
    ('task', 'cancelled', 'workflow', 'abandoned', 1),
    ('session', 'creating', 'workflow', 'being set up (terminal not yet attached)', 0),
    ('session', 'active', 'workflow', 'running', 0),
    ('session', 'suspended', 'workflow', 'paused; may be resumed', 0),
    ('session', 'ended', 'workflow', 'ended (TeleClaude: closed)', 1),
    ('session', 'orphaned', 'workflow', 'left open without a heartbeat; closed by maintenance', 1),
    ('lifecycle_pipeline', 'active', 'lifecycle', 'moving through its stages', 0),
    ('lifecycle_pipeline', 'blocked', 'lifecycle', 'halted until unblocked', 0),
    ('lifecycle_pipeline', 'completed', 'lifecycle', 'every stage done', 1),
    ('lifecycle_pipeline', 'failed', 'lifecycle', 'ended in failure', 1),
    ('lifecycle_pipeline', 'cancelled', 'lifecycle', 'abandoned on purpose', 1),
    ('lifecycle_pipeline', 'aborted', 'lifecycle', 'stopped abnormally', 1),
    ('lifecycle_stage', 'not_started', 'lifecycle', 'not reached yet', 0),
    ('lifecycle_stage', 'in_progress', 'lifecycle', 'the current stage', 0),
    ('lifecycle_stage', 'blocked', 'lifecycle', 'halted until unblocked', 0),
    ('lifecycle_stage', 'completed', 'lifecycle', 'done', 1),
    ('lifecycle_stage', 'skipped', 'lifecycle', 'passed over on purpose', 1),
    ('lifecycle_stage', 'failed', 'lifecycle', 'ended in failure', 1),
    ('adr', 'proposed', 'governance', 'under discussion', 0),
    ('adr', 'accepted', 'governance', 'in force', 0),
    ('adr', 'superseded', 'governance', 'replaced by a newer decision', 1),
    ('adr', 'deprecated', 'governance', 'no longer in force', 1),
    ('gate', 'pending', 'governance', 'awaiting approval', 0),
    ('gate', 'passed', 'governance', 'approved', 1),
    ('gate', 'failed', 'governance', 'rejected', 1),
    ('gate', 'waived', 'governance', 'approval not required', 1),
    ('manifest', 'completed', 'lifecycle', 'output complete', 1),
    ('manifest', 'partial', 'lifecycle', 'output incomplete', 0),
    ('manifest', 'blocked', 'lifecycle', 'output blocked', 0),
    ('manifest', 'archived', 'lifecycle', 'kept for history', 1),
    ('release', 'draft', 'release', 'being assembled', 0),
    ('release', 'prepared', 'release', 'changelog and version prepared', 0),
    ('release', 'committed', 'release', 'release commit made', 0),
    ('release', 'tagged', 'release', 'tag created', 0),
    ('release', 'pushed', 'release', 'published', 1),
    ('release', 'cancelled', 'release', 'abandoned', 1),
    ('agent_instance', 'starting', 'agents', 'launching', 0),
    ('agent_instance', 'active', 'agents', 'working', 0),
    ('agent_instance', 'idle', 'agents', 'waiting for work', 0),
    ('agent_instance', 'error', 'agents', 'reported an error; may recover', 0),
    ('agent_instance', 'crashed', 'agents', 'stopped heartbeating or died', 1),
    ('agent_instance', 'stopped', 'agents', 'shut down cleanly', 1)`

const STATEMENTS: readonly string[] = [
  // ── tasks ───────────────────────────────────────────────────────────────────
  // `seq` is the rowid (stable across VACUUM, so the FTS index can use it) and
  // `id` is 'T' || seq, allocated from schema_meta.task_id_sequence in the insert's
  // own transaction.
  `CREATE TABLE tasks (
    seq INTEGER PRIMARY KEY CHECK (seq > 0),
    id TEXT NOT NULL UNIQUE CHECK (id = 'T' || seq),
    title TEXT NOT NULL CHECK (length(title) BETWEEN 1 AND 200),
    description TEXT CHECK (description IS NULL OR description <> title),
    status TEXT NOT NULL DEFAULT 'pending'
      CHECK (status IN ('pending', 'active', 'blocked', 'done', 'cancelled', 'proposed')),
    priority TEXT NOT NULL DEFAULT 'medium' CHECK (priority IN ('critical', 'high', 'medium', 'low')),
    priority_rank INTEGER GENERATED ALWAYS AS (
      CASE priority WHEN 'critical' THEN 0 WHEN 'high' THEN 1 WHEN 'medium' THEN 2 ELSE 3 END
    ) VIRTUAL,
    type TEXT NOT NULL DEFAULT 'task' CHECK (type IN ('epic', 'task', 'subtask')),
    role TEXT NOT NULL DEFAULT 'work' CHECK (role IN ('work', 'research', 'experiment', 'bug', 'spike', 'release')),
    scope TEXT NOT NULL DEFAULT 'feature' CHECK (scope IN ('project', 'feature', 'unit')),
    severity TEXT CHECK (severity IS NULL OR (severity IN ('P0', 'P1', 'P2', 'P3') AND role = 'bug')),
    parent_id TEXT REFERENCES tasks (id) ON DELETE RESTRICT,
    phase TEXT CHECK (phase IS NULL OR length(phase) BETWEEN 1 AND 100),
    size TEXT CHECK (size IS NULL OR size IN ('small', 'medium', 'large')),
    labels_json TEXT NOT NULL DEFAULT '[]' CHECK (json_valid(labels_json) AND json_type(labels_json) = 'array'),
    notes_json TEXT NOT NULL DEFAULT '[]' CHECK (json_valid(notes_json) AND json_type(notes_json) = 'array'),
    acceptance_json TEXT NOT NULL DEFAULT '[]' CHECK (json_valid(acceptance_json) AND json_type(acceptance_json) = 'array'),
    files_json TEXT NOT NULL DEFAULT '[]' CHECK (json_valid(files_json) AND json_type(files_json) = 'array'),
    verification_json TEXT CHECK (verification_json IS NULL OR (json_valid(verification_json) AND json_type(verification_json) = 'object')),
    origin TEXT,
    blocked_by TEXT,
    no_auto_complete INTEGER NOT NULL DEFAULT 0 CHECK (no_auto_complete IN (0, 1)),
    pipeline_stage TEXT CHECK (pipeline_stage IS NULL OR pipeline_stage IN (
      'research', 'consensus', 'architecture_decision', 'specification', 'decomposition',
      'implementation', 'validation', 'testing', 'release', 'contribution', 'cancelled')),
    assignee TEXT,
    claimed_by TEXT CHECK (claimed_by IS NULL OR length(claimed_by) > 0),
    claim_token INTEGER NOT NULL DEFAULT 0 CHECK (claim_token >= 0),
    claimed_at INTEGER,
    claim_expires_at INTEGER,
    created_by TEXT,
    modified_by TEXT,
    session_id TEXT REFERENCES sessions (id) ON DELETE SET NULL,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL,
    completed_at INTEGER,
    cancelled_at INTEGER,
    cancellation_reason TEXT,
    archived_at INTEGER,
    archive_reason TEXT CHECK (archive_reason IS NULL OR archive_reason IN ('completed', 'cancelled', 'deleted')),
    version INTEGER NOT NULL DEFAULT 1 CHECK (version >= 1),
    workable INTEGER GENERATED ALWAYS AS (status IN ('pending', 'active') AND archived_at IS NULL) VIRTUAL,
    CHECK (parent_id IS NULL OR parent_id <> id),
    CHECK (type <> 'subtask' OR parent_id IS NOT NULL),
    CHECK ((status = 'done') = (completed_at IS NOT NULL)),
    CHECK ((status = 'cancelled') = (cancelled_at IS NOT NULL)),
    CHECK ((archived_at IS NULL) = (archive_reason IS NULL)),
    CHECK ((claimed_by IS NULL) = (claim_expires_at IS NULL) AND (claimed_by IS NULL) = (claimed_at IS NULL)),
    CHECK (claimed_by IS NULL OR claim_token > 0)
  ) STRICT`,
  // Ready work walks this index in order (priority, then age) and stops at LIMIT.
  // The partial condition is a generated column that no other index covers, so the
  // planner cannot prefer the status index plus a sort (it did with a plain
  // `status IN (…)` condition). `id` and `parent_id` are carried so that a blocked
  // candidate is rejected without reading its table row.
  'CREATE INDEX tasks_ready_idx ON tasks (priority_rank, created_at, seq, id, parent_id) WHERE workable = 1',
  'CREATE INDEX tasks_parent_idx ON tasks (parent_id, seq)',
  'CREATE INDEX tasks_status_idx ON tasks (status, seq)',
  'CREATE INDEX tasks_type_idx ON tasks (type, seq)',
  'CREATE INDEX tasks_priority_idx ON tasks (priority, seq)',
  'CREATE INDEX tasks_assignee_idx ON tasks (assignee, seq) WHERE assignee IS NOT NULL',
  'CREATE INDEX tasks_claimed_by_idx ON tasks (claimed_by, seq) WHERE claimed_by IS NOT NULL',
  'CREATE INDEX tasks_session_idx ON tasks (session_id) WHERE session_id IS NOT NULL',
  'CREATE INDEX tasks_archived_idx ON tasks (archived_at, seq) WHERE archived_at IS NOT NULL',

  // epic → task → subtask: an epic or a task sits at the root or under an epic; a
  // subtask sits under a task. Checked on the child (insert, reparent, retype) and
  // on the parent (retype). Depth and cycles are checked by the repository inside
  // the same write transaction (a trigger cannot run a recursive query).
  `CREATE TRIGGER tasks_hierarchy_insert BEFORE INSERT ON tasks
    WHEN NEW.parent_id IS NOT NULL
    BEGIN
      SELECT RAISE(ABORT, 'tasks: an epic or task must sit under an epic, a subtask under a task')
      WHERE EXISTS (SELECT 1 FROM tasks p WHERE p.id = NEW.parent_id AND NOT (
        (NEW.type IN ('epic', 'task') AND p.type = 'epic') OR (NEW.type = 'subtask' AND p.type = 'task')));
    END`,
  `CREATE TRIGGER tasks_hierarchy_update BEFORE UPDATE OF parent_id, type ON tasks
    WHEN NEW.parent_id IS NOT NULL
    BEGIN
      SELECT RAISE(ABORT, 'tasks: an epic or task must sit under an epic, a subtask under a task')
      WHERE EXISTS (SELECT 1 FROM tasks p WHERE p.id = NEW.parent_id AND NOT (
        (NEW.type IN ('epic', 'task') AND p.type = 'epic') OR (NEW.type = 'subtask' AND p.type = 'task')));
    END`,
  `CREATE TRIGGER tasks_hierarchy_retype BEFORE UPDATE OF type ON tasks
    WHEN NEW.type <> OLD.type
    BEGIN
      SELECT RAISE(ABORT, 'tasks: the new type does not fit the children of this task')
      WHERE EXISTS (SELECT 1 FROM tasks c WHERE c.parent_id = NEW.id AND NOT (
        (c.type IN ('epic', 'task') AND NEW.type = 'epic') OR (c.type = 'subtask' AND NEW.type = 'task')));
    END`,
  `CREATE TRIGGER tasks_id_immutable BEFORE UPDATE OF id, seq ON tasks
    BEGIN
      SELECT RAISE(ABORT, 'tasks: a task id never changes');
    END`,

  // Full-text search over title and description (external content, keyed by seq).
  `CREATE VIRTUAL TABLE tasks_fts USING fts5(title, description, content='tasks', content_rowid='seq')`,
  `CREATE TRIGGER tasks_fts_insert AFTER INSERT ON tasks BEGIN
      INSERT INTO tasks_fts (rowid, title, description) VALUES (NEW.seq, NEW.title, NEW.description);
    END`,
  `CREATE TRIGGER tasks_fts_delete AFTER DELETE ON tasks BEGIN
      INSERT INTO tasks_fts (tasks_fts, rowid, title, description) VALUES ('delete', OLD.seq, OLD.title, OLD.description);
    END`,
  `CREATE TRIGGER tasks_fts_update AFTER UPDATE OF title, description ON tasks
    WHEN OLD.title IS NOT NEW.title OR OLD.description IS NOT NEW.description
    BEGIN
      INSERT INTO tasks_fts (tasks_fts, rowid, title, description) VALUES ('delete', OLD.seq, OLD.title, OLD.description);
      INSERT INTO tasks_fts (rowid, title, description) VALUES (NEW.seq, NEW.title, NEW.description);
    END`,

  // The id counter: bumped in the same transaction as the insert it numbers, so a
  // failed create leaves no gap and two writers can never draw the same number.
  `INSERT INTO schema_meta (key, value, updated_at)
    VALUES ('task_id_sequence', '0', CAST(unixepoch('subsec') * 1000 AS INTEGER))`,

  // ── dependencies and relations ──────────────────────────────────────────────
  `CREATE TABLE task_dependencies (
    task_id TEXT NOT NULL REFERENCES tasks (id) ON DELETE CASCADE,
    depends_on TEXT NOT NULL REFERENCES tasks (id) ON DELETE CASCADE,
    created_at INTEGER NOT NULL,
    PRIMARY KEY (task_id, depends_on),
    CHECK (task_id <> depends_on)
  ) STRICT, WITHOUT ROWID`,
  'CREATE INDEX task_dependencies_depends_on_idx ON task_dependencies (depends_on, task_id)',

  `CREATE TABLE task_relations (
    task_id TEXT NOT NULL REFERENCES tasks (id) ON DELETE CASCADE,
    related_to TEXT NOT NULL REFERENCES tasks (id) ON DELETE CASCADE,
    relation_type TEXT NOT NULL DEFAULT 'related'
      CHECK (relation_type IN ('related', 'blocks', 'duplicates', 'absorbs', 'fixes', 'extends', 'supersedes')),
    reason TEXT,
    created_at INTEGER NOT NULL,
    PRIMARY KEY (task_id, related_to, relation_type),
    CHECK (task_id <> related_to)
  ) STRICT, WITHOUT ROWID`,
  'CREATE INDEX task_relations_related_to_idx ON task_relations (related_to, task_id)',

  // ── sessions ────────────────────────────────────────────────────────────────
  `CREATE TABLE sessions (
    id TEXT PRIMARY KEY CHECK (length(id) BETWEEN 1 AND 200),
    name TEXT NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
    status TEXT NOT NULL DEFAULT 'active'
      CHECK (status IN ('creating', 'active', 'suspended', 'ended', 'orphaned')),
    scope_type TEXT NOT NULL DEFAULT 'global' CHECK (scope_type IN ('global', 'epic')),
    scope_epic_id TEXT REFERENCES tasks (id) ON DELETE RESTRICT,
    scope_key TEXT GENERATED ALWAYS AS (
      CASE scope_type WHEN 'epic' THEN 'epic:' || scope_epic_id ELSE 'global' END
    ) VIRTUAL,
    exclusive INTEGER NOT NULL DEFAULT 1 CHECK (exclusive IN (0, 1)),
    agent TEXT,
    computer TEXT,
    terminal_name TEXT,
    title TEXT,
    provider_id TEXT,
    current_task TEXT REFERENCES tasks (id) ON DELETE SET NULL,
    task_started_at INTEGER,
    notes_json TEXT NOT NULL DEFAULT '[]' CHECK (json_valid(notes_json) AND json_type(notes_json) = 'array'),
    metadata_json TEXT NOT NULL DEFAULT '{}' CHECK (json_valid(metadata_json) AND json_type(metadata_json) = 'object'),
    handoff_json TEXT CHECK (handoff_json IS NULL OR json_valid(handoff_json)),
    debrief_json TEXT CHECK (debrief_json IS NULL OR json_valid(debrief_json)),
    previous_session_id TEXT REFERENCES sessions (id) ON DELETE SET NULL,
    next_session_id TEXT REFERENCES sessions (id) ON DELETE SET NULL,
    handoff_consumed_at INTEGER,
    handoff_consumed_by TEXT,
    resume_count INTEGER NOT NULL DEFAULT 0 CHECK (resume_count >= 0),
    started_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL,
    suspended_at INTEGER,
    ended_at INTEGER,
    CHECK ((scope_type = 'epic') = (scope_epic_id IS NOT NULL)),
    CHECK ((status IN ('ended', 'orphaned')) = (ended_at IS NOT NULL)),
    CHECK ((status = 'suspended') = (suspended_at IS NOT NULL)),
    CHECK (previous_session_id IS NULL OR previous_session_id <> id),
    CHECK (next_session_id IS NULL OR next_session_id <> id)
  ) STRICT`,
  // At most one exclusive session holds a scope at a time.
  `CREATE UNIQUE INDEX sessions_exclusive_scope_idx ON sessions (scope_key)
    WHERE exclusive = 1 AND status IN ('creating', 'active')`,
  `CREATE INDEX sessions_open_idx ON sessions (started_at, id)
    WHERE status IN ('creating', 'active', 'suspended')`,
  'CREATE INDEX sessions_status_idx ON sessions (status, started_at)',
  'CREATE INDEX sessions_agent_idx ON sessions (agent, started_at) WHERE agent IS NOT NULL',
  'CREATE INDEX sessions_scope_epic_idx ON sessions (scope_epic_id) WHERE scope_epic_id IS NOT NULL',
  'CREATE INDEX sessions_current_task_idx ON sessions (current_task) WHERE current_task IS NOT NULL',
  'CREATE INDEX sessions_previous_idx ON sessions (previous_session_id) WHERE previous_session_id IS NOT NULL',
  'CREATE INDEX sessions_next_idx ON sessions (next_session_id) WHERE next_session_id IS NOT NULL',

  `CREATE TABLE task_work_history (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    session_id TEXT NOT NULL REFERENCES sessions (id) ON DELETE CASCADE,
    task_id TEXT NOT NULL REFERENCES tasks (id) ON DELETE CASCADE,
    set_at INTEGER NOT NULL,
    cleared_at INTEGER,
    CHECK (cleared_at IS NULL OR cleared_at >= set_at)
  ) STRICT`,
  // One open work-history row per session (CLEO's three unsynchronised statements could leave two).
  'CREATE UNIQUE INDEX task_work_history_open_idx ON task_work_history (session_id) WHERE cleared_at IS NULL',
  'CREATE INDEX task_work_history_session_idx ON task_work_history (session_id, id)',
  'CREATE INDEX task_work_history_task_idx ON task_work_history (task_id, id)',

  // ── status registry (CLEO created it and never filled it) ───────────────────
  `CREATE TABLE status_registry (
    entity_type TEXT NOT NULL CHECK (entity_type IN (
      'task', 'session', 'lifecycle_pipeline', 'lifecycle_stage', 'adr', 'gate', 'manifest', 'release', 'agent_instance')),
    name TEXT NOT NULL CHECK (length(name) > 0),
    namespace TEXT NOT NULL,
    description TEXT NOT NULL,
    is_terminal INTEGER NOT NULL CHECK (is_terminal IN (0, 1)),
    PRIMARY KEY (entity_type, name)
  ) STRICT, WITHOUT ROWID`,
  STATUS_REGISTRY_ROWS,
]

export async function up(db: Kysely<any>): Promise<void> {
  for (const statement of STATEMENTS) await sql.raw(statement).execute(db)
}
