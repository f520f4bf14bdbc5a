/**
 * The daemon's single-writer lock: a conduit.db writer lease that fences the
 * daemon's own writes.
 *
 * @module
 */
import type { WriterLease, WriterLeases, WriterLeaseState } from '../conduit/writer-leases.js'
import { CleoStoreError, isCleoStoreError } from '../sqlite/errors.js'
import type { ErrorContext } from '../sqlite/errors.js'
import { validate } from '../sqlite/validate.js'
import type { TasksRepository } from '../tasks/tasks-repository.js'
import { z } from 'zod'

/**
 * The lease a {@link DaemonStore} holds, shared by its parts: once set, daemon-only
 * writes made through that store carry its token (issue 17).
 *
 * @internal
 */
export class DaemonLeaseHolder {
  lease: WriterLease | null = null

  /** The credentials of the held lease, or null when this store holds none. */
  fence(): { name: string; owner: string; token: number } | null {
    const lease = this.lease
    return lease === null ? null : { name: lease.name, owner: lease.owner, token: lease.token }
  }
}

const KeepAliveSchema = z.strictObject({
  /** Time between heartbeats (keep it well under the TTL; default a third of `ttlMs`). */
  intervalMs: z.number().int().min(1).max(86_400_000).optional(),
  /** The lease's TTL renewed at each heartbeat (default 30 s). */
  ttlMs: z.number().int().min(1).max(86_400_000).optional(),
  signal: z.instanceof(AbortSignal).optional(),
})

/**
 * "Exactly one daemon" without a pid file, as `daemon.lock`: a named lease row in
 * conduit.db (owner, expiry, heartbeat, fencing token). A second daemon's `acquire`
 * fails at once with **`CONFLICT`** (`details.holder`, `details.expiresAt`); a
 * crashed daemon's lease expires and the next daemon takes it over with a larger
 * token. Heartbeat more often than the TTL — {@link DaemonLock.keepAlive} does it for
 * you; a heartbeat after a takeover throws `LEASE_LOST`: stop writing.
 *
 * **Fencing (issue 17).** Once a `DaemonStore` acquired the lock, its daemon-only
 * writes carry the lease's token and are refused with `LEASE_LOST` after a takeover:
 * session lifecycle writes and `touch` (tasks.db records the largest token it has seen,
 * in `writer_fences`, and refuses smaller ones), `cleanup.confirm` and `cache.put`
 * (checked against the lease row in the same conduit.db transaction). `acquire`
 * records the new token in tasks.db at once, so a deposed daemon is refused there
 * even before the new one writes.
 *
 * Writes from hook processes (the outbox inserts) do not need the lock: SQLite
 * serialises every write transaction; the lock is about one *daemon* acting on the
 * data, which is what TeleClaude's pid-file flock meant.
 *
 * @example
 * ```ts
 * const lease = await daemon.lock.acquire(`daemon-${process.pid}`, { ttlMs: 30_000 })
 * const stop = new AbortController()
 * const alive = daemon.lock.keepAlive({ intervalMs: 10_000, signal: stop.signal })
 * alive.catch(() => process.exit(1)) // LEASE_LOST: another daemon took over
 * // … shutdown:
 * stop.abort()
 * await alive
 * await daemon.lock.release(lease)
 * ```
 */
export class DaemonLock {
  readonly #leases: WriterLeases
  readonly #tasks: TasksRepository
  readonly #holder: DaemonLeaseHolder
  readonly #context: ErrorContext
  /** The lease name in conduit.db. */
  readonly name: string

  /** @internal Use `daemon.lock`. */
  constructor(leases: WriterLeases, tasks: TasksRepository, holder: DaemonLeaseHolder, name: string, context: ErrorContext) {
    this.#leases = leases
    this.#tasks = tasks
    this.#holder = holder
    this.#context = context
    this.name = name
  }

