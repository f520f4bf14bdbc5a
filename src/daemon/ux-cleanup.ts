/**
 * The UX cleanup registry (TeleClaude's `pending_message_deletions`) on conduit's
 * delivery queue.
 *
 * @module
 */
import { hostname } from 'node:os'

import type { ConduitRepository } from '../conduit/conduit-repository.js'
import type { DeadLetter, JobLease, NackResult } from '../conduit/delivery-queue.js'
import { CleoStoreError, isCleoStoreError } from '../sqlite/errors.js'
import type { ErrorContext } from '../sqlite/errors.js'
import { validate } from '../sqlite/validate.js'
import type { TasksRepository } from '../tasks/tasks-repository.js'
import type { DaemonLeaseHolder } from './daemon-lock.js'
import type { UxDeletionType } from './daemon.enums.js'
import type {
  DaemonClaimOptions,
  RegisterDeletionInput,
} from './daemon.types.js'
import { DaemonClaimSchema, DaemonSessionIdSchema, RegisterDeletionSchema, UX_DELETION_TYPES } from './daemon.schemas.js'

/** The queue name prefix of the registry: one queue per (deletion type, session). */
export const UX_CLEANUP_QUEUE_PREFIX = 'ux-cleanup'

/**
 * The conduit queue of one session's pending deletions of one type:
 * `ux-cleanup:<deletionType>:<sessionId>`.
 *
 * @example
 * ```ts
 * uxCleanupQueue('s1', 'user_input') // 'ux-cleanup:user_input:s1'
 * ```
 */
export function uxCleanupQueue(sessionId: string, deletionType: UxDeletionType): string {
  return `${UX_CLEANUP_QUEUE_PREFIX}:${deletionType}:${sessionId}`
}

/** A message to delete, claimed by `take`. Confirm or fail it by its lease. */
export interface PendingDeletion {
  readonly sessionId: string
  readonly messageId: string
  readonly deletionType: UxDeletionType
  /** 1 on the first try. */
  readonly attempt: number
  readonly lease: JobLease
}

interface DeletionPayload {
  sessionId: string
  messageId: string
  deletionType: UxDeletionType
}

/**
 * Pending message deletions, as `daemon.cleanup`. Each (session, deletion type) is
 * its own conduit queue, each message a job deduplicated by its message id.
 *
 * - `register` is idempotent (the dedup key is the message id; TeleClaude swallowed
 *   the UNIQUE error).
 * - `take` claims the due ids of one session and type (a lease, so two workers never
 *   delete the same message at once).
 * - `confirm` removes **that id only**, by its lease (TeleClaude cleared the whole
 *   (session, type) set, losing ids registered between its read and its delete).
 * - `fail` retries that id later with exponential backoff and jitter, and after
 *   `maxAttempts` gives up: the id is kept as a dead letter (`failed`), no longer
 *   taken (TeleClaude never retried a failed deletion).
 * - **Rows go with their session** (issue 17): `register` refuses a session that
 *   tasks.db does not have (`NOT_FOUND`) or that ended (`INVARIANT`), and `take`
 *   returns nothing for one. Ending, orphaning or deleting a session **by any path**
 *   (`tasks.sessions.end`, `markOrphaned`, `daemon.sessions.close`, another process's
 *   SQL) records an end event in tasks.db in the same transaction (a trigger);
 *   {@link UxCleanupRegistry.reconcile} purges the queues of every recorded session,
 *   then forgets the events (at least once: a crash in between purges again). The
 *   daemon runs it on `sessions.close`, `register` and `take`; `ws.repair()` removes
 *   whatever is left (`refs.ux-cleanup-sessions`).
 * - **Fenced**: once the daemon store holds the daemon lock, `confirm` is refused
 *   with `LEASE_LOST` after a takeover.
 *
 * @example
 * ```ts
 * await daemon.cleanup.register({ sessionId, messageId: '8812', deletionType: 'user_input' })
 * for (const item of await daemon.cleanup.take(sessionId, 'user_input')) {
 *   try { await telegram.deleteMessage(item.messageId); await daemon.cleanup.confirm(item) }
 *   catch (error) { await daemon.cleanup.fail(item, String(error)) }
 * }
 * ```
 */
