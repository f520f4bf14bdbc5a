/**
 * The hook outbox flow of the TeleClaude daemon on conduit's delivery queue: the hook
 * side inserts, the daemon claims, processes and marks done.
 *
 * @module
 */
import { hostname } from 'node:os'

import type { ConduitRepository } from '../conduit/conduit-repository.js'
import type { ClaimedJob, DeadLetter, EnqueueResult, NackResult, QueueStats } from '../conduit/delivery-queue.js'
import type { QueueBackoffPolicy } from '../conduit/queue-backoff.js'
import { isCleoStoreError } from '../sqlite/errors.js'
import type { ErrorContext } from '../sqlite/errors.js'
import { validate } from '../sqlite/validate.js'
import type { TaskSession } from '../tasks/task-sessions.js'
import type { TasksRepository } from '../tasks/tasks-repository.js'
import type {
  DaemonClaimOptions,
  HookEventInput,
} from './daemon.types.js'
import { DaemonClaimSchema, DaemonSessionIdSchema, HookEventInputSchema, HookEventTypeSchema } from './daemon.schemas.js'
import { z } from 'zod'

/** The conduit queue of the hook outbox. */
export const HOOK_OUTBOX_QUEUE = 'hook-outbox'

/** The prefix of an orphan's dead-letter error (`orphan: session "s1" is not in tasks.db`). */
export const HOOK_ORPHAN_ERROR_PREFIX = 'orphan:'

/** The prefix of a malformed event's dead-letter error (`malformed: sessionId: …`). */
export const HOOK_MALFORMED_ERROR_PREFIX = 'malformed:'

/** TeleClaude's cap of one hook event's retry delay: 60 s. */
export const DEFAULT_HOOK_BACKOFF: QueueBackoffPolicy = Object.freeze({ baseMs: 1000, maxMs: 60_000, jitter: 'equal' })

/** What a stored hook event must look like to be handled (another process may have written it). */
const HookEventPayloadSchema = z.object({
  sessionId: DaemonSessionIdSchema,
  eventType: HookEventTypeSchema,
  critical: z.boolean().optional().default(false),
  data: z.unknown().optional().transform((value) => value ?? null),
})

/**
 * Throw this (or any error with `permanent: true`) from a hook handler to declare the
 * failure permanent: the event is dead-lettered at once (`rejected`) instead of
 * retried.
 *
 * @example
 * ```ts
 * await daemon.hooks.process(async ({ event }) => {
 *   if (!knownEvent(event.eventType)) throw new PermanentHookFailure(`unknown event ${event.eventType}`)
 * })
 * ```
 */
export class PermanentHookFailure extends Error {
  /** Always true: the marker the outbox looks for. */
  readonly permanent = true as const
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options)
    this.name = 'PermanentHookFailure'
  }
}

function isPermanentHookFailure(error: unknown): boolean {
  return typeof error === 'object' && error !== null && (error as { permanent?: unknown }).permanent === true
}

function isLost(error: unknown): boolean {
  return isCleoStoreError(error) && (error.code === 'LEASE_LOST' || error.code === 'NOT_FOUND')
}

/** A hook event as stored in the outbox (the job payload). */
export interface HookEvent<T = unknown> {
  readonly sessionId: string
  readonly eventType: string
  readonly critical: boolean
  readonly data: T | null
}

/** A claimed hook event handed to the processor. */
export interface HookDelivery<T = unknown> {
  readonly jobId: number
  readonly event: HookEvent<T>
  /** The session of the event, read from tasks.db. */
  readonly session: TaskSession
  /** 1 on the first try. */
  readonly attempt: number
  readonly enqueuedAt: string
}

/** What one `process`/`drain` pass did. */
export interface HookProcessReport {
  readonly claimed: number
  /** Handled and marked done. */
  readonly delivered: number
  /** Failed and scheduled again (backoff). */
  readonly retried: number
  /** Failed for the last time: dead-lettered (`max_attempts`). */
  readonly dead: number
  /** Unknown session, waiting in case the session row is late. */
  readonly orphanRetried: number
  /** Unknown session for good: dead-lettered as an orphan (`rejected`, error `orphan: …`). */
  readonly orphaned: number
  /**
   * Dead-lettered at once (`rejected`): a malformed payload (error `malformed: …`) or
   * a handler's {@link PermanentHookFailure}.
   */
  readonly rejected: number
  /** The lease was lost while the event was handled (another daemon reclaimed it, or it was purged): not counted as done here. */
  readonly lost: number
}

