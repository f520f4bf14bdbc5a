/**
 * tasks.db 0014: CLEO's task ids (issue 18). `tasks.id` was `'T' || seq` only; CLEO
 * writes its ids zero-padded to three digits (`T001`, growing past 999 as `T1000`).
 * The CHECK now admits both forms of the same number:
 * `id = 'T' || seq OR id = printf('T%03d', seq)`, so `seq` stays the task's number
 * and the id stays determined by it. Which form new tasks get is recorded in
 * `schema_meta.task_id_format` (`'plain'` here; the CLEO import sets `'cleo'`).
 *
 * Changing a CHECK needs a table rebuild (SQLite's documented procedure): `tasks` is
 * the parent of many `ON DELETE CASCADE` keys, so this migration exports
 * `rebuildsTables`: the runner switches `foreign_keys` off outside the transaction,
 * requires `PRAGMA foreign_key_check` to be empty before COMMIT and restores it after.
 * The rebuild copies every stored (non-generated) column, keeping `seq` (the rowid the
 * full-text index is keyed by), and re-creates the indexes and triggers of `tasks`
 * from the text `sqlite_schema` holds for them; an FTS5 integrity check proves
 * `tasks_fts` still matches its content table.
 *
 * Frozen once released: add a new migration instead.
 */
import type { Kysely } from 'kysely'
import { sql } from 'kysely'

/** Tells the migration runner this migration rebuilds a parent table (see `src/sqlite/migrate.ts`). */
export const rebuildsTables = true

/** The stored columns of `tasks` as of 0013 (generated ones are computed, not copied). */
const COLUMNS = [
  'seq',
  'id',
  'title',
  'description',
  'status',
  'priority',
  'type',
  'role',
  'scope',
  'severity',
  'parent_id',
  'phase',
  'size',
  'labels_json',
  'notes_json',
  'acceptance_json',
  'files_json',
  'verification_json',
  'origin',
  'blocked_by',
  'no_auto_complete',
  'pipeline_stage',
  'assignee',
  'claimed_by',
  'claim_token',
  'claimed_at',
  'claim_expires_at',
  'created_by',
  'modified_by',
  'session_id',
  'created_at',
  'updated_at',
  'completed_at',
  'cancelled_at',
  'cancellation_reason',
  'archived_at',
  'archive_reason',
  'version',
  'unresolved_blockers',
  'open_children',
  'held_by_ancestors',
] as const

const CREATE = `CREATE TABLE tasks_new (
    seq INTEGER PRIMARY KEY CHECK (seq > 0),
    id TEXT NOT NULL UNIQUE CHECK (id = 'T' || seq OR id = printf('T%03d', seq)),
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
    unresolved_blockers INTEGER NOT NULL DEFAULT 0 CHECK (unresolved_blockers >= 0),
    open_children INTEGER NOT NULL DEFAULT 0 CHECK (open_children >= 0),
    held_by_ancestors INTEGER NOT NULL DEFAULT 0 CHECK (held_by_ancestors >= 0),
    CHECK (parent_id IS NULL OR parent_id <> id),
    CHECK (type <> 'subtask' OR parent_id IS NOT NULL),
    CHECK ((status = 'done') = (completed_at IS NOT NULL)),
    CHECK ((status = 'cancelled') = (cancelled_at IS NOT NULL)),
    CHECK ((archived_at IS NULL) = (archive_reason IS NULL)),
    CHECK ((claimed_by IS NULL) = (claim_expires_at IS NULL) AND (claimed_by IS NULL) = (claimed_at IS NULL)),
    CHECK (claimed_by IS NULL OR claim_token > 0)
  ) STRICT`

export async function up(db: Kysely<any>): Promise<void> {
  // The indexes and triggers of tasks, saved before the drop removes them.
  const saved = await sql<{ sql: string }>`SELECT sql FROM sqlite_schema
    WHERE tbl_name = 'tasks' AND type IN ('index', 'trigger') AND sql IS NOT NULL
    ORDER BY type = 'trigger', rowid`.execute(db)
  await sql.raw(CREATE).execute(db)
  // The copy must carry every stored column: refuse if tasks has columns this list lacks.
  const missing = await sql<{ name: string }>`SELECT name FROM pragma_table_xinfo('tasks')
    WHERE hidden = 0 AND name NOT IN (SELECT name FROM pragma_table_xinfo('tasks_new'))`.execute(db)
  if (missing.rows.length > 0) {
    throw new Error(`tasks has columns the rebuild does not know: ${missing.rows.map((r) => r.name).join(', ')}`)
  }
  const list = COLUMNS.join(', ')
  await sql.raw(`INSERT INTO tasks_new (${list}) SELECT ${list} FROM tasks`).execute(db)
  await sql.raw('DROP TABLE tasks').execute(db)
  // Triggers on other tables name tasks and its indexes (INDEXED BY): legacy renaming
  // leaves their text alone instead of re-checking it against a half-rebuilt schema.
  await sql.raw('PRAGMA legacy_alter_table = ON').execute(db)
  await sql.raw('ALTER TABLE tasks_new RENAME TO tasks').execute(db)
  await sql.raw('PRAGMA legacy_alter_table = OFF').execute(db)
  for (const row of saved.rows) await sql.raw(row.sql).execute(db)
  await sql.raw("INSERT INTO tasks_fts (tasks_fts) VALUES ('integrity-check')").execute(db)
  await sql.raw(`INSERT INTO schema_meta (key, value, updated_at)
    VALUES ('task_id_format', 'plain', CAST(unixepoch('subsec') * 1000 AS INTEGER))`).execute(db)
}
