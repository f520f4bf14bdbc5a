/**
 * The durable delivery queue of conduit.db: the one primitive behind message
 * delivery, a hook outbox and deferred deletions. At-least-once delivery with fenced
 * leases, backoff with jitter, dead letters, strict per-partition FIFO when asked,
 * dedup and coalescing, all in SQL transactions on the injected clock.
 *
 * @module
 */
import type { WaitOptions, WaitResult } from '../sqlite/change-watch.js'
import { waitForChange } from '../sqlite/change-watch.js'
import { WaitOptionsSchema } from '../sqlite/wait-options.schemas.js'
import { toIso, toIsoOrNull } from '../sqlite/clock.js'
import { CleoStoreError } from '../sqlite/errors.js'
import { fromJson, toJson } from '../sqlite/json.js'
import { validate } from '../sqlite/validate.js'
import type { Step } from '../sqlite/store-engine.js'
import type { ConduitContext, ConduitExecutor } from './conduit-context.js'
import { notFound, tooLarge, utf8Length, waitInTransaction } from './conduit-context.js'
import type {
  ClaimJobsOptions,
  DeadLetterHistoryOptions,
  DeadLetterListOptions,
  DeadLetterSelection,
  EnqueueJobInput,
  NackJobOptions,
  PruneJobsOptions,
} from './conduit.types.js'
import {
  ClaimJobsSchema,
  ClaimLimitSchema,
  CONDUIT_LIMITS,
  DeadLetterHistorySchema,
  DeadLetterListSchema,
  DeadLetterSelectionSchema,
  DEFAULT_QUEUE,
  EnqueueJobSchema,
  JobLeaseSchema,
  NackJobSchema,
  PruneJobsSchema,
  QueueNameSchema,
} from './conduit.schemas.js'
import type { JobRow } from './delivery-queue.queries.js'
import {
  ACK_JOB,
  claimJobsTemplate,
  CLOSE_DEAD_LETTER,
  DEAD_LETTER_EXHAUSTED_LEASES,
  DELETE_PENDING_COALESCED,
  EXPIRED_CLAIMABLE,
  EXTEND_LEASE,
  FINISHED_STATS,
  GET_JOB,
  GET_JOB_BY_DEDUP_KEY,
  GET_LEASED_JOB,
  INSERT_DEAD_LETTER,
  INSERT_JOB,
  KILL_EXHAUSTED_LEASES,
  LOCK_PARTITION,
  KILL_JOB,
  LEASED_STATS,
  LIST_DEAD_LETTERS,
  LIST_DEAD_LETTERS_OF_MESSAGE,
  NEXT_DUE,
  PENDING_CLAIMABLE,
  PENDING_COALESCED_EXISTS,
  PENDING_STATS,
  PRUNE_DONE,
  PRUNE_DONE_IN_QUEUE,
  PURGE_QUEUE_FINISHED,
  PURGE_QUEUE_LEASED,
  PURGE_QUEUE_PENDING,
  REPLAY_JOB,
  RETRY_JOB,
  SUPERSEDE_JOB,
} from './delivery-queue.queries.js'
import type { QueueBackoffPolicy } from './queue-backoff.js'
import type { WriterLeaseFence } from './writer-leases.js'
import { assertWriterLeaseHeld } from './writer-leases.js'
import { DEFAULT_QUEUE_BACKOFF, queueRetryDelay } from './queue-backoff.js'

/** Where a job is in its life: `pending` (waiting or backing off), `leased`, `done`, `dead`. */
export type DeliveryJobStatus = 'pending' | 'leased' | 'done' | 'dead'

/** Why a job was dead-lettered. */
export type DeadLetterReason = 'max_attempts' | 'lease_expired' | 'rejected'

/**
 * The fencing credentials of one claim of one job. `extend`, `ack` and `nack` must
 * present them; once another worker claimed the job (or it was dead-lettered), they
 * are refused with `LEASE_LOST`.
 */
export interface JobLease {
  readonly jobId: number
  /** The worker that claimed the job. */
  readonly owner: string
  /** Fencing token: grows with every claim of the job, never reused. */
  readonly token: number
  /** ISO-8601: after this, another worker may claim the job. */
  readonly expiresAt: string
}

/** A job of the delivery queue. */
export interface DeliveryJob<T = unknown> {
  readonly id: number
  readonly queue: string
  readonly payload: T
  readonly status: DeliveryJobStatus
  readonly partitionKey: string | null
  /** Strict FIFO within the partition. */
  readonly ordered: boolean
  readonly dedupKey: string | null
  readonly coalesceKey: string | null
  /** Claims so far (a crashed worker's claim counts). Reset by a replay. */
  readonly attempts: number
  readonly maxAttempts: number
  /** ISO-8601: not claimable before. */
  readonly availableAt: string
  readonly lastError: string | null
  readonly createdAt: string
  readonly updatedAt: string
  /** When it became done or dead. */
  readonly finishedAt: string | null
  /** The current lease, while `leased`. */
  readonly lease: JobLease | null
  /** The message a `messages.send({ deliver })` job delivers (acking it marks that recipient's copy delivered), else null. */
  readonly messageId: string | null
  /** The recipient such a job delivers to, else null. */
  readonly recipientId: string | null
}