const EMPTY_REPORT: HookProcessReport = { claimed: 0, delivered: 0, retried: 0, dead: 0, orphanRetried: 0, orphaned: 0, rejected: 0, lost: 0 }

function add(a: HookProcessReport, b: HookProcessReport): HookProcessReport {
  return {
    claimed: a.claimed + b.claimed,
    delivered: a.delivered + b.delivered,
    retried: a.retried + b.retried,
    dead: a.dead + b.dead,
    orphanRetried: a.orphanRetried + b.orphanRetried,
    orphaned: a.orphaned + b.orphaned,
    rejected: a.rejected + b.rejected,
    lost: a.lost + b.lost,
  }
}

/**
 * The hook outbox, as `daemon.hooks`. One conduit queue (`hook-outbox`) with:
 *
 * - **per-session order**: the partition is the session id and is `ordered`, so a
 *   session's events are handled strictly one after another in enqueue order, and a
 *   failing event holds back its session (only) until it is done or dead
 *   (TeleClaude let later rows of the session run while one retried);
 * - **critical events never dropped**: they carry no coalesce key and are retried
 *   with backoff up to `maxAttempts`, then kept as dead letters (replayable);
 * - **bursty events coalesced latest-wins at enqueue, in SQL**: coalesce key
 *   `<session>:<eventType>`: in the enqueue transaction the pending, unclaimed event
 *   of the same session and type is deleted and the new one appended at the back of
 *   the session's partition (the queue's coalescing; nothing in memory);
 * - **orphans recorded, never "delivered"**: an event whose session is not in
 *   tasks.db is put back (backoff) up to `orphanAttempts` claims in case the session
 *   row is late, then dead-lettered (`rejected`, error `orphan: …`), listed by
 *   {@link HookOutbox.orphans}. This is the cross-database stand-in for the foreign
 *   key TeleClaude declared but never enabled;
 * - **a retry limit and pruning** (`maxAttempts`; {@link HookOutbox.prune}), and fenced
 *   leases: a slow worker whose event was reclaimed cannot mark it done.
 *
 * @example
 * ```ts
 * await daemon.hooks.enqueue({ sessionId, eventType: 'agent_stop', data: {} })   // hook process
 * await daemon.hooks.drain(async ({ event, session }) => coordinator.handle(event, session)) // daemon, every 1 s
 * ```
 */
export class HookOutbox {
  readonly #conduit: ConduitRepository
  readonly #tasks: TasksRepository
  readonly #critical: ReadonlySet<string>
  readonly #maxAttempts: number
  readonly #orphanAttempts: number
  readonly #backoff: QueueBackoffPolicy
  readonly #beforePass: (() => Promise<unknown>) | undefined
  readonly #context: ErrorContext

  /** @internal Use `daemon.hooks`. */
  constructor(
    stores: { conduit: ConduitRepository; tasks: TasksRepository },
    options: {
      criticalEvents: readonly string[]
      maxAttempts: number
      orphanAttempts: number
      backoff?: QueueBackoffPolicy
      /** Run at the start of every pass (the daemon store's cleanup reconciliation). */
      beforePass?: () => Promise<unknown>
    },
    context: ErrorContext,
  ) {
    this.#conduit = stores.conduit
    this.#tasks = stores.tasks
    this.#critical = new Set(options.criticalEvents)
    this.#maxAttempts = options.maxAttempts
    this.#orphanAttempts = options.orphanAttempts
    this.#backoff = options.backoff ?? DEFAULT_HOOK_BACKOFF
    this.#beforePass = options.beforePass
    this.#context = context
  }

  /**
   * True when `eventType` is critical (never coalesced) under this outbox's list.
   *
   * @example
   * ```ts
   * daemon.hooks.isCritical('agent_stop') // true
   * daemon.hooks.isCritical('tool_use')   // false
   * ```
   */
  isCritical(eventType: string): boolean {
    return this.#critical.has(eventType)
  }

