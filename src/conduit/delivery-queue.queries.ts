/**
 * The prepared statements of the delivery queue (internal to conduit; exported for
 * the repository and for query-plan tests). Every status test that a partial
 * index depends on is a literal (`sql.lit`), never a bound parameter: SQLite can only
 * use a partial index when it can prove the query implies the index's WHERE clause
 * at prepare time.
 *
 * @module
 */
import type { Kysely, RawBuilder, Selectable } from 'kysely'
import { sql } from 'kysely'

import type { ParamFactory, SqlDialect } from '../sqlite/query-template.js'
import { rawStatement, template, typedParam } from '../sqlite/query-template.js'
import type { ConduitDatabase, DeliveryJobsTable } from './conduit.tables.js'

const PENDING = sql.lit('pending' as const)
const LEASED = sql.lit('leased' as const)
const DONE = sql.lit('done' as const)
const DEAD = sql.lit('dead' as const)

/** A stored job row, as selected. */
export type JobRow = Selectable<DeliveryJobsTable>

interface InsertJobParams {
  queue: string
  payload: string
  partitionKey: string | null
  ordered: number
  dedupKey: string | null
  coalesceKey: string | null
  maxAttempts: number
  availableAt: number
  now: number
  /** A message delivery job's message and recipient (migration 0009), else null. */
  messageId: string | null
  recipientId: string | null
}

/** Inserts a pending job and returns it. */
export const INSERT_JOB = template<ConduitDatabase, InsertJobParams>()((db, p) =>
  db
    .insertInto('delivery_jobs')
    .values({
      queue: p('queue'),
      payload: p('payload'),
      status: PENDING,
      partition_key: p('partitionKey'),
      ordered: p('ordered'),
      dedup_key: p('dedupKey'),
      coalesce_key: p('coalesceKey'),
      attempts: 0,
      max_attempts: p('maxAttempts'),
      available_at: p('availableAt'),
      lease_token: 0,
      created_at: p('now'),
      updated_at: p('now'),
      message_id: p('messageId'),
      recipient_id: p('recipientId'),
    })
    .returningAll(),
)

/**
 * PostgreSQL only: an ordered enqueue holds its partition until it commits, so the
 * ids of one partition are taken in commit order (identity values are not: a job
 * with a smaller id could otherwise become visible after a larger one was claimed).
 */
export const LOCK_PARTITION = template<ConduitDatabase, { queue: string; partitionKey: string }>()((db, p) =>
  rawStatement(db, sql`SELECT pg_advisory_xact_lock(hashtext(${p('queue')}::text), hashtext(${p('partitionKey')}::text))`),
)

/** One job by id. */
export const GET_JOB = template<ConduitDatabase, { id: number }>()((db, p) =>
  db.selectFrom('delivery_jobs').selectAll().where('id', '=', p('id')),
)

/** The job holding a dedup key in a queue (`delivery_jobs_dedup`). */
export const GET_JOB_BY_DEDUP_KEY = template<ConduitDatabase, { queue: string; dedupKey: string }>()((db, p) =>
  db.selectFrom('delivery_jobs').selectAll().where('queue', '=', p('queue')).where('dedup_key', '=', p('dedupKey')),
)

/** Removes the pending (unclaimed) job a coalescing enqueue replaces. */
export const DELETE_PENDING_COALESCED = template<ConduitDatabase, { queue: string; coalesceKey: string }>()((db, p) =>
  db
    .deleteFrom('delivery_jobs')
    .where('queue', '=', p('queue'))
    .where('coalesce_key', '=', p('coalesceKey'))
    .where('status', '=', PENDING)
    .returning('id'),
)

/** The pending job holding a coalesce key in a queue, if any (`delivery_jobs_coalesce`). */
export const PENDING_COALESCED_EXISTS = template<ConduitDatabase, { queue: string; coalesceKey: string }>()((db, p) =>
  db
    .selectFrom('delivery_jobs')
    .select('id')
    .where('queue', '=', p('queue'))
    .where('coalesce_key', '=', p('coalesceKey'))
    .where('status', '=', PENDING),
)

interface ClaimParams {
  queue: string
  owner: string
  now: number
  expiresAt: number
}

