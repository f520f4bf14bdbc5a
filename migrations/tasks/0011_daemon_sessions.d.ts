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
import type { Kysely } from 'kysely';
export declare function up(db: Kysely<any>): Promise<void>;