  /**
   * The hook side's insert. Critical events are appended; bursty ones replace the
   * pending event of the same session and type (`outcome: 'coalesced'`). The session
   * is not checked here (the hook process must never block on it); the daemon
   * checks it when it processes the event.
   *
   * @example
   * ```ts
   * const { outcome } = await daemon.hooks.enqueue({ sessionId, eventType: 'tool_use', data: { tool: 'Read' } })
   * ```
   */
  async enqueue<T = unknown>(input: HookEventInput): Promise<EnqueueResult<HookEvent<T>>> {
    const event = validate(HookEventInputSchema, input, 'daemon.hooks.enqueue', this.#context)
    const critical = event.critical ?? this.isCritical(event.eventType)
    const payload: HookEvent = { sessionId: event.sessionId, eventType: event.eventType, critical, data: event.data ?? null }
    return this.#conduit.queue.enqueue<HookEvent<T>>({
      queue: HOOK_OUTBOX_QUEUE,
      payload,
      partitionKey: event.sessionId,
      ordered: true,
      maxAttempts: this.#maxAttempts,
      ...(critical ? {} : { coalesceKey: `${event.sessionId}:${event.eventType}` }),
    })
  }

  /**
   * One pass of the daemon loop: claims up to `limit` events (at most one per
   * session: the head of each ordered partition), checks each session in tasks.db,
   * runs `handler`, and acks (done), nacks (retry with backoff, or dead at
   * `maxAttempts`) or records an orphan. Events are handled one after another.
   * Each pass first purges the pending deletions of sessions that ended since the
   * last one (`daemon.cleanup.reconcile`), so the daemon loop keeps them in step.
   *
   * @example
   * ```ts
   * const report = await daemon.hooks.process(handle, { owner: 'daemon-1', limit: 25, leaseMs: 30_000 })
   * ```
   */
  async process<T = unknown>(handler: (delivery: HookDelivery<T>) => unknown, options: DaemonClaimOptions = {}): Promise<HookProcessReport> {
    const opts = validate(DaemonClaimSchema, options, 'daemon.hooks.process', this.#context)
    await this.#beforePass?.()
    const jobs = await this.#conduit.queue.claim<HookEvent<T>>(opts.limit ?? 25, {
      queue: HOOK_OUTBOX_QUEUE,
      owner: opts.owner ?? `daemon-${hostname()}-${process.pid}`,
      leaseMs: opts.leaseMs ?? 30_000,
    })
    let report: HookProcessReport = { ...EMPTY_REPORT, claimed: jobs.length }
    for (const job of jobs) report = add(report, await this.#handle(job, handler))
    return report
  }

  async #handle<T>(job: ClaimedJob<HookEvent<T>>, handler: (delivery: HookDelivery<T>) => unknown): Promise<HookProcessReport> {
    const event = HookEventPayloadSchema.safeParse(job.payload)
    if (!event.success) {
      // Written by another process (or an older version): it can never succeed. Dead-letter it now.
      const reason = event.error.issues.map((issue) => `${issue.path.join('.') || 'payload'}: ${issue.message}`).join('; ')
      return this.#settle(job, { retry: false, error: `${HOOK_MALFORMED_ERROR_PREFIX} ${reason}` }, { ...EMPTY_REPORT, rejected: 1 })
    }
    const session = await this.#tasks.sessions.find(event.data.sessionId)
    if (session === null) {
      if (job.attempts < this.#orphanAttempts && job.attempts < job.maxAttempts) {
        return this.#settle(job, { error: `session ${JSON.stringify(event.data.sessionId)} not found yet` }, { ...EMPTY_REPORT, orphanRetried: 1 })
      }
      return this.#settle(
        job,
        { retry: false, error: `${HOOK_ORPHAN_ERROR_PREFIX} session ${JSON.stringify(event.data.sessionId)} is not in tasks.db (event ${event.data.eventType})` },
        { ...EMPTY_REPORT, orphaned: 1 },
      )
    }
    try {
      await handler({ jobId: job.id, event: event.data as HookEvent<T>, session, attempt: job.attempts, enqueuedAt: job.createdAt })
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error)
      if (isPermanentHookFailure(error)) {
        return this.#settle(job, { retry: false, error: message }, { ...EMPTY_REPORT, rejected: 1 })
      }
      return this.#settle(job, { error: message }, (outcome) => (outcome === 'dead' ? { ...EMPTY_REPORT, dead: 1 } : { ...EMPTY_REPORT, retried: 1 }))
    }
    try {
      await this.#conduit.queue.ack(job.lease)
    } catch (error) {
      if (isLost(error)) return { ...EMPTY_REPORT, lost: 1 }
      throw error
    }
    return { ...EMPTY_REPORT, delivered: 1 }
  }

  /**
   * Nacks a job with the outbox's backoff. A lease lost meanwhile (reclaimed by
   * another daemon: it runs there) or a job purged meanwhile is counted as `lost`,
   * never thrown: one event never stops the pass.
   */
  async #settle(
    job: ClaimedJob<unknown>,
    options: { retry?: boolean; error: string },
    report: HookProcessReport | ((outcome: NackResult['outcome']) => HookProcessReport),
  ): Promise<HookProcessReport> {
    let result: NackResult
    try {
      result = await this.#conduit.queue.nack(job.lease, { ...options, backoff: this.#backoff })
    } catch (error) {
      if (isLost(error)) return { ...EMPTY_REPORT, lost: 1 }
      throw error
    }
    return typeof report === 'function' ? report(result.outcome) : report
  }

  /**
   * Calls {@link process} until a pass claims nothing (events in backoff wait for a
   * later pass): the backlog after a restart is drained in per-session order.
   *
   * @example
   * ```ts
   * const { delivered } = await daemon.hooks.drain(handle)
   * ```
   */
  async drain<T = unknown>(handler: (delivery: HookDelivery<T>) => unknown, options: DaemonClaimOptions = {}): Promise<HookProcessReport> {
    let total = EMPTY_REPORT
    for (;;) {
      const report = await this.process(handler, options)
      if (report.claimed === 0) return total
      total = add(total, report)
    }
  }

  /**
   * Events dead-lettered as orphans (their session was never found).
   *
   * @example
   * ```ts
   * for (const letter of await daemon.hooks.orphans()) console.log(letter.job.payload.sessionId, letter.error)
   * ```
   */
  async orphans<T = unknown>(): Promise<Array<DeadLetter<HookEvent<T>>>> {
    const letters = await this.deadLetters<T>()
    return letters.filter((letter) => letter.reason === 'rejected' && letter.error?.startsWith(HOOK_ORPHAN_ERROR_PREFIX))
  }

  /**
   * Every open dead letter of the outbox (orphans and events that ran out of attempts).
   *
   * @example
   * ```ts
   * await daemon.hooks.deadLetters()
   * ```
   */
  async deadLetters<T = unknown>(): Promise<Array<DeadLetter<HookEvent<T>>>> {
    const all: Array<DeadLetter<HookEvent<T>>> = []
    let after = 0
    for (;;) {
      const page = await this.#conduit.queue.deadLetters<HookEvent<T>>({ queue: HOOK_OUTBOX_QUEUE, after, limit: 200 })
      all.push(...page)
      if (page.length < 200) return all
      after = page[page.length - 1]!.id
    }
  }

  /**
   * Depth, lag and dead count of the outbox (TeleClaude's backlog/lag warnings).
   *
   * @example
   * ```ts
   * const { depth, oldestReadyAgeMs } = await daemon.hooks.stats()
   * ```
   */
  async stats(): Promise<QueueStats> {
    return this.#conduit.queue.stats(HOOK_OUTBOX_QUEUE)
  }

  /**
   * Deletes delivered events finished at least `olderThanMs` ago (default 72 h);
   * returns how many. TeleClaude never deleted delivered rows.
   *
   * @example
   * ```ts
   * await daemon.hooks.prune({ olderThanMs: 24 * 3600_000 })
   * ```
   */
  async prune(options: { olderThanMs?: number } = {}): Promise<number> {
    let total = 0
    for (;;) {
      const n = await this.#conduit.queue.prune({ queue: HOOK_OUTBOX_QUEUE, olderThanMs: options.olderThanMs ?? 72 * 3_600_000, limit: 1000 })
      total += n
      if (n < 1000) return total
    }
  }
}
