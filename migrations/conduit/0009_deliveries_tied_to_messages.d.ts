/**
 * conduit.db 0009: deliveries tied to messages, and a dead-letter history that
 * outlives its jobs. Frozen once released: add a new migration instead.
 *
 * Additive only (columns, an index, a table, triggers); the queue's own tables and
 * their transition rules are untouched.
 *
 * - `delivery_jobs.message_id` / `recipient_id`: set by `messages.send({ deliver })`
 *   (soft references, no foreign key: a job and its history may outlive the
 *   message). Existing message jobs are backfilled from their payload.
 * - `delivery_jobs_done_delivers_message`: when such a job becomes `done` (ack), its
 *   recipient's copy of the message is marked delivered in the same statement, by
 *   any writer.
 * - `dead_letter_history`: one row per dead letter, copied by trigger when the letter
 *   is written and updated when it is replayed; it keeps the queue, message and
 *   recipient, so a message's dead letters survive `prune`, `replay` and purges of
 *   their job.
 */
import type { Kysely } from 'kysely';
export declare function up(db: Kysely<any>): Promise<void>;
