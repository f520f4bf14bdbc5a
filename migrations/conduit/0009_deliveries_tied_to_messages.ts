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
import type { Kysely } from 'kysely'
import { sql } from 'kysely'

const STATEMENTS: readonly string[] = [
  'ALTER TABLE delivery_jobs ADD COLUMN message_id TEXT CHECK (message_id IS NULL OR length(message_id) BETWEEN 1 AND 128)',
  'ALTER TABLE delivery_jobs ADD COLUMN recipient_id TEXT CHECK (recipient_id IS NULL OR length(recipient_id) BETWEEN 1 AND 128)',
  `UPDATE delivery_jobs
    SET message_id = json_extract(payload, '$.messageId'), recipient_id = json_extract(payload, '$.recipientId')
    WHERE dedup_key LIKE 'message:%'
      AND json_type(payload, '$.messageId') = 'text' AND json_type(payload, '$.recipientId') = 'text'
      AND dedup_key = 'message:' || json_extract(payload, '$.messageId') || ':' || json_extract(payload, '$.recipientId')`,
  'CREATE INDEX delivery_jobs_message ON delivery_jobs (message_id, recipient_id) WHERE message_id IS NOT NULL',
  `CREATE TRIGGER delivery_jobs_done_delivers_message AFTER UPDATE OF status ON delivery_jobs
    WHEN NEW.status = 'done' AND OLD.status <> 'done' AND NEW.message_id IS NOT NULL AND NEW.recipient_id IS NOT NULL
    BEGIN
      UPDATE message_recipients SET delivered_at = NEW.finished_at
        WHERE agent_id = NEW.recipient_id AND delivered_at IS NULL
          AND message_seq = (SELECT seq FROM messages WHERE id = NEW.message_id);
    END`,

  `CREATE TABLE dead_letter_history (
    id INTEGER PRIMARY KEY,
    job_id INTEGER NOT NULL,
    queue TEXT NOT NULL,
    message_id TEXT,
    recipient_id TEXT,
    reason TEXT NOT NULL CHECK (reason IN ('max_attempts', 'lease_expired', 'rejected')),
    error TEXT,
    attempts INTEGER NOT NULL CHECK (attempts >= 0),
    dead_at INTEGER NOT NULL,
    replayed_at INTEGER
  ) STRICT`,
  'CREATE INDEX dead_letter_history_message ON dead_letter_history (message_id, id) WHERE message_id IS NOT NULL',
  'CREATE INDEX dead_letter_history_job ON dead_letter_history (job_id, id)',
  'CREATE INDEX dead_letter_history_queue ON dead_letter_history (queue, id)',
  'CREATE INDEX dead_letter_history_dead_at ON dead_letter_history (dead_at)',
  `INSERT INTO dead_letter_history (id, job_id, queue, message_id, recipient_id, reason, error, attempts, dead_at, replayed_at)
    SELECT d.id, d.job_id, j.queue, j.message_id, j.recipient_id, d.reason, d.error, d.attempts, d.dead_at, d.replayed_at
    FROM dead_letters AS d JOIN delivery_jobs AS j ON j.id = d.job_id`,
  `CREATE TRIGGER dead_letters_history_insert AFTER INSERT ON dead_letters
    BEGIN
      INSERT INTO dead_letter_history (id, job_id, queue, message_id, recipient_id, reason, error, attempts, dead_at, replayed_at)
        SELECT NEW.id, NEW.job_id, j.queue, j.message_id, j.recipient_id, NEW.reason, NEW.error, NEW.attempts, NEW.dead_at, NEW.replayed_at
        FROM delivery_jobs AS j WHERE j.id = NEW.job_id;
    END`,
  `CREATE TRIGGER dead_letters_history_replay AFTER UPDATE OF replayed_at ON dead_letters
    BEGIN
      UPDATE dead_letter_history SET replayed_at = NEW.replayed_at WHERE id = NEW.id;
    END`,
]

export async function up(db: Kysely<any>): Promise<void> {
  for (const statement of STATEMENTS) await sql.raw(statement).execute(db)
}
