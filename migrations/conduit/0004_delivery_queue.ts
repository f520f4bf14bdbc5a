/**
 * conduit.db 0004: the durable delivery queue (`delivery_jobs`) and its dead-letter
 * history (`dead_letters`). Frozen once released: add a new migration instead.
 *
 * One table serves every queue (the `queue` column): message delivery, a hook
 * outbox, deferred deletions. The partial indexes match the repository's queries
 * term for term (their predicates are literals in the SQL, never parameters, so the
 * planner can use them):
 * - `delivery_jobs_ready`: the claim scan over pending jobs, due ones in (available_at, id) order
 *   (leased jobs are not in it, so in-flight work costs a claim nothing);
 * - `delivery_jobs_partition`: the strict-FIFO head check per partition;
 * - `delivery_jobs_leases`: expired leases to reclaim after a crash;
 * - `delivery_jobs_finished`: pruning and counting done/dead jobs;
 * - `delivery_jobs_dedup`: at most one job per dedup key and queue;
 * - `delivery_jobs_coalesce`: at most one pending job per coalesce key and queue.
 */
import type { Kysely } from 'kysely'
import { sql } from 'kysely'

const STATEMENTS = [
  `CREATE TABLE delivery_jobs (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    queue TEXT NOT NULL CHECK (length(queue) BETWEEN 1 AND 128),
    payload TEXT NOT NULL CHECK (json_valid(payload)),
    status TEXT NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'leased', 'done', 'dead')),
    partition_key TEXT CHECK (partition_key IS NULL OR length(partition_key) BETWEEN 1 AND 256),
    ordered INTEGER NOT NULL DEFAULT 0 CHECK (ordered IN (0, 1)),
    dedup_key TEXT CHECK (dedup_key IS NULL OR length(dedup_key) BETWEEN 1 AND 256),
    coalesce_key TEXT CHECK (coalesce_key IS NULL OR length(coalesce_key) BETWEEN 1 AND 256),
    attempts INTEGER NOT NULL DEFAULT 0 CHECK (attempts >= 0),
    max_attempts INTEGER NOT NULL CHECK (max_attempts BETWEEN 1 AND 1000),
    available_at INTEGER NOT NULL,
    lease_owner TEXT CHECK (lease_owner IS NULL OR length(lease_owner) BETWEEN 1 AND 256),
    lease_token INTEGER NOT NULL DEFAULT 0 CHECK (lease_token >= 0),
    lease_expires_at INTEGER,
    last_error TEXT,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL,
    finished_at INTEGER,
    CHECK (ordered = 0 OR partition_key IS NOT NULL),
    CHECK ((status = 'leased') = (lease_owner IS NOT NULL)),
    CHECK ((status = 'leased') = (lease_expires_at IS NOT NULL)),
    CHECK ((status IN ('done', 'dead')) = (finished_at IS NOT NULL))
  ) STRICT`,
  `CREATE INDEX delivery_jobs_ready ON delivery_jobs (queue, available_at, id) WHERE status = 'pending'`,
  `CREATE INDEX delivery_jobs_partition ON delivery_jobs (queue, partition_key, id)
    WHERE status IN ('pending', 'leased') AND partition_key IS NOT NULL`,
  `CREATE INDEX delivery_jobs_leases ON delivery_jobs (queue, lease_expires_at) WHERE status = 'leased'`,
  `CREATE INDEX delivery_jobs_finished ON delivery_jobs (queue, status, finished_at) WHERE finished_at IS NOT NULL`,
  `CREATE UNIQUE INDEX delivery_jobs_dedup ON delivery_jobs (queue, dedup_key) WHERE dedup_key IS NOT NULL`,
  `CREATE UNIQUE INDEX delivery_jobs_coalesce ON delivery_jobs (queue, coalesce_key)
    WHERE coalesce_key IS NOT NULL AND status = 'pending'`,

  `CREATE TABLE dead_letters (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    job_id INTEGER NOT NULL REFERENCES delivery_jobs (id) ON DELETE CASCADE,
    reason TEXT NOT NULL CHECK (reason IN ('max_attempts', 'lease_expired', 'rejected')),
    error TEXT,
    attempts INTEGER NOT NULL CHECK (attempts >= 0),
    dead_at INTEGER NOT NULL,
    replayed_at INTEGER
  ) STRICT`,
  `CREATE INDEX dead_letters_job ON dead_letters (job_id)`,
  `CREATE UNIQUE INDEX dead_letters_open ON dead_letters (job_id) WHERE replayed_at IS NULL`,
]

export async function up(db: Kysely<any>): Promise<void> {
  for (const statement of STATEMENTS) await sql.raw(statement).execute(db)
}