/** Strict FIFO: an ordered job waits while an earlier job of its partition is pending or leased. */
const IS_PARTITION_HEAD = sql<boolean>`(j.ordered = 0 OR NOT EXISTS (
  SELECT 1 FROM delivery_jobs AS e
  WHERE e.queue = j.queue
    AND e.partition_key = j.partition_key
    AND e.status IN ('pending', 'leased')
    AND e.partition_key IS NOT NULL
    AND e.id < j.id
))`

/**
 * The claim, one statement. Candidates come from two index walks: due pending jobs
 * in (available_at, id) order (`delivery_jobs_ready`), and leased jobs whose lease
 * expired — a crashed worker's — with attempts left (`delivery_jobs_leases`);
 * in-flight leases are never walked. An `ordered` job is a candidate only when no
 * earlier job of its partition is still pending or leased (strict FIFO: a failed
 * head blocks its partition, and only it). Among the oldest `window` candidates,
 * `row_number()` per partition deals the batch out round-robin — each partition's
 * oldest first, then each one's second, … — so one busy partition cannot fill a
 * batch while others wait. Jobs without a partition are each their own partition.
 * Every chosen job gets a new lease, a new fencing token (`lease_token + 1`) and one
 * more attempt.
 */
function claimJobs(limit: number, window: number) {
  // The limits are literals (validated integers), not bound parameters: SQLite plans
  // this statement several times faster when it can see them.
  const windowLit = sql.lit(window)
  const limitLit = sql.lit(limit)
  return template<ConduitDatabase, ClaimParams>()((db, p, dialect) =>
  db
    .updateTable('delivery_jobs')
    .set({
      status: LEASED,
      lease_owner: p('owner'),
      lease_token: sql<number>`lease_token + 1`,
      lease_expires_at: p('expiresAt'),
      attempts: sql<number>`attempts + 1`,
      updated_at: p('now'),
    })
    .where('id', 'in', claimCandidates(p, windowLit, limitLit, dialect))
    .returningAll(),
  )
}

/**
 * The ids a claim takes: the two walks, then the dealing. On PostgreSQL each walk
 * locks the rows it returns and skips rows another transaction holds (`FOR UPDATE
 * SKIP LOCKED`): concurrent claimers on many hosts take disjoint jobs without
 * waiting for one another. PostgreSQL refuses row locks next to window functions,
 * so there the locked walks are CTEs that the dealing reads.
 */
function claimCandidates(p: ParamFactory<ClaimParams>, windowLit: RawBuilder<number>, limitLit: RawBuilder<number>, dialect: SqlDialect) {
  const lock = dialect === 'postgres' ? sql` FOR UPDATE OF j SKIP LOCKED` : sql``
  const pending = sql`SELECT j.id, j.partition_key, j.available_at
    FROM delivery_jobs AS j
    WHERE j.queue = ${p('queue')}
      AND j.status = 'pending'
      AND j.available_at <= ${p('now')}
      AND ${IS_PARTITION_HEAD}
    ORDER BY j.available_at, j.id
    LIMIT ${windowLit}${lock}`
  const expired = sql`SELECT j.id, j.partition_key, j.available_at
    FROM delivery_jobs AS j
    WHERE j.queue = ${p('queue')}
      AND j.status = 'leased'
      AND j.lease_expires_at <= ${p('now')}
      AND j.attempts < j.max_attempts
      AND ${IS_PARTITION_HEAD}
    ORDER BY j.lease_expires_at
    LIMIT ${windowLit}${lock}`
  // Each partition's oldest first, then each one's second, …; a job without a partition is its own.
  const deal = (candidates: RawBuilder<unknown>) => sql<number>`SELECT id FROM (
      SELECT c.id, c.available_at,
        row_number() OVER (
          PARTITION BY c.partition_key, CASE WHEN c.partition_key IS NULL THEN c.id END
          ORDER BY c.available_at, c.id
        ) AS turn
      FROM ${candidates} AS c
    ) AS dealt
    ORDER BY turn, available_at, id
    LIMIT ${limitLit}`
  return dialect === 'postgres'
    ? sql<number>`(WITH pending AS (${pending}), expired AS (${expired}) ${deal(sql`(SELECT * FROM pending UNION ALL SELECT * FROM expired)`)})`
    : sql<number>`(${deal(sql`(SELECT * FROM (${pending}) UNION ALL SELECT * FROM (${expired}))`)})`
}

