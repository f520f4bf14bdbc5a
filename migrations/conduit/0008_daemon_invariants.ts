/**
 * conduit.db 0008: invariants of the delivery queue that hold for any writer, the
 * snapshot cache's "checked" time, and the TeleClaude daemon's remaining data
 * (issue 17). Frozen once released: add a new migration instead.
 *
 * Delivery queue (triggers; a writer in any language is held to them):
 * - `fence_token`: the guarded-transition column. Leaving a lease other than by a
 *   new claim (ack → done, nack → pending or dead, supersede → done) must set
 *   `fence_token` to the job's current `lease_token` in the same UPDATE
 *   (`delivery_jobs_fenced_release`). Tokens only grow and a finished lease leaves
 *   its own token there, so a stale value never matches the next lease's token.
 *   A job becomes `done`/`dead` only from `leased` (`delivery_jobs_finish_from_lease`).
 * - The owner of a lease changes only by a claim: a new owner needs a larger
 *   `lease_token` (by exactly one), and a live lease (its expiry after the claim's
 *   `updated_at`) cannot be taken over (`delivery_jobs_claim_fenced`).
 * - `attempts` never goes backwards, except the reset of a replay (dead → pending)
 *   (`delivery_jobs_attempts_forward`).
 * - A pending-deletion job (`ux-cleanup:*` queue) is well-formed: its queue is
 *   `ux-cleanup:<user_input|feedback>:<session id>`, its payload names the same type
 *   and session and a message id, which is its dedup key (`delivery_jobs_ux_cleanup_*`).
 *
 * Snapshot cache: `checked_at` (epoch ms) is when the entry was last confirmed
 * current — a refresh whose digest was unchanged moves it without rewriting the
 * snapshot; freshness is computed from it. Back-filled from `updated_at`.
 *
 * Daemon data: `daemon_settings` (key → JSON value, e.g. registry message ids) and
 * `voice_assignments` (session or native id → TTS service and voice, swept by age).
 */
import type { Kysely } from 'kysely'
import { sql } from 'kysely'

const UX_CLEANUP_WELL_FORMED = `(
  json_valid(NEW.payload)
  AND json_extract(NEW.payload, '$.deletionType') IN ('user_input', 'feedback')
  AND json_type(NEW.payload, '$.sessionId') = 'text'
  AND length(json_extract(NEW.payload, '$.sessionId')) BETWEEN 1 AND 100
  AND json_type(NEW.payload, '$.messageId') = 'text'
  AND length(json_extract(NEW.payload, '$.messageId')) BETWEEN 1 AND 200
  AND NEW.queue = 'ux-cleanup:' || json_extract(NEW.payload, '$.deletionType') || ':' || json_extract(NEW.payload, '$.sessionId')
  AND NEW.dedup_key IS json_extract(NEW.payload, '$.messageId')
)`

const STATEMENTS = [
  `ALTER TABLE delivery_jobs ADD COLUMN fence_token INTEGER`,
  `CREATE TRIGGER delivery_jobs_fenced_release BEFORE UPDATE ON delivery_jobs
    WHEN OLD.status = 'leased' AND NEW.status <> 'leased' AND NEW.fence_token IS NOT OLD.lease_token
    BEGIN
      SELECT RAISE(ABORT, 'delivery_jobs: leaving a lease (done, dead or back to pending) requires fence_token = the current lease_token');
    END`,
  `CREATE TRIGGER delivery_jobs_finish_from_lease BEFORE UPDATE OF status ON delivery_jobs
    WHEN NEW.status IN ('done', 'dead') AND NEW.status IS NOT OLD.status AND OLD.status <> 'leased'
    BEGIN
      SELECT RAISE(ABORT, 'delivery_jobs: a job becomes done or dead only from a lease');
    END`,
  `CREATE TRIGGER delivery_jobs_claim_fenced BEFORE UPDATE ON delivery_jobs
    WHEN NEW.lease_token < OLD.lease_token
      OR (NEW.lease_owner IS NOT NULL AND NEW.lease_owner IS NOT OLD.lease_owner AND NEW.lease_token <> OLD.lease_token + 1)
      OR (NEW.lease_token <> OLD.lease_token AND (NEW.lease_token <> OLD.lease_token + 1 OR NEW.status <> 'leased'))
      OR (NEW.lease_token <> OLD.lease_token AND OLD.status = 'leased' AND OLD.lease_expires_at > NEW.updated_at)
    BEGIN
      SELECT RAISE(ABORT, 'delivery_jobs: a lease changes owner only by a claim (lease_token + 1) of a pending job or an expired lease');
    END`,
  `CREATE TRIGGER delivery_jobs_attempts_forward BEFORE UPDATE OF attempts ON delivery_jobs
    WHEN NEW.attempts < OLD.attempts AND NOT (OLD.status = 'dead' AND NEW.status = 'pending')
    BEGIN
      SELECT RAISE(ABORT, 'delivery_jobs: attempts never goes backwards (only a replay of a dead job resets it)');
    END`,
  `CREATE TRIGGER delivery_jobs_ux_cleanup_insert BEFORE INSERT ON delivery_jobs
    WHEN NEW.queue LIKE 'ux-cleanup:%' AND NOT ${UX_CLEANUP_WELL_FORMED}
    BEGIN
      SELECT RAISE(ABORT, 'delivery_jobs: a ux-cleanup job needs queue ux-cleanup:<user_input|feedback>:<session id> matching its payload {sessionId, messageId, deletionType} and dedup_key = messageId');
    END`,
  `CREATE TRIGGER delivery_jobs_ux_cleanup_update BEFORE UPDATE OF queue, payload, dedup_key ON delivery_jobs
    WHEN (NEW.queue LIKE 'ux-cleanup:%' OR OLD.queue LIKE 'ux-cleanup:%')
      AND (NEW.queue IS NOT OLD.queue OR NOT ${UX_CLEANUP_WELL_FORMED})
    BEGIN
      SELECT RAISE(ABORT, 'delivery_jobs: a ux-cleanup job keeps its queue and a well-formed payload');
    END`,

  `ALTER TABLE snapshot_cache ADD COLUMN checked_at INTEGER`,
  `UPDATE snapshot_cache SET checked_at = updated_at`,
  `CREATE INDEX snapshot_cache_checked ON snapshot_cache (checked_at, data_type, scope_id)`,

  `CREATE TABLE daemon_settings (
    key TEXT PRIMARY KEY NOT NULL CHECK (length(key) BETWEEN 1 AND 200),
    value TEXT NOT NULL CHECK (json_valid(value)),
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL
  ) STRICT`,
  `CREATE TABLE voice_assignments (
    id TEXT PRIMARY KEY NOT NULL CHECK (length(id) BETWEEN 1 AND 200),
    service_name TEXT NOT NULL CHECK (length(service_name) BETWEEN 1 AND 100),
    voice TEXT NOT NULL CHECK (length(voice) <= 200),
    assigned_at INTEGER NOT NULL
  ) STRICT`,
  `CREATE INDEX voice_assignments_assigned ON voice_assignments (assigned_at)`,
]

export async function up(db: Kysely<any>): Promise<void> {
  for (const statement of STATEMENTS) await sql.raw(statement).execute(db)
}