  /**
   * Takes the lock for `owner` (or renews it when `owner` already holds it). `CONFLICT`
   * while another owner holds it. From then on this daemon store's writes are fenced
   * by the lease.
   *
   * @example
   * ```ts
   * const lease = await daemon.lock.acquire('daemon-a')
   * ```
   */
  async acquire(owner: string, options: { ttlMs?: number } = {}): Promise<WriterLease> {
    const lease = await this.#leases.acquire(this.name, { owner, ...options })
    // Record the takeover in tasks.db at once: a deposed daemon's session writes are refused from now on.
    await this.#tasks.sessions.fence({ name: lease.name, token: lease.token })
    this.#holder.lease = lease
    return lease
  }

  /**
   * Pushes the expiry to now + `ttlMs` (default 30 s). `LEASE_LOST` after a takeover.
   *
   * @example
   * ```ts
   * await daemon.lock.heartbeat(lease)
   * ```
   */
  async heartbeat(lease: Pick<WriterLease, 'owner' | 'token'>, options: { ttlMs?: number } = {}): Promise<WriterLease> {
    const renewed = await this.#leases.heartbeat({ name: this.name, owner: lease.owner, token: lease.token }, options)
    if (this.#holder.lease?.token === renewed.token) this.#holder.lease = renewed
    return renewed
  }

  /**
   * Heartbeats the lease this store acquired every `intervalMs` until `signal` aborts
   * (then resolves). Rejects with `LEASE_LOST` as soon as a heartbeat finds the lease
   * taken over (stop writing: every fenced write is refused anyway), or with the error
   * of a heartbeat that failed otherwise. `INVARIANT` when this store holds no lease.
   *
   * @example
   * ```ts
   * const stop = new AbortController()
   * void daemon.lock.keepAlive({ intervalMs: 10_000, ttlMs: 30_000, signal: stop.signal })
   * ```
   */
  async keepAlive(options: { intervalMs?: number; ttlMs?: number; signal?: AbortSignal } = {}): Promise<void> {
    const opts = validate(KeepAliveSchema, options, 'daemon.lock.keepAlive', this.#context)
    const lease = this.#holder.lease
    if (lease === null) {
      throw new CleoStoreError('INVARIANT', 'daemon.lock.keepAlive: this daemon store holds no lease; acquire it first', {
        ...this.#context,
        details: { name: this.name },
      })
    }
    const ttlMs = opts.ttlMs ?? 30_000
    const intervalMs = opts.intervalMs ?? Math.max(1, Math.floor(ttlMs / 3))
    const signal = opts.signal
    while (!signal?.aborted) {
      const woke = await sleep(intervalMs, signal)
      if (!woke) return
      try {
        await this.heartbeat(lease, { ttlMs })
      } catch (error) {
        if (isCleoStoreError(error) && error.code === 'LEASE_LOST' && this.#holder.lease?.token === lease.token) this.#holder.lease = null
        throw error
      }
    }
  }

  /**
   * Releases the lock (idempotent). `LEASE_LOST` after a takeover. This store's writes
   * are no longer fenced afterwards.
   *
   * @example
   * ```ts
   * await daemon.lock.release(lease)
   * ```
   */
  async release(lease: Pick<WriterLease, 'owner' | 'token'>): Promise<void> {
    await this.#leases.release({ name: this.name, owner: lease.owner, token: lease.token })
    if (this.#holder.lease?.token === lease.token) this.#holder.lease = null
  }

  /**
   * The lease this daemon store holds (acquired and not released), or null.
   *
   * @example
   * ```ts
   * if (daemon.lock.held() === null) await daemon.lock.acquire('daemon-a')
   * ```
   */
  held(): WriterLease | null {
    return this.#holder.lease
  }

  /**
   * Who holds the lock now (null when it was never taken).
   *
   * @example
   * ```ts
   * const { held, owner } = (await daemon.lock.status()) ?? { held: false, owner: null }
   * ```
   */
  async status(): Promise<WriterLeaseState | null> {
    return this.#leases.get(this.name)
  }
}

/** Resolves true after `ms`, or false at once when `signal` aborts (never rejects). */
function sleep(ms: number, signal: AbortSignal | undefined): Promise<boolean> {
  return new Promise((resolve) => {
    if (signal?.aborted) return resolve(false)
    const onAbort = () => {
      clearTimeout(timer)
      resolve(false)
    }
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort)
      resolve(true)
    }, ms)
    signal?.addEventListener('abort', onAbort, { once: true })
  })
}