/**
 * How many of the oldest claimable jobs a batch claim looks at to deal the batch out
 * fairly across partitions: `limit × CLAIM_FAIRNESS_FACTOR`, at least
 * {@link CLAIM_FAIRNESS_MIN_WINDOW}, at most {@link CLAIM_FAIRNESS_MAX_WINDOW}. A claim
 * of one job looks at one candidate per walk: the oldest due pending job and the lease
 * that expired first, and takes the one due earlier. So among several expired leases it
 * takes the longest expired, which need not be the one due first (a batch, looking
 * further, may deal that one first).
 */
export const CLAIM_FAIRNESS_FACTOR = 16
/** Smallest fairness window of a batch claim. */
export const CLAIM_FAIRNESS_MIN_WINDOW = 256
/** Largest fairness window of a batch claim. */
export const CLAIM_FAIRNESS_MAX_WINDOW = 4096

const claimTemplates = new Map<number, ReturnType<typeof claimJobs>>()

/** The claim statement for batches of `limit` jobs (compiled once per batch size). */
export function claimJobsTemplate(limit: number): ReturnType<typeof claimJobs> {
  let statement = claimTemplates.get(limit)
  if (statement === undefined) {
    const window =
      limit === 1 ? 1 : Math.min(CLAIM_FAIRNESS_MAX_WINDOW, Math.max(CLAIM_FAIRNESS_MIN_WINDOW, limit * CLAIM_FAIRNESS_FACTOR))
    statement = claimJobs(limit, window)
    claimTemplates.set(limit, statement)
  }
  return statement
}

interface QueueNowParams {
  queue: string
  now: number
}

/**
 * First step of a claim: jobs whose lease expired on their last attempt (the worker
 * crashed or hung every time) get a dead letter with reason `lease_expired` …
 *
 * On PostgreSQL this one statement also kills them (the jobs it locks, skipping
 * those another claimer is reaping), so two hosts never write two dead letters for
 * one job; {@link KILL_EXHAUSTED_LEASES} then finds nothing left.
 */
export const DEAD_LETTER_EXHAUSTED_LEASES = template<ConduitDatabase, QueueNowParams>()((db, p, dialect) =>
  dialect === 'postgres'
    ? rawStatement(db, sql`WITH killed AS (
        UPDATE delivery_jobs
        SET status = 'dead', finished_at = ${p('now')}, updated_at = ${p('now')},
          lease_owner = NULL, lease_expires_at = NULL, fence_token = lease_token
        WHERE id IN (
          SELECT id FROM delivery_jobs
          WHERE queue = ${p('queue')} AND status = 'leased' AND lease_expires_at <= ${p('now')} AND attempts >= max_attempts
          FOR UPDATE SKIP LOCKED
        )
        RETURNING id, last_error, attempts
      )
      INSERT INTO dead_letters (job_id, reason, error, attempts, dead_at)
      SELECT id, 'lease_expired', last_error, attempts, ${p('now')}::bigint FROM killed`)
    : db
    .insertInto('dead_letters')
    .columns(['job_id', 'reason', 'error', 'attempts', 'dead_at'])
    .expression(
      db
        .selectFrom('delivery_jobs')
        .select((eb) => [
          'id',
          sql.lit('lease_expired').as('reason'),
          'last_error',
          'attempts',
          eb.val(p('now')).as('dead_at'),
        ])
        .where('queue', '=', p('queue'))
        .where('status', '=', LEASED)
        .where('lease_expires_at', '<=', p('now'))
        .whereRef('attempts', '>=', 'max_attempts'),
    ),
)