/**
 * A dead letter as history keeps it: written when a job dies, kept when the job is
 * pruned, replayed or purged (`conduit.queue.deadLetterHistory`).
 *
 * @example
 * ```ts
 * const [latest]: DeadLetterRecord[] = (await conduit.queue.deadLetterHistory({ messageId })).items
 * latest.replayedAt // null while the letter is open
 * ```
 */
export interface DeadLetterRecord {
  /** The dead letter's id. */
  readonly id: number
  readonly jobId: number
  readonly queue: string
  readonly messageId: string | null
  readonly recipientId: string | null
  readonly reason: DeadLetterReason
  readonly error: string | null
  readonly attempts: number
  readonly deadAt: string
  /** When the letter was replayed, or null while it is open. */
  readonly replayedAt: string | null
}

/** A job returned by `claim`: leased to the caller. */
export interface ClaimedJob<T = unknown> extends DeliveryJob<T> {
  readonly status: 'leased'
  readonly lease: JobLease
}

/** What `enqueue` did. */
export interface EnqueueResult<T = unknown> {
  /** The job now in the queue (for `deduplicated`, the one that was already there). */
  readonly job: DeliveryJob<T>
  /** `enqueued`; `deduplicated` (nothing written); `coalesced` (replaced a pending job). */
  readonly outcome: 'enqueued' | 'deduplicated' | 'coalesced'
  /** The id of the pending job a coalescing enqueue replaced. */
  readonly replacedJobId: number | null
}

/** What `nack` did. */
export type NackResult =
  | { readonly outcome: 'retry'; readonly availableAt: string; readonly delayMs: number }
  | { readonly outcome: 'dead'; readonly reason: DeadLetterReason }
  /** A newer pending job of the same coalesce key exists: this one is finished as superseded. */
  | { readonly outcome: 'superseded' }

/** An open dead letter: a dead job and why it died. */
export interface DeadLetter<T = unknown> {
  /** Id of the dead-letter record (page with `after`). */
  readonly id: number
  readonly reason: DeadLetterReason
  readonly error: string | null
  readonly attempts: number
  readonly deadAt: string
  readonly job: DeliveryJob<T>
}

/** Depth and age of one queue at the clock's now. */
export interface QueueStats {
  readonly queue: string
  /** Pending and due. */
  readonly ready: number
  /** Pending, not yet due (delayed or backing off). */
  readonly delayed: number
  /** Leased, lease still valid. */
  readonly leased: number
  /** Leased, lease expired (a crashed or slow worker): reclaimed by the next claim. */
  readonly expiredLeases: number
  /** ready + delayed + leased + expiredLeases. */
  readonly depth: number
  readonly done: number
  readonly dead: number
  /** How long the oldest ready job has been due, in ms (`null` when none is ready). */
  readonly oldestReadyAgeMs: number | null
  /** Age of the oldest unfinished job since it was enqueued, in ms (`null` when none). */
  readonly oldestAgeMs: number | null
}

/** Result of `replayDeadLetters`. */
export interface ReplayResult {
  /** Job ids made pending again (attempts reset, due now). */
  readonly replayed: number[]
  /** Dead jobs left dead because a newer pending job holds their coalesce key. */
  readonly skipped: number[]
}

/** The delivery queue's view of a job insert, after validation. */
interface ParsedEnqueue {
  queue: string
  payload: string
  partitionKey: string | null
  ordered: boolean
  dedupKey: string | null
  coalesceKey: string | null
  maxAttempts: number
  delayMs: number
  /** Set by `messages.send({ deliver })`: the job delivers this message to this recipient. */
  messageId?: string | null
  recipientId?: string | null
}

/** The position in a `deadLetterHistory` cursor (`h1.<id>`); `VALIDATION` otherwise. */
function decodeHistoryCursor(ctx: ConduitContext, cursor: string): number {
  const id = /^h1\.(\d{1,15})$/.exec(cursor)?.[1]
  if (id === undefined) {
    throw new CleoStoreError('VALIDATION', 'conduit.queue.deadLetterHistory: cursor: not a cursor of this list', {
      ...ctx.errorContext,
      details: { path: ['cursor'] },
    })
  }
  return Number(id)
}

/** A job lease as the fenced statements take it. */
interface LeaseFence {
  readonly id: number
  readonly owner: string
  readonly token: number
}

function truncateError(error: string | undefined): string | null {
  if (error === undefined) return null
  return error.slice(0, CONDUIT_LIMITS.maxErrorLength)
}

