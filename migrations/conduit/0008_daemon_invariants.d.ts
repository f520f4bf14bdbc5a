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
import type { Kysely } from 'kysely';
export declare function up(db: Kysely<any>): Promise<void>;
