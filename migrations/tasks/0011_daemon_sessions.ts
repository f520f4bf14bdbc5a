/**
 * tasks.db 0011: the TeleClaude daemon's session columns, and invariants of the
 * sessions table that hold for any writer (issue 17). Frozen once released: add a
 * new migration instead.
 *
 * - Typed, indexed columns for what the daemon finds or orders sessions by:
 *   `native_session_id` (the agent CLI's own session id, unique when set),
 *   `project_path`, `thinking_mode`, `initiator`, `last_activity_at` (epoch ms,
 *   back-filled from `updated_at`) and `adapter_metadata_json` (a JSON object).
 *   `computer` existed; it gets an index ordered by last activity.
 * - `sessions_status_forward`: a session's status only moves forward
 *   (`creating → active ⇄ suspended → ended | orphaned`); an ended or orphaned
 *   session never changes status again, and nothing goes back to `creating`.
 * - `session_end_events`: a row per session that ended, was orphaned or was deleted,
 *   written by triggers in the same transaction as the change, whoever the writer
 *   is. The daemon store consumes it to purge the session's rows in other files
 *   (its pending deletions), so that purge cannot be skipped.
 * - `writer_fences`: the highest fencing token of a named writer lease seen by this
 *   file (the daemon lock lives in conduit.db); a fenced write presents its token and
 *   is refused once a larger one was seen. A token never goes back (trigger).
 */
import type { Kysely } from 'kysely'
import { sql } from 'kysely'

const STATEMENTS = [
  `ALTER TABLE sessions ADD COLUMN native_session_id TEXT
    CHECK (native_session_id IS NULL OR length(native_session_id) BETWEEN 1 AND 200)`,
  `ALTER TABLE sessions ADD COLUMN project_path TEXT
    CHECK (project_path IS NULL OR length(project_path) BETWEEN 1 AND 4096)`,
  `ALTER TABLE sessions ADD COLUMN thinking_mode TEXT
    CHECK (thinking_mode IS NULL OR length(thinking_mode) BETWEEN 1 AND 64)`,
  `ALTER TABLE sessions ADD COLUMN initiator TEXT
    CHECK (initiator IS NULL OR length(initiator) BETWEEN 1 AND 200)`,
  `ALTER TABLE sessions ADD COLUMN last_activity_at INTEGER`,
  `ALTER TABLE sessions ADD COLUMN adapter_metadata_json TEXT NOT NULL DEFAULT '{}'
    CHECK (json_valid(adapter_metadata_json) AND json_type(adapter_metadata_json) = 'object')`,
  `UPDATE sessions SET last_activity_at = updated_at`,
  `CREATE UNIQUE INDEX sessions_native_session_idx ON sessions (native_session_id) WHERE native_session_id IS NOT NULL`,
  `CREATE INDEX sessions_activity_idx ON sessions (last_activity_at DESC, id DESC)`,
  `CREATE INDEX sessions_computer_activity_idx ON sessions (computer, last_activity_at DESC, id DESC) WHERE computer IS NOT NULL`,

  `CREATE TRIGGER sessions_status_forward BEFORE UPDATE OF status ON sessions
    WHEN NEW.status IS NOT OLD.status
      AND (OLD.status IN ('ended', 'orphaned') OR NEW.status = 'creating')
    BEGIN
      SELECT RAISE(ABORT, 'sessions.status only moves forward: creating -> active <-> suspended -> ended | orphaned');
    END`,

  `CREATE TABLE session_end_events (
    session_id TEXT PRIMARY KEY NOT NULL CHECK (length(session_id) BETWEEN 1 AND 200),
    reason TEXT NOT NULL CHECK (reason IN ('ended', 'orphaned', 'deleted')),
    at INTEGER NOT NULL
  ) STRICT`,
  `CREATE TRIGGER sessions_end_event_on_update AFTER UPDATE OF status ON sessions
    WHEN NEW.status IN ('ended', 'orphaned') AND OLD.status NOT IN ('ended', 'orphaned')
    BEGIN
      INSERT OR IGNORE INTO session_end_events (session_id, reason, at) VALUES (NEW.id, NEW.status, coalesce(NEW.ended_at, NEW.updated_at));
    END`,
  `CREATE TRIGGER sessions_end_event_on_insert AFTER INSERT ON sessions
    WHEN NEW.status IN ('ended', 'orphaned')
    BEGIN
      INSERT OR IGNORE INTO session_end_events (session_id, reason, at) VALUES (NEW.id, NEW.status, coalesce(NEW.ended_at, NEW.updated_at));
    END`,
  `CREATE TRIGGER sessions_end_event_on_delete AFTER DELETE ON sessions
    BEGIN
      INSERT OR REPLACE INTO session_end_events (session_id, reason, at) VALUES (OLD.id, 'deleted', OLD.updated_at);
    END`,

  `CREATE TABLE writer_fences (
    name TEXT PRIMARY KEY NOT NULL CHECK (length(name) BETWEEN 1 AND 128),
    token INTEGER NOT NULL CHECK (token >= 1)
  ) STRICT`,
  `CREATE TRIGGER writer_fences_forward BEFORE UPDATE OF token ON writer_fences
    WHEN NEW.token < OLD.token
    BEGIN
      SELECT RAISE(ABORT, 'writer_fences.token never goes backwards');
    END`,
]

export async function up(db: Kysely<any>): Promise<void> {
  for (const statement of STATEMENTS) await sql.raw(statement).execute(db)
}
