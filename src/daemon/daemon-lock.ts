/**
 * The daemon's single-writer lock: a conduit.db writer lease.
 *
 * @module
 */
import type { WriterLease, WriterLeases, WriterLeaseState } from '../conduit/writer-leases.js'

/**
 * "Exactly one daemon" without a pid file, as `daemon.lock`: a named lease row in
 * conduit.db (owner, expiry, heartbeat, fencing token). A second daemon's `acquire`
 * fails at once with **`CONFLICT`** (`details.holder`, `details.expiresAt`); a
 * crashed daemon's lease expires and the next daemon takes it over with a larger
 * token. Heartbeat more often than the TTL; a heartbeat after a takeover throws
 * `LEASE_LOST`: stop writing.
 *
 * Writes from hook processes (the outbox inserts) do not need the lock: SQLite
 * serialises every write transaction; the lock is about one *daemon* acting on the
 * data, which is what TeleClaude's pid-file flock meant.
 *
 * @example
 * ```ts
 * const lease = await daemon.lock.acquire(`daemon-${process.pid}`, { ttlMs: 30_000 })
 * const timer = setInterval(() => void daemon.lock.heartbeat(lease), 10_000)
 * // … shutdown:
 * clearInterval(timer)
 * await daemon.lock.release(lease)
 * ```
 */
export class DaemonLock {
  readonly #leases: WriterLeases
  /** The lease name in conduit.db. */
  readonly name: string

  /** @internal Use `daemon.lock`. */
  constructor(leases: WriterLeases, name: string) {
    this.#leases = leases
    this.name = name
  }

  /**
   * Takes the lock for `owner` (or renews it when `owner` already holds it). `CONFLICT`
   * while another owner holds it.
   *
   * @example
   * ```ts
   * const lease = await daemon.lock.acquire('daemon-a')
   * ```
   */
  async acquire(owner: string, options: { ttlMs?: number } = {}): Promise<WriterLease> {
    return this.#leases.acquire(this.name, { owner, ...options })
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
    return this.#leases.heartbeat({ name: this.name, owner: lease.owner, token: lease.token }, options)
  }

  /**
   * Releases the lock (idempotent). `LEASE_LOST` after a takeover.
   *
   * @example
   * ```ts
   * await daemon.lock.release(lease)
   * ```
   */
  async release(lease: Pick<WriterLease, 'owner' | 'token'>): Promise<void> {
    await this.#leases.release({ name: this.name, owner: lease.owner, token: lease.token })
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