/** … and, in the same transaction, become `dead`. */
export const KILL_EXHAUSTED_LEASES = template<ConduitDatabase, QueueNowParams>()((db, p) =>
  db
    .updateTable('delivery_jobs')
    .set({
      status: DEAD,
      finished_at: p('now'),
      updated_at: p('now'),
      lease_owner: null,
      lease_expires_at: null,
      // The reaper of an expired, exhausted lease presents that lease's own token.
      fence_token: sql<number>`lease_token`,
    })
    .where('queue', '=', p('queue'))
    .where('status', '=', LEASED)
    .where('lease_expires_at', '<=', p('now'))
    .whereRef('attempts', '>=', 'max_attempts'),
)

interface FenceParams {
  id: number
  owner: string
  token: number
}

/** Moves a lease's expiry, fenced by (id, owner, token) of a leased job. */
export const EXTEND_LEASE = template<ConduitDatabase, FenceParams & { expiresAt: number; now: number }>()((db, p) =>
  db
    .updateTable('delivery_jobs')
    .set({ lease_expires_at: p('expiresAt'), updated_at: p('now') })
    .where('id', '=', p('id'))
    .where('status', '=', LEASED)
    .where('lease_owner', '=', p('owner'))
    .where('lease_token', '=', p('token')),
)

/** Marks a leased job done, fenced by (id, owner, token). */
export const ACK_JOB = template<ConduitDatabase, FenceParams & { now: number }>()((db, p) =>
  db
    .updateTable('delivery_jobs')
    .set({
      status: DONE,
      finished_at: p('now'),
      updated_at: p('now'),
      lease_owner: null,
      lease_expires_at: null,
      fence_token: p('token'),
    })
    .where('id', '=', p('id'))
    .where('status', '=', LEASED)
    .where('lease_owner', '=', p('owner'))
    .where('lease_token', '=', p('token')),
)

/** A leased job, if (owner, token) still hold its lease. */
export const GET_LEASED_JOB = template<ConduitDatabase, FenceParams>()((db, p) =>
  db
    .selectFrom('delivery_jobs')
    .selectAll()
    .where('id', '=', p('id'))
    .where('status', '=', LEASED)
    .where('lease_owner', '=', p('owner'))
    .where('lease_token', '=', p('token')),
)

/** Back to pending after a failed attempt, due at `availableAt`. */
export const RETRY_JOB = template<ConduitDatabase, { id: number; availableAt: number; error: string | null; now: number; token: number }>()(
  (db, p) =>
    db
      .updateTable('delivery_jobs')
      .set({
        status: PENDING,
        available_at: p('availableAt'),
        last_error: p('error'),
        updated_at: p('now'),
        lease_owner: null,
        lease_expires_at: null,
        fence_token: p('token'),
      })
      .where('id', '=', p('id')),
)

/** Finishes a job a newer pending job of its coalesce key replaced. */
export const SUPERSEDE_JOB = template<ConduitDatabase, { id: number; error: string; now: number; token: number }>()((db, p) =>
  db
    .updateTable('delivery_jobs')
    .set({
      status: DONE,
      finished_at: p('now'),
      last_error: p('error'),
      updated_at: p('now'),
      lease_owner: null,
      lease_expires_at: null,
        fence_token: p('token'),
    })
    .where('id', '=', p('id')),
)

/** Marks a job dead (its dead letter is inserted in the same transaction). */
export const KILL_JOB = template<ConduitDatabase, { id: number; error: string | null; now: number; token: number }>()((db, p) =>
  db
    .updateTable('delivery_jobs')
    .set({
      status: DEAD,
      finished_at: p('now'),
      last_error: p('error'),
      updated_at: p('now'),
      lease_owner: null,
      lease_expires_at: null,
        fence_token: p('token'),
    })
    .where('id', '=', p('id')),
)

/** Records why a job died. */
export const INSERT_DEAD_LETTER = template<
  ConduitDatabase,
  { jobId: number; reason: 'max_attempts' | 'lease_expired' | 'rejected'; error: string | null; attempts: number; now: number }
>()((db, p) =>
  db.insertInto('dead_letters').values({
    job_id: p('jobId'),
    reason: p('reason'),
    error: p('error'),
    attempts: p('attempts'),
    dead_at: p('now'),
  }),
)