/**
 * The durable delivery queue. Reach it as `conduit.queue`.
 *
 * Semantics, in short:
 * - **At least once.** A claimed job is leased to one owner for `leaseMs`. If the
 *   worker dies, the lease expires and the next `claim` takes the job again.
 *   Handlers must therefore be idempotent.
 * - **Fencing.** Each claim issues a new token. `extend`/`ack`/`nack` succeed only
 *   for the current (owner, token) of a leased job; a worker whose job was
 *   reclaimed by someone else, or dead-lettered, gets `LEASE_LOST`. A lease that
 *   expired but that nobody claimed yet is still honoured.
 * - **Attempts** are counted at claim. After `maxAttempts` claims the job is
 *   dead-lettered, by `nack` (`max_attempts`) or, if the last worker crashed, by
 *   the next claim (`lease_expired`). `nack({ retry: false })` dead-letters now
 *   (`rejected`). The job and its dead letter change in one transaction.
 * - **Order.** Claims take the oldest due jobs first. `ordered` jobs of one
 *   partition run strictly one after another, in enqueue order: a job that fails
 *   and backs off blocks its partition (and no other) until it is done or dead.
 * - **Fairness.** A batch claim deals jobs round-robin across partitions (among
 *   the oldest `max(256, 16 × limit)` claimable jobs), so a busy partition cannot
 *   fill the batch while others wait.
 * - Every time comparison uses the repository's injected clock.
 *
 * @example
 * ```ts
 * await conduit.queue.enqueue({ queue: 'hooks', payload: { event: 'stop' }, partitionKey: 'session-1', ordered: true })
 * const [job] = await conduit.queue.claim(1, { queue: 'hooks', owner: 'worker-1', leaseMs: 30_000 })
 * try {
 *   await handle(job.payload)
 *   await conduit.queue.ack(job.lease)
 * } catch (error) {
 *   await conduit.queue.nack(job.lease, { error: String(error) })
 * }
 * ```
 */
export class DeliveryQueue {
  readonly #ctx: ConduitContext

  /** @internal Use `conduit.queue`. */
  constructor(ctx: ConduitContext) {
    this.#ctx = ctx
  }

  /**
   * Adds a job. With `dedupKey`, a job already holding the key in this queue is
   * returned instead (`deduplicated`, nothing written). With `coalesceKey`, the
   * pending, unclaimed job of the same key is replaced by this one (`coalesced`;
   * the new job goes to the back of its partition, so events stay in order).
   *
   * @example
   * ```ts
   * const { job, outcome } = await conduit.queue.enqueue({ queue: 'mail', payload: { to: 'a' }, dedupKey: 'mail:42' })
   * ```
   */
  async enqueue<T = unknown>(input: EnqueueJobInput): Promise<EnqueueResult<T>> {
    const [result] = await this.enqueueMany<T>([input])
    return result!
  }

  /**
   * Adds several jobs in one transaction (all or none), in the given order.
   *
   * @example
   * ```ts
   * await conduit.queue.enqueueMany([{ payload: 1 }, { payload: 2 }])
   * ```
   */
  async enqueueMany<T = unknown>(inputs: readonly EnqueueJobInput[]): Promise<Array<EnqueueResult<T>>> {
    const parsed = inputs.map((input, index) => this.parseEnqueue(input, `conduit.queue.enqueue[${index}]`))
    return this.#ctx.engine.write((x) => this.#enqueueAll<T>(x, parsed))
  }