export class UxCleanupRegistry {
  readonly #conduit: ConduitRepository
  readonly #tasks: TasksRepository
  readonly #holder: DaemonLeaseHolder
  readonly #maxAttempts: number
  readonly #context: ErrorContext

  /** @internal Use `daemon.cleanup`. */
  constructor(
    stores: { conduit: ConduitRepository; tasks: TasksRepository },
    holder: DaemonLeaseHolder,
    options: { maxAttempts: number },
    context: ErrorContext,
  ) {
    this.#conduit = stores.conduit
    this.#tasks = stores.tasks
    this.#holder = holder
    this.#maxAttempts = options.maxAttempts
    this.#context = context
  }

  /** `NOT_FOUND` / `INVARIANT` unless the session exists and is open. */
  async #requireOpenSession(sessionId: string, operation: string): Promise<void> {
    const session = await this.#tasks.sessions.find(sessionId)
    if (session === null) {
      throw new CleoStoreError('NOT_FOUND', `${operation}: session ${JSON.stringify(sessionId)} does not exist in tasks.db`, {
        ...this.#context,
        details: { sessionId },
      })
    }
    if (session.status === 'ended' || session.status === 'orphaned') {
      throw new CleoStoreError('INVARIANT', `${operation}: session ${JSON.stringify(sessionId)} is ${session.status}; its deletions were purged`, {
        ...this.#context,
        details: { sessionId, status: session.status },
      })
    }
  }

  async #isOpen(sessionId: string): Promise<boolean> {
    const session = await this.#tasks.sessions.find(sessionId)
    return session !== null && session.status !== 'ended' && session.status !== 'orphaned'
  }

  /**
   * Purges the pending deletions of every session that ended, was orphaned or was
   * deleted since the last run (recorded by tasks.db triggers, whoever ended it), then
   * forgets those events. Returns the number of entries removed per session.
   *
   * @example
   * ```ts
   * const purged = await daemon.cleanup.reconcile() // { c0ffee: 3 }
   * ```
   */
  async reconcile(): Promise<Record<string, number>> {
    const purged: Record<string, number> = {}
    for (;;) {
      const events = await this.#tasks.sessions.endEvents(100)
      if (events.length === 0) return purged
      const done: string[] = []
      for (const { sessionId } of events) {
        // A session id the queue names cannot hold (over 100 characters) has no queues.
        purged[sessionId] = DaemonSessionIdSchema.safeParse(sessionId).success ? await this.purgeSession(sessionId) : 0
        done.push(sessionId)
      }
      await this.#tasks.sessions.ackEndEvents(done)
    }
  }

  /**
   * Registers a message for deletion; `false` when it was already registered (a
   * replay: nothing written).
   *
   * @example
   * ```ts
   * await daemon.cleanup.register({ sessionId, messageId: '8812', deletionType: 'feedback' })
   * ```
   */
  async register(input: RegisterDeletionInput): Promise<boolean> {
    const data = validate(RegisterDeletionSchema, input, 'daemon.cleanup.register', this.#context)
    await this.#requireOpenSession(data.sessionId, 'daemon.cleanup.register')
    const payload: DeletionPayload = { sessionId: data.sessionId, messageId: data.messageId, deletionType: data.deletionType }
    const { outcome } = await this.#conduit.queue.enqueue({
      queue: uxCleanupQueue(data.sessionId, data.deletionType),
      payload,
      dedupKey: data.messageId,
      maxAttempts: data.maxAttempts ?? this.#maxAttempts,
    })
    // The session may have ended between the check and the insert (and its end events
    // been consumed already): purge again, and refuse.
    if (!(await this.#isOpen(data.sessionId))) {
      await this.purgeSession(data.sessionId)
      await this.#requireOpenSession(data.sessionId, 'daemon.cleanup.register')
    }
    return outcome === 'enqueued'
  }

  /**
   * Claims the due pending deletions of one session and type (oldest first; ids in
   * backoff wait). Each must then be confirmed or failed; an unanswered claim comes
   * back after `leaseMs` (default 60 s).
   *
   * @example
   * ```ts
   * const items = await daemon.cleanup.take(sessionId, 'user_input', { limit: 50 })
   * ```
   */
  async take(sessionId: string, deletionType: UxDeletionType, options: DaemonClaimOptions = {}): Promise<PendingDeletion[]> {
    const id = validate(DaemonSessionIdSchema, sessionId, 'daemon.cleanup.take', this.#context)
    const type = validate(RegisterDeletionSchema.shape.deletionType, deletionType, 'daemon.cleanup.take', this.#context)
    const opts = validate(DaemonClaimSchema, options, 'daemon.cleanup.take', this.#context)
    if (!(await this.#isOpen(id))) {
      // Rows go with their session: nothing to delete for a session that is gone.
      await this.purgeSession(id)
      return []
    }
    const jobs = await this.#conduit.queue.claim<DeletionPayload>(opts.limit ?? 100, {
      queue: uxCleanupQueue(id, type),
      owner: opts.owner ?? `daemon-${hostname()}-${process.pid}`,
      leaseMs: opts.leaseMs ?? 60_000,
    })
    return jobs.map((job) => ({
      sessionId: job.payload.sessionId,
      messageId: job.payload.messageId,
      deletionType: job.payload.deletionType,
      attempt: job.attempts,
      lease: job.lease,
    }))
  }

  /**
   * The message was deleted: removes this id from the registry (only this one).
   * `LEASE_LOST` if another worker took it over meanwhile; an id whose session was
   * purged meanwhile is already gone (no error). Fenced: `LEASE_LOST` once another
   * daemon took over the lock this store holds.
   *
   * @example
   * ```ts
   * await daemon.cleanup.confirm(item)
   * ```
   */
  async confirm(item: Pick<PendingDeletion, 'lease'>): Promise<void> {
    try {
      await this.#conduit.queue.ack(item.lease, { writerLease: this.#holder.fence() })
    } catch (error) {
      if (isCleoStoreError(error) && error.code === 'NOT_FOUND') return
      throw error
    }
  }

  /**
   * The deletion failed: retried later with backoff (`outcome: 'retry'`), or, after
   * the last attempt, given up (`outcome: 'dead'`, listed by {@link failed}).
   * `retry: false` gives up now (e.g. the message no longer exists).
   *
   * @example
   * ```ts
   * await daemon.cleanup.fail(item, 'HTTP 429', { delayMs: 5_000 })
   * ```
   */
  async fail(item: Pick<PendingDeletion, 'lease'>, error: string, options: { retry?: boolean; delayMs?: number } = {}): Promise<NackResult> {
    return this.#conduit.queue.nack(item.lease, { error, ...options })
  }

  /**
   * Deletions given up on, for one session (both types unless one is named).
   *
   * @example
   * ```ts
   * const stuck = await daemon.cleanup.failed(sessionId)
   * ```
   */
  async failed(sessionId: string, deletionType?: UxDeletionType): Promise<Array<DeadLetter<DeletionPayload>>> {
    const id = validate(DaemonSessionIdSchema, sessionId, 'daemon.cleanup.failed', this.#context)
    const types = deletionType === undefined ? UX_DELETION_TYPES : [deletionType]
    const letters: Array<DeadLetter<DeletionPayload>> = []
    for (const type of types) {
      letters.push(...(await this.#conduit.queue.deadLetters<DeletionPayload>({ queue: uxCleanupQueue(id, type), limit: 500 })))
    }
    return letters
  }

  /**
   * Counts of one session's registry: pending (incl. backing off and claimed) and given up.
   *
   * @example
   * ```ts
   * const { pending } = await daemon.cleanup.count(sessionId, 'user_input')
   * ```
   */
  async count(sessionId: string, deletionType: UxDeletionType): Promise<{ pending: number; failed: number }> {
    const id = validate(DaemonSessionIdSchema, sessionId, 'daemon.cleanup.count', this.#context)
    const stats = await this.#conduit.queue.stats(uxCleanupQueue(id, deletionType))
    return { pending: stats.depth, failed: stats.dead }
  }

  /**
   * Deletes everything the registry holds for a session (both types, any state):
   * the rows go with their session. Returns how many entries were removed.
   *
   * @example
   * ```ts
   * await daemon.cleanup.purgeSession(sessionId)
   * ```
   */
  async purgeSession(sessionId: string): Promise<number> {
    const id = validate(DaemonSessionIdSchema, sessionId, 'daemon.cleanup.purgeSession', this.#context)
    let removed = 0
    for (const type of UX_DELETION_TYPES) removed += await this.#conduit.queue.purgeQueue(uxCleanupQueue(id, type))
    return removed
  }
}