/** Pending counts of one queue (the `delivery_jobs_ready` index). */
export const PENDING_STATS = template<ConduitDatabase, QueueNowParams>()((db, p) =>
  db
    .selectFrom('delivery_jobs')
    .select([
      sql<number>`count(*) FILTER (WHERE available_at <= ${p('now')})`.as('ready'),
      sql<number>`count(*) FILTER (WHERE available_at > ${p('now')})`.as('delayed'),
      sql<number | null>`min(available_at)`.as('oldest_available_at'),
      sql<number | null>`min(created_at)`.as('oldest_created_at'),
    ])
    .where('queue', '=', p('queue'))
    .where('status', '=', PENDING),
)

/** Leased counts of one queue (the `delivery_jobs_leases` index). */
export const LEASED_STATS = template<ConduitDatabase, QueueNowParams>()((db, p) =>
  db
    .selectFrom('delivery_jobs')
    .select([
      sql<number>`count(*) FILTER (WHERE lease_expires_at > ${p('now')})`.as('leased'),
      sql<number>`count(*) FILTER (WHERE lease_expires_at <= ${p('now')})`.as('expired'),
      sql<number | null>`min(created_at)`.as('oldest_created_at'),
    ])
    .where('queue', '=', p('queue'))
    .where('status', '=', LEASED),
)

/** Finished (done or dead) counts of one queue. */
export const FINISHED_STATS = template<ConduitDatabase, { queue: string }>()((db, p) =>
  db
    .selectFrom('delivery_jobs')
    .select(['status', sql<number>`count(*)`.as('count')])
    .where('queue', '=', p('queue'))
    .where('finished_at', 'is not', null)
    .groupBy('status'),
)

/** Deletes up to `limit` done jobs of one queue finished at or before `cutoff`. */
export const PRUNE_DONE_IN_QUEUE = template<ConduitDatabase, { queue: string; cutoff: number; limit: number }>()((db, p) =>
  db
    .deleteFrom('delivery_jobs')
    .where('id', 'in', (eb) =>
      eb
        .selectFrom('delivery_jobs')
        .select('id')
        .where('queue', '=', p('queue'))
        .where('status', '=', DONE)
        .where('finished_at', '<=', p('cutoff'))
        .limit(p('limit')),
    ),
)

/** Deletes up to `limit` done jobs of any queue finished at or before `cutoff`. */
export const PRUNE_DONE = template<ConduitDatabase, { cutoff: number; limit: number }>()((db, p) =>
  db
    .deleteFrom('delivery_jobs')
    .where('id', 'in', (eb) =>
      eb
        .selectFrom('delivery_jobs')
        .select('id')
        .where('status', '=', DONE)
        .where('finished_at', '<=', p('cutoff'))
        .limit(p('limit')),
    ),
)

interface DeadLetterPageParams {
  queue: string | null
  after: number
  limit: number
}

/** Open dead letters joined to their jobs; the two listings below narrow it. */
function openDeadLetters(db: Kysely<ConduitDatabase>) {
  return db
    .selectFrom('dead_letters as d')
    .innerJoin('delivery_jobs as j', 'j.id', 'd.job_id')
    .selectAll('j')
    .select([
      'd.id as dead_letter_id',
      'd.reason as dead_reason',
      'd.error as dead_error',
      'd.attempts as dead_attempts',
      'd.dead_at as dead_at',
    ])
    .where('d.replayed_at', 'is', null)
}

/** Open dead letters with their jobs, oldest first, optionally of one queue. */
export const LIST_DEAD_LETTERS = template<ConduitDatabase, DeadLetterPageParams>()((db, p, dialect) =>
  openDeadLetters(db)
    .where('d.id', '>', p('after'))
    .where((eb) => eb.or([eb(typedParam(p('queue'), 'text', dialect), 'is', null), eb('j.queue', '=', p('queue'))]))
    .orderBy('d.id')
    .limit(p('limit')),
)

/** Open dead letters of one message's delivery jobs (migration 0009), oldest first. */
export const LIST_DEAD_LETTERS_OF_MESSAGE = template<ConduitDatabase, DeadLetterPageParams & { messageId: string }>()((db, p, dialect) =>
  openDeadLetters(db)
    .where('j.message_id', '=', p('messageId'))
    .where('d.id', '>', p('after'))
    .where((eb) => eb.or([eb(typedParam(p('queue'), 'text', dialect), 'is', null), eb('j.queue', '=', p('queue'))]))
    .orderBy('d.id')
    .limit(p('limit')),
)