  *#enqueueAll<T>(x: ConduitExecutor, parsed: readonly ParsedEnqueue[]): Step<Array<EnqueueResult<T>>> {
    const now = this.#ctx.clock()
    const results: Array<EnqueueResult<T>> = []
    for (const job of parsed) results.push(yield* this.enqueueInTransaction<T>(x, job, now))
    return results
  }

  /** @internal Validates an enqueue input (outside any transaction). */
  parseEnqueue(input: EnqueueJobInput, operation = 'conduit.queue.enqueue'): ParsedEnqueue {
    const parsed = validate(EnqueueJobSchema, input, operation, this.#ctx.errorContext)
    let payload: string | undefined
    try {
      payload = toJson(parsed.payload)
    } catch (cause) {
      throw new CleoStoreError('VALIDATION', `${operation}: payload is not JSON-serialisable (${(cause as Error).message})`, {
        ...this.#ctx.errorContext,
        cause,
        details: { operation, path: ['payload'] },
      })
    }
    if (payload === undefined) {
      throw new CleoStoreError('VALIDATION', `${operation}: payload is required and must be a JSON value`, {
        ...this.#ctx.errorContext,
        details: { operation, path: ['payload'] },
      })
    }
    const size = utf8Length(payload)
    if (size > CONDUIT_LIMITS.maxJobPayloadBytes) {
      throw tooLarge(this.#ctx, operation, ['payload'], size, CONDUIT_LIMITS.maxJobPayloadBytes)
    }
    return {
      queue: parsed.queue,
      payload,
      partitionKey: parsed.partitionKey ?? null,
      ordered: parsed.ordered,
      dedupKey: parsed.dedupKey ?? null,
      coalesceKey: parsed.coalesceKey ?? null,
      maxAttempts: parsed.maxAttempts,
      delayMs: parsed.delayMs,
    }
  }

  /** @internal Enqueues inside a write transaction already open (send uses it). */
  *enqueueInTransaction<T>(x: ConduitExecutor, job: ParsedEnqueue, now: number): Step<EnqueueResult<T>> {
    // An ordered job has a partition key (EnqueueJobSchema refuses one without).
    if (x.dialect === 'postgres' && job.ordered) {
      yield* x.run(LOCK_PARTITION, { queue: job.queue, partitionKey: job.partitionKey! })
    }
    if (job.dedupKey !== null) {
      const existing = yield* x.get(GET_JOB_BY_DEDUP_KEY, { queue: job.queue, dedupKey: job.dedupKey })
      if (existing !== undefined) return { job: this.#toJob<T>(existing), outcome: 'deduplicated', replacedJobId: null }
    }
    let replacedJobId: number | null = null
    if (job.coalesceKey !== null) {
      const replaced = yield* x.get(DELETE_PENDING_COALESCED, { queue: job.queue, coalesceKey: job.coalesceKey })
      replacedJobId = replaced?.id ?? null
    }
    const row = (yield* x.get(INSERT_JOB, {
      queue: job.queue,
      payload: job.payload,
      partitionKey: job.partitionKey,
      ordered: job.ordered ? 1 : 0,
      dedupKey: job.dedupKey,
      coalesceKey: job.coalesceKey,
      maxAttempts: job.maxAttempts,
      availableAt: now + job.delayMs,
      now,
      messageId: job.messageId ?? null,
      recipientId: job.recipientId ?? null,
    }))!
    return { job: this.#toJob<T>(row), outcome: replacedJobId === null ? 'enqueued' : 'coalesced', replacedJobId }
  }

  /**
   * Leases up to `limit` jobs of one queue to `owner` for `leaseMs`, in one
   * statement: due pending jobs and jobs whose lease expired (a crashed worker's),
   * oldest first, respecting strict FIFO of ordered partitions and dealing the batch
   * round-robin across partitions among the oldest `max(256, 16 × limit)` claimable
   * jobs (see `CLAIM_FAIRNESS_FACTOR`). Jobs whose lease expired on their last attempt are
   * dead-lettered (`lease_expired`) in the same transaction. Returns the leased jobs
   * in (availableAt, id) order; an empty array when nothing is claimable.
   *
   * @example
   * ```ts
   * const jobs = await conduit.queue.claim(10, { queue: 'hooks', owner: `worker-${process.pid}`, leaseMs: 30_000 })
   * ```
   */
  async claim<T = unknown>(limit: number, options: ClaimJobsOptions): Promise<Array<ClaimedJob<T>>> {
    const opts = validate(ClaimJobsSchema, options, 'conduit.queue.claim', this.#ctx.errorContext)
    const n = validate(ClaimLimitSchema, limit, 'conduit.queue.claim(limit)', this.#ctx.errorContext)
    const statement = claimJobsTemplate(n)
    const { clock } = this.#ctx
    const rows = await this.#ctx.engine.write(function* (x) {
      const now = clock()
      const args = { queue: opts.queue, now }
      if ((yield* x.run(DEAD_LETTER_EXHAUSTED_LEASES, args)).changes > 0) yield* x.run(KILL_EXHAUSTED_LEASES, args)
      return yield* x.all(statement, { queue: opts.queue, owner: opts.owner, now, expiresAt: now + opts.leaseMs })
    }, { isolation: 'read committed' })
    rows.sort((a, b) => a.available_at - b.available_at || a.id - b.id)
    return rows.map((row) => this.#toJob<T>(row) as ClaimedJob<T>)
  }

  // ── wake-ups (issue 20) ──
  /**
   * Waits until a `claim` on `queue` would get a job: resolves `{ ready: true }` at
   * once when one is claimable now (due, head of its partition when ordered, or
   * leased with an expired lease and attempts left), else as soon as one becomes
   * claimable — enqueued, acked or nacked by this process (no delay) or by another
   * one (seen within a few ms, see docs/conduit.md "Waiting for work"), or falling
   * due (`delayMs`, a retry's backoff, an expiring lease) on the repository's clock,
   * with no write at all. `timeoutMs` elapsed first: `{ ready: false }`. `signal`
   * aborted: rejects with an `AbortError` (`cause` = the signal's reason), at once if
   * it already is. The repository closed: rejects `CLOSED`. Called inside
   * `conduit.transaction()`: `VALIDATION` (the transaction holds the write lock). Options are strict
   * (`VALIDATION`). It claims nothing: several workers may wake for one job, and
   * the `claim` that follows decides (an empty claim means: wait again).
   *
   * @example
   * ```ts
   * while (!signal.aborted) {
   *   await conduit.queue.wait('hooks', { signal })
   *   for (const job of await conduit.queue.claim(10, { queue: 'hooks', owner: 'worker-1', leaseMs: 30_000 })) {
   *     await handle(job.payload)
   *     await conduit.queue.ack(job.lease)
   *   }
   * }
   * ```
   */
  async wait(queue: string, options: WaitOptions = {}): Promise<WaitResult> {
    const name = validate(QueueNameSchema, queue, 'conduit.queue.wait', this.#ctx.errorContext, { at: ['queue'] })
    const opts = validate(WaitOptionsSchema, options, 'conduit.queue.wait', this.#ctx.errorContext)
    const { engine, clock } = this.#ctx
    if (engine.joinsBatch()) throw waitInTransaction(this.#ctx, 'conduit.queue.wait')
    return waitForChange(
      engine.changes,
      () =>
        engine.snapshot(function* (x) {
          const args = { queue: name, now: clock() }
          if ((yield* x.get(PENDING_CLAIMABLE, args)) !== undefined || (yield* x.get(EXPIRED_CLAIMABLE, args)) !== undefined) {
            return { ready: true }
          }
          // NEXT_DUE selects no table: always one row, each minimum null when there is none.
          const next = (yield* x.get(NEXT_DUE, args))!
          const times = [next.next_pending, next.next_lease].filter((t) => t !== null).map(Number)
          return { ready: false, recheckAt: times.length === 0 ? null : Math.min(...times) }
        }),
      opts,
      clock,
    )
  }

  /**
   * Extends a lease to now + `leaseMs` (a heartbeat for long jobs). Returns the
   * renewed lease. `LEASE_LOST` if the caller no longer holds it.
   *
   * @example
   * ```ts
   * let lease = job.lease
   * const timer = setInterval(async () => { lease = await conduit.queue.extend(lease, { leaseMs: 30_000 }) }, 10_000)
   * ```
   */
  async extend(lease: Pick<JobLease, 'jobId' | 'owner' | 'token'>, options: { leaseMs: number }): Promise<JobLease> {
    const fence = this.#parseLease(lease, 'conduit.queue.extend')
    const { leaseMs } = validate(ClaimJobsSchema.pick({ leaseMs: true }), options, 'conduit.queue.extend', this.#ctx.errorContext)
    return this.#ctx.engine.write((x) => this.#extend(x, fence, leaseMs))
  }

  *#extend(x: ConduitExecutor, fence: LeaseFence, leaseMs: number): Step<JobLease> {
    const now = this.#ctx.clock()
    const expiresAt = now + leaseMs
    if ((yield* x.run(EXTEND_LEASE, { ...fence, expiresAt, now })).changes === 0) throw yield* this.#leaseError(x, fence, 'extend')
    return { jobId: fence.id, owner: fence.owner, token: fence.token, expiresAt: toIso(expiresAt) }
  }

  /**
   * Marks a leased job done. `LEASE_LOST` if the caller no longer holds the lease
   * (the job was reclaimed by another worker, or dead-lettered); `NOT_FOUND` if the
   * job does not exist (pruned or purged). With `writerLease` (issue 17), the ack is
   * also refused with `LEASE_LOST` unless that writer lease (conduit.leases) is still
   * held, checked in the same transaction: a daemon that lost its lock cannot ack.
   *
   * @example
   * ```ts
   * await conduit.queue.ack(job.lease)
   * ```
   */
  async ack(lease: Pick<JobLease, 'jobId' | 'owner' | 'token'>, options: { writerLease?: WriterLeaseFence | null } = {}): Promise<void> {
    const fence = this.#parseLease(lease, 'conduit.queue.ack')
    const writer = options.writerLease ?? null
    await this.#ctx.engine.write((x) => this.#ack(x, fence, writer))
  }

  *#ack(x: ConduitExecutor, fence: LeaseFence, writer: WriterLeaseFence | null): Step<void> {
    if (writer !== null) yield* assertWriterLeaseHeld(x, this.#ctx, writer, 'conduit.queue.ack')
    if ((yield* x.run(ACK_JOB, { ...fence, now: this.#ctx.clock() })).changes === 0) throw yield* this.#leaseError(x, fence, 'ack')
  }

  /**
   * Reports a failed attempt. The job is retried after an exponential backoff with
   * jitter (or exactly `delayMs`), unless it used its last attempt (dead letter,
   * `max_attempts`) or `retry: false` says the failure is permanent (dead letter,
   * `rejected`). Same fencing as {@link ack}.
   *
   * @example
   * ```ts
   * await conduit.queue.nack(job.lease, { error: 'HTTP 503', delayMs: retryAfterMs })
   * await conduit.queue.nack(job.lease, { error: 'malformed payload', retry: false })
   * ```
   */
  async nack(lease: Pick<JobLease, 'jobId' | 'owner' | 'token'>, options: NackJobOptions = {}): Promise<NackResult> {
    const fence = this.#parseLease(lease, 'conduit.queue.nack')
    const opts = validate(NackJobSchema, options, 'conduit.queue.nack', this.#ctx.errorContext)
    const policy: QueueBackoffPolicy = {
      baseMs: opts.backoff?.baseMs ?? DEFAULT_QUEUE_BACKOFF.baseMs,
      maxMs: opts.backoff?.maxMs ?? DEFAULT_QUEUE_BACKOFF.maxMs,
      jitter: opts.backoff?.jitter ?? DEFAULT_QUEUE_BACKOFF.jitter,
    }
    const error = truncateError(opts.error)
    return this.#ctx.engine.write((x) => this.#nack(x, fence, { retry: opts.retry, delayMs: opts.delayMs, policy, error }))
  }

  *#nack(
    x: ConduitExecutor,
    fence: LeaseFence,
    opts: { retry: boolean; delayMs: number | undefined; policy: QueueBackoffPolicy; error: string | null },
  ): Step<NackResult> {
    const { error } = opts
    const now = this.#ctx.clock()
    const row = yield* x.get(GET_LEASED_JOB, fence)
    if (row === undefined) throw yield* this.#leaseError(x, fence, 'nack')
    if (!opts.retry) {
      yield* this.#kill(x, row, 'rejected', error, now)
      return { outcome: 'dead', reason: 'rejected' }
    }
    if (row.attempts >= row.max_attempts) {
      yield* this.#kill(x, row, 'max_attempts', error, now)
      return { outcome: 'dead', reason: 'max_attempts' }
    }
    if (row.coalesce_key !== null) {
      const newer = yield* x.get(PENDING_COALESCED_EXISTS, { queue: row.queue, coalesceKey: row.coalesce_key })
      if (newer !== undefined) {
        yield* x.run(SUPERSEDE_JOB, { id: row.id, error: `superseded by job ${newer.id}`, now, token: row.lease_token })
        return { outcome: 'superseded' }
      }
    }
    const delayMs = opts.delayMs ?? queueRetryDelay(row.attempts, opts.policy, this.#ctx.random)
    yield* x.run(RETRY_JOB, { id: row.id, availableAt: now + delayMs, error, now, token: row.lease_token })
    return { outcome: 'retry', availableAt: toIso(now + delayMs), delayMs }
  }

  *#kill(x: ConduitExecutor, row: JobRow, reason: DeadLetterReason, error: string | null, now: number): Step<void> {
    yield* x.run(KILL_JOB, { id: row.id, error: error ?? row.last_error, now, token: row.lease_token })
    yield* x.run(INSERT_DEAD_LETTER, { jobId: row.id, reason, error: error ?? row.last_error, attempts: row.attempts, now })
  }

  /**
   * One job by id, or `undefined`.
   *
   * @example
   * ```ts
   * const job = await conduit.queue.get(42)
   * ```
   */
  async get<T = unknown>(id: number): Promise<DeliveryJob<T> | undefined> {
    const row = await this.#ctx.engine.read((x) => x.get(GET_JOB, { id }))
    return row === undefined ? undefined : this.#toJob<T>(row)
  }

  /**
   * Depth and age of one queue (default `'default'`), at the clock's now.
   *
   * @example
   * ```ts
   * const { depth, oldestReadyAgeMs } = await conduit.queue.stats('hooks')
   * ```
   */
  async stats(queue: string = DEFAULT_QUEUE): Promise<QueueStats> {
    const name = validate(QueueNameSchema, queue, 'conduit.queue.stats', this.#ctx.errorContext, { at: ['queue'] })
    const now = this.#ctx.clock()
    const { pending, leasedRow, finished } = await this.#ctx.engine.snapshot(function* (x) {
      return {
        pending: (yield* x.get(PENDING_STATS, { queue: name, now }))!,
        leasedRow: (yield* x.get(LEASED_STATS, { queue: name, now }))!,
        finished: yield* x.all(FINISHED_STATS, { queue: name }),
      }
    })
    const count = (status: string) => Number(finished.find((row) => row.status === status)?.count ?? 0)
    const ready = Number(pending.ready)
    const delayed = Number(pending.delayed)
    const leased = Number(leasedRow.leased)
    const expiredLeases = Number(leasedRow.expired)
    const oldestCreated = [pending.oldest_created_at, leasedRow.oldest_created_at].filter((v): v is number => v !== null)
    return {
      queue: name,
      ready,
      delayed,
      leased,
      expiredLeases,
      depth: ready + delayed + leased + expiredLeases,
      done: count('done'),
      dead: count('dead'),
      // A ready job is a pending one: with one, the pending minimum is set.
      oldestReadyAgeMs: ready === 0 ? null : Math.max(0, now - pending.oldest_available_at!),
      oldestAgeMs: oldestCreated.length === 0 ? null : Math.max(0, now - Math.min(...oldestCreated)),
    }
  }

  /**
   * Deletes done jobs finished at least `olderThanMs` ago (at most `limit` per call;
   * call again while it returns `limit`). Their dedup keys become free again.
   * Returns how many were deleted.
   *
   * @example
   * ```ts
   * await conduit.queue.prune({ queue: 'hooks', olderThanMs: 72 * 3600_000 })
   * ```
   */
  async prune(options: PruneJobsOptions): Promise<number> {
    const opts = validate(PruneJobsSchema, options, 'conduit.queue.prune', this.#ctx.errorContext)
    const cutoff = this.#ctx.clock() - opts.olderThanMs
    return this.#ctx.engine.write(function* (x) {
      const result =
        opts.queue === undefined
          ? yield* x.run(PRUNE_DONE, { cutoff, limit: opts.limit })
          : yield* x.run(PRUNE_DONE_IN_QUEUE, { queue: opts.queue, cutoff, limit: opts.limit })
      return result.changes
    })
  }

  /**
   * Open dead letters (not replayed), oldest first, optionally of one queue. Page
   * with `after` = the last returned `id`.
   *
   * @example
   * ```ts
   * for (const letter of await conduit.queue.deadLetters({ queue: 'hooks' })) console.log(letter.reason, letter.error)
   * ```
   */
  async deadLetters<T = unknown>(options: DeadLetterListOptions = {}): Promise<Array<DeadLetter<T>>> {
    const opts = validate(DeadLetterListSchema, options, 'conduit.queue.deadLetters', this.#ctx.errorContext)
    const rows = await this.#ctx.engine.read((x) =>
      opts.messageId === undefined
        ? x.all(LIST_DEAD_LETTERS, { queue: opts.queue ?? null, after: opts.after ?? 0, limit: opts.limit })
        : x.all(LIST_DEAD_LETTERS_OF_MESSAGE, { messageId: opts.messageId, queue: opts.queue ?? null, after: opts.after ?? 0, limit: opts.limit }),
    )
    return rows.map((row) => ({
      id: row.dead_letter_id,
      reason: row.dead_reason,
      error: row.dead_error,
      attempts: row.dead_attempts,
      deadAt: toIso(row.dead_at),
      job: this.#toJob<T>(row),
    }))
  }

  /**
   * Every dead letter ever written (open and replayed), newest first, kept when its
   * job is pruned, replayed or purged: filter by `messageId` (a message's failed
   * deliveries), `recipientId`, `jobId` or `queue`. A paged list: `{ items,
   * nextCursor }`.
   *
   * @example
   * ```ts
   * const { items } = await conduit.queue.deadLetterHistory({ messageId: sent.message.id })
   * for (const letter of items) console.log(letter.recipientId, letter.reason, letter.replayedAt)
   * ```
   */
  async deadLetterHistory(options: DeadLetterHistoryOptions = {}): Promise<{ items: DeadLetterRecord[]; nextCursor: string | null }> {
    const opts = validate(DeadLetterHistorySchema, options, 'conduit.queue.deadLetterHistory', this.#ctx.errorContext)
    const before = opts.cursor === undefined ? null : decodeHistoryCursor(this.#ctx, opts.cursor)
    let query = this.#ctx.engine.kysely.selectFrom('dead_letter_history').selectAll()
    if (opts.messageId !== undefined) query = query.where('message_id', '=', opts.messageId)
    if (opts.recipientId !== undefined) query = query.where('recipient_id', '=', opts.recipientId)
    if (opts.jobId !== undefined) query = query.where('job_id', '=', opts.jobId)
    if (opts.queue !== undefined) query = query.where('queue', '=', opts.queue)
    if (before !== null) query = query.where('id', '<', before)
    const rows = await this.#ctx.engine.read((x) => x.all(query.orderBy('id', 'desc').limit(opts.limit + 1)))
    const page = rows.slice(0, opts.limit)
    return {
      items: page.map((row) => ({
        id: row.id,
        jobId: row.job_id,
        queue: row.queue,
        messageId: row.message_id,
        recipientId: row.recipient_id,
        reason: row.reason,
        error: row.error,
        attempts: row.attempts,
        deadAt: toIso(row.dead_at),
        replayedAt: toIsoOrNull(row.replayed_at),
      })),
      nextCursor: rows.length > opts.limit ? `h1.${page[page.length - 1]!.id}` : null,
    }
  }

  /**
   * Makes dead jobs pending again: attempts reset, due now, same id (so an ordered
   * job keeps its place in its partition). Their dead letters are closed
   * (`replayed_at`), kept as history. A dead job whose coalesce key is held by a
   * newer pending job stays dead (`skipped`).
   *
   * @example
   * ```ts
   * const { replayed } = await conduit.queue.replayDeadLetters({ queue: 'hooks' })
   * ```
   */
  async replayDeadLetters(selection: DeadLetterSelection): Promise<ReplayResult> {
    const opts = validate(DeadLetterSelectionSchema, selection, 'conduit.queue.replayDeadLetters', this.#ctx.errorContext)
    const now = this.#ctx.clock()
    const selectDead = this.#selectDead(opts, now)
    return this.#ctx.engine.write(function* (x) {
      const replayed: number[] = []
      const skipped: number[] = []
      for (const row of yield* x.all(selectDead)) {
        if (row.coalesce_key !== null && (yield* x.get(PENDING_COALESCED_EXISTS, { queue: row.queue, coalesceKey: row.coalesce_key }))) {
          skipped.push(row.id)
          continue
        }
        yield* x.run(REPLAY_JOB, { id: row.id, now })
        yield* x.run(CLOSE_DEAD_LETTER, { jobId: row.id, now })
        replayed.push(row.id)
      }
      return { replayed, skipped }
    })
  }

  /**
   * Deletes dead jobs and their dead letters. Returns how many jobs were deleted.
   *
   * @example
   * ```ts
   * await conduit.queue.purgeDeadLetters({ queue: 'hooks', olderThanMs: 30 * 86_400_000 })
   * ```
   */
  async purgeDeadLetters(selection: DeadLetterSelection): Promise<number> {
    const opts = validate(DeadLetterSelectionSchema, selection, 'conduit.queue.purgeDeadLetters', this.#ctx.errorContext)
    const selectDead = this.#selectDead(opts, this.#ctx.clock())
    return this.#ctx.engine.write(function* (x) {
      const ids = (yield* x.all(selectDead)).map((row) => row.id)
      if (ids.length === 0) return 0
      return (yield* x.run(x.kysely.deleteFrom('delivery_jobs').where('id', 'in', ids).where('status', '=', 'dead'))).changes
    })
  }

  /**
   * Deletes every job of one queue, whatever its status (dead letters go with their
   * jobs), in one transaction; returns how many. For a queue that belongs to
   * something that is gone (e.g. a per-session queue when the session ends). A
   * worker holding a lease on a deleted job gets `NOT_FOUND` from ack/nack/extend.
   *
   * @example
   * ```ts
   * await conduit.queue.purgeQueue(`ux-cleanup:user_input:${sessionId}`)
   * ```
   */
  async purgeQueue(queue: string): Promise<number> {
    const name = validate(QueueNameSchema, queue, 'conduit.queue.purgeQueue', this.#ctx.errorContext, { at: ['queue'] })
    return this.#ctx.engine.write(function* (x) {
      const pending = (yield* x.run(PURGE_QUEUE_PENDING, { queue: name })).changes
      const leased = (yield* x.run(PURGE_QUEUE_LEASED, { queue: name })).changes
      return pending + leased + (yield* x.run(PURGE_QUEUE_FINISHED, { queue: name })).changes
    })
  }

  #selectDead(opts: { jobIds?: number[] | undefined; queue?: string | undefined; olderThanMs?: number | undefined; limit: number }, now: number) {
    let query = this.#ctx.engine.kysely
      .selectFrom('delivery_jobs')
      .select(['id', 'queue', 'coalesce_key'])
      .where('status', '=', 'dead')
      .orderBy('id')
      .limit(opts.limit)
    if (opts.jobIds !== undefined) query = query.where('id', 'in', opts.jobIds.length > 0 ? opts.jobIds : [-1])
    if (opts.queue !== undefined) query = query.where('queue', '=', opts.queue)
    if (opts.olderThanMs !== undefined) query = query.where('finished_at', '<=', now - opts.olderThanMs)
    return query
  }

  #parseLease(lease: Pick<JobLease, 'jobId' | 'owner' | 'token'>, operation: string): LeaseFence {
    const parsed = validate(JobLeaseSchema, lease, operation, this.#ctx.errorContext)
    return { id: parsed.jobId, owner: parsed.owner, token: parsed.token }
  }

  /** Inside a transaction: why a fenced statement matched nothing. */
  *#leaseError(x: ConduitExecutor, fence: LeaseFence, action: string): Step<CleoStoreError> {
    const row = yield* x.get(GET_JOB, { id: fence.id })
    if (row === undefined) return notFound(this.#ctx, 'delivery job', fence.id)
    return new CleoStoreError(
      'LEASE_LOST',
      `cannot ${action} job ${fence.id}: the lease of ${JSON.stringify(fence.owner)} (token ${fence.token}) is no longer held (job is ${row.status}, token ${row.lease_token})`,
      { ...this.#ctx.errorContext, details: { jobId: fence.id, status: row.status, token: row.lease_token } },
    )
  }

  #toJob<T>(row: JobRow): DeliveryJob<T> {
    return {
      id: row.id,
      queue: row.queue,
      payload: fromJson<T>(row.payload, 'delivery_jobs.payload', this.#ctx.errorContext),
      status: row.status,
      partitionKey: row.partition_key,
      ordered: row.ordered === 1,
      dedupKey: row.dedup_key,
      coalesceKey: row.coalesce_key,
      attempts: row.attempts,
      maxAttempts: row.max_attempts,
      availableAt: toIso(row.available_at),
      lastError: row.last_error,
      createdAt: toIso(row.created_at),
      updatedAt: toIso(row.updated_at),
      finishedAt: toIsoOrNull(row.finished_at),
      // The table's CHECKs tie them: a leased job has an owner and an expiry, any other has neither.
      lease:
        row.status === 'leased'
          ? { jobId: row.id, owner: row.lease_owner!, token: row.lease_token, expiresAt: toIso(row.lease_expires_at!) }
          : null,
      messageId: row.message_id ?? null,
      recipientId: row.recipient_id ?? null,
    }
  }
}