/** Makes a dead job pending again, attempts reset, due now. */
export const REPLAY_JOB = template<ConduitDatabase, { id: number; now: number }>()((db, p) =>
  db
    .updateTable('delivery_jobs')
    .set({
      status: PENDING,
      attempts: 0,
      available_at: p('now'),
      finished_at: null,
      updated_at: p('now'),
    })
    .where('id', '=', p('id'))
    .where('status', '=', DEAD),
)

/** Marks a job's open dead letter replayed. */
export const CLOSE_DEAD_LETTER = template<ConduitDatabase, { jobId: number; now: number }>()((db, p) =>
  db
    .updateTable('dead_letters')
    .set({ replayed_at: p('now') })
    .where('job_id', '=', p('jobId'))
    .where('replayed_at', 'is', null),
)

/** Deletes the pending jobs of one queue (`delivery_jobs_ready`). */
export const PURGE_QUEUE_PENDING = template<ConduitDatabase, { queue: string }>()((db, p) =>
  db.deleteFrom('delivery_jobs').where('queue', '=', p('queue')).where('status', '=', PENDING),
)

/** Deletes the leased jobs of one queue (`delivery_jobs_leases`). */
export const PURGE_QUEUE_LEASED = template<ConduitDatabase, { queue: string }>()((db, p) =>
  db.deleteFrom('delivery_jobs').where('queue', '=', p('queue')).where('status', '=', LEASED),
)

/** Deletes the finished (done and dead) jobs of one queue (`delivery_jobs_finished`). */
export const PURGE_QUEUE_FINISHED = template<ConduitDatabase, { queue: string }>()((db, p) =>
  db.deleteFrom('delivery_jobs').where('queue', '=', p('queue')).where('finished_at', 'is not', null),
)

// ── wake-ups (issue 20): what `conduit.queue.wait` checks ──

/**
 * A pending job of the queue that a claim would take now: due, and the head of its
 * partition when ordered (`delivery_jobs_ready`). Same rules as the claim.
 */
export const PENDING_CLAIMABLE = template<ConduitDatabase, QueueNowParams>()((db, p) =>
  db
    .selectFrom('delivery_jobs as j')
    .select('j.id')
    .where('j.queue', '=', p('queue'))
    .where('j.status', '=', PENDING)
    .where('j.available_at', '<=', p('now'))
    .where(IS_PARTITION_HEAD)
    .orderBy('j.available_at')
    .orderBy('j.id')
    .limit(1),
)

/** A leased job whose lease expired with attempts left: a claim would take it now (`delivery_jobs_leases`). */
export const EXPIRED_CLAIMABLE = template<ConduitDatabase, QueueNowParams>()((db, p) =>
  db
    .selectFrom('delivery_jobs as j')
    .select('j.id')
    .where('j.queue', '=', p('queue'))
    .where('j.status', '=', LEASED)
    .where('j.lease_expires_at', '<=', p('now'))
    .whereRef('j.attempts', '<', 'j.max_attempts')
    .where(IS_PARTITION_HEAD)
    .orderBy('j.lease_expires_at')
    .limit(1),
)

/**
 * When something of the queue may become claimable without a write: the next
 * pending job falling due, the next lease expiring (both minima read from their
 * index). A superset — the waiter checks again then.
 */
export const NEXT_DUE = template<ConduitDatabase, QueueNowParams>()((db, p) =>
  db
    .selectNoFrom((eb) => [
      eb
        .selectFrom('delivery_jobs')
        .select(sql<number | null>`min(available_at)`.as('at'))
        .where('queue', '=', p('queue'))
        .where('status', '=', PENDING)
        .where('available_at', '>', p('now'))
        .as('next_pending'),
      eb
        .selectFrom('delivery_jobs')
        .select(sql<number | null>`min(lease_expires_at)`.as('at'))
        .where('queue', '=', p('queue'))
        .where('status', '=', LEASED)
        .where('lease_expires_at', '>', p('now'))
        .as('next_lease'),
    ]),
)
