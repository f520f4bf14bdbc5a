/**
 * Cross-process single-writer leases in conduit.db: a row per lease name with the
 * holder, a fencing token, the last heartbeat and the expiry. TeleClaude held its
 * daemon lock with `flock` on a pid file (one host, no token, nothing in the data);
 * here the lease is data, so a crashed holder is detected by its expiry and every
 * takeover hands out a larger token.
 *
 * @module
 */
import { toIso } from '../sqlite/clock.js'
import { CleoStoreError } from '../sqlite/errors.js'
import { template } from '../sqlite/query-template.js'
import { validate } from '../sqlite/validate.js'
import type { Step } from '../sqlite/store-engine.js'
import type { ConduitContext, ConduitExecutor } from './conduit-context.js'
import type {
  AcquireWriterLeaseOptions,
} from './conduit.types.js'
import { AcquireWriterLeaseSchema, WriterLeaseFenceSchema, WriterLeaseNameSchema } from './conduit.schemas.js'
import type { ConduitDatabase, WriterLeasesTable } from './conduit.tables.js'

/** A held writer lease. Present `{ name, owner, token }` to heartbeat and release. */
export interface WriterLease {
  readonly name: string
  readonly owner: string
  /** Fencing token: larger with every acquisition by a new holder, never reused. */
  readonly token: number
  readonly acquiredAt: string
  readonly heartbeatAt: string
  readonly expiresAt: string
}

/** The state of a lease row, held or not. */
export interface WriterLeaseState {
  readonly name: string
  /** The holder, or null when released or expired. */
  readonly owner: string | null
  readonly token: number
  readonly expiresAt: string
  /** True while a holder's lease is unexpired. */
  readonly held: boolean
}

type Row = WriterLeasesTable

const GET = template<ConduitDatabase, { name: string }>()((db, p) => db.selectFrom('writer_leases').selectAll().where('name', '=', p('name')))
const INSERT = template<ConduitDatabase, { name: string; owner: string; now: number; expiresAt: number }>()((db, p) =>
  db
    .insertInto('writer_leases')
    .values({ name: p('name'), owner: p('owner'), token: 1, acquired_at: p('now'), heartbeat_at: p('now'), expires_at: p('expiresAt') })
    .returningAll(),
)
const TAKE = template<ConduitDatabase, { name: string; owner: string; now: number; expiresAt: number }>()((db, p) =>
  db
    .updateTable('writer_leases')
    .set((eb) => ({
      owner: p('owner'),
      token: eb('token', '+', 1),
      acquired_at: p('now'),
      heartbeat_at: p('now'),
      expires_at: p('expiresAt'),
    }))
    .where('name', '=', p('name'))
    .returningAll(),
)
const HEARTBEAT = template<ConduitDatabase, { name: string; owner: string; token: number; now: number; expiresAt: number }>()((db, p) =>
  db
    .updateTable('writer_leases')
    .set({ heartbeat_at: p('now'), expires_at: p('expiresAt') })
    .where('name', '=', p('name'))
    .where('owner', '=', p('owner'))
    .where('token', '=', p('token'))
    .returningAll(),
)
const RELEASE = template<ConduitDatabase, { name: string; owner: string; token: number; now: number }>()((db, p) =>
  db
    .updateTable('writer_leases')
    .set({ owner: null, expires_at: p('now') })
    .where('name', '=', p('name'))
    .where('owner', '=', p('owner'))
    .where('token', '=', p('token')),
)

/** The credentials a fenced write presents: a writer lease it holds. */
export interface WriterLeaseFence {
  readonly name: string
  readonly owner: string
  readonly token: number
}

const HELD = template<ConduitDatabase, { name: string }>()((db, p) =>
  db.selectFrom('writer_leases').select(['owner', 'token']).where('name', '=', p('name')),
)

/**
 * Inside a conduit.db write transaction: throws `LEASE_LOST` unless `fence` is the
 * current holder of its lease (same owner and token; a lease that expired but that
 * nobody took over still counts, as for queue leases). The fenced write commits in
 * the same transaction as this check, so a takeover cannot slip in between.
 *
 * @internal
 */
export function* assertWriterLeaseHeld(x: ConduitExecutor, ctx: ConduitContext, fence: WriterLeaseFence, operation: string): Step<void> {
  const row = yield* x.get(HELD, { name: fence.name })
  if (row !== undefined && row.owner === fence.owner && row.token === fence.token) return
  throw new CleoStoreError(
    'LEASE_LOST',
    `${operation}: writer lease ${JSON.stringify(fence.name)} is no longer held by ${JSON.stringify(fence.owner)} (token ${fence.token}); stop writing`,
    { ...ctx.errorContext, details: { name: fence.name, owner: fence.owner, token: fence.token, currentToken: row?.token ?? null } },
  )
}

function toLease(row: Row): WriterLease {
  return {
    name: row.name,
    owner: row.owner!,
    token: row.token,
    acquiredAt: toIso(row.acquired_at),
    heartbeatAt: toIso(row.heartbeat_at),
    expiresAt: toIso(row.expires_at),
  }
}

/**
 * Named cross-process leases, as `conduit.leases`: "exactly one writer" without a pid
 * file.
 *
 * - `acquire` succeeds when the lease is free, released, expired (a crashed holder:
 *   taken over with a new token), or already held by the same owner (renewed, same
 *   token). Otherwise it throws **`CONFLICT`** with `details: { name, holder,
 *   expiresAt }`, at once (no waiting: a second daemon is a misconfiguration to
 *   report, not to queue behind).
 * - `heartbeat` pushes the expiry; `release` frees it. Both are fenced on
 *   (owner, token): after a takeover they throw **`LEASE_LOST`**, so a paused old
 *   holder learns it lost the lease before it writes again.
 * - Every check uses the repository's clock; all of it is one row in one transaction.
 *
 * @example
 * ```ts
 * const lease = await conduit.leases.acquire('daemon', { owner: `daemon-${process.pid}`, ttlMs: 30_000 })
 * const timer = setInterval(() => void conduit.leases.heartbeat(lease, { ttlMs: 30_000 }), 10_000)
 * // … on shutdown
 * clearInterval(timer)
 * await conduit.leases.release(lease)
 * ```
 */
export class WriterLeases {
  readonly #ctx: ConduitContext

  /** @internal Use `conduit.leases`. */
  constructor(ctx: ConduitContext) {
    this.#ctx = ctx
  }

  /**
   * Acquires (or renews, for the same owner) the lease `name`. `CONFLICT` while
   * another owner holds it unexpired.
   *
   * @example
   * ```ts
   * const lease = await conduit.leases.acquire('daemon', { owner: 'daemon-a' })
   * ```
   */
  async acquire(name: string, options: AcquireWriterLeaseOptions): Promise<WriterLease> {
    const leaseName = validate(WriterLeaseNameSchema, name, 'conduit.leases.acquire', this.#ctx.errorContext)
    const opts = validate(AcquireWriterLeaseSchema, options, 'conduit.leases.acquire', this.#ctx.errorContext)
    const ctx = this.#ctx
    return ctx.engine.write(function* (x) {
      const now = ctx.clock()
      const args = { name: leaseName, owner: opts.owner, now, expiresAt: now + opts.ttlMs }
      const row = yield* x.get(GET, { name: leaseName })
      if (row === undefined) return toLease((yield* x.get(INSERT, args))!)
      if (row.owner === opts.owner && row.expires_at > now) {
        return toLease((yield* x.get(HEARTBEAT, { ...args, token: row.token }))!)
      }
      if (row.owner !== null && row.expires_at > now) {
        throw new CleoStoreError(
          'CONFLICT',
          `lease ${JSON.stringify(leaseName)} is held by ${JSON.stringify(row.owner)} until ${toIso(row.expires_at)}; another writer is running`,
          { ...ctx.errorContext, details: { name: leaseName, holder: row.owner, expiresAt: toIso(row.expires_at) } },
        )
      }
      return toLease((yield* x.get(TAKE, args))!)
    })
  }

  /**
   * Extends a held lease to now + `ttlMs`. `LEASE_LOST` when it was taken over or
   * released.
   *
   * @example
   * ```ts
   * await conduit.leases.heartbeat(lease, { ttlMs: 30_000 })
   * ```
   */
  async heartbeat(lease: Pick<WriterLease, 'name' | 'owner' | 'token'>, options: { ttlMs?: number } = {}): Promise<WriterLease> {
    const fence = validate(WriterLeaseFenceSchema, lease, 'conduit.leases.heartbeat', this.#ctx.errorContext)
    const { ttlMs } = validate(AcquireWriterLeaseSchema.pick({ ttlMs: true }), options, 'conduit.leases.heartbeat', this.#ctx.errorContext)
    return this.#ctx.engine.write((x) => this.#heartbeat(x, fence, ttlMs))
  }

  *#heartbeat(x: ConduitExecutor, fence: WriterLeaseFence, ttlMs: number): Step<WriterLease> {
    const now = this.#ctx.clock()
    const row = yield* x.get(HEARTBEAT, { name: fence.name, owner: fence.owner, token: fence.token, now, expiresAt: now + ttlMs })
    if (row === undefined) throw this.#lost(fence, 'heartbeat')
    return toLease(row)
  }

  /**
   * Releases a held lease (the row stays, so tokens keep growing). `LEASE_LOST` when
   * it was already taken over; releasing twice is a no-op.
   *
   * @example
   * ```ts
   * await conduit.leases.release(lease)
   * ```
   */
  async release(lease: Pick<WriterLease, 'name' | 'owner' | 'token'>): Promise<void> {
    const fence = validate(WriterLeaseFenceSchema, lease, 'conduit.leases.release', this.#ctx.errorContext)
    await this.#ctx.engine.write((x) => this.#release(x, fence))
  }

  *#release(x: ConduitExecutor, fence: WriterLeaseFence): Step<void> {
    if ((yield* x.run(RELEASE, { ...fence, now: this.#ctx.clock() })).changes > 0) return
    const row = yield* x.get(GET, { name: fence.name })
    if (row !== undefined && row.owner === null && row.token === fence.token) return
    throw this.#lost(fence, 'release')
  }

  /**
   * The state of a lease at the clock's now, or null if it was never acquired.
   *
   * @example
   * ```ts
   * const state = await conduit.leases.get('daemon') // { owner: 'daemon-a', held: true, … }
   * ```
   */
  async get(name: string): Promise<WriterLeaseState | null> {
    const leaseName = validate(WriterLeaseNameSchema, name, 'conduit.leases.get', this.#ctx.errorContext)
    const row = await this.#ctx.engine.read((x) => x.get(GET, { name: leaseName }))
    if (row === undefined) return null
    const held = row.owner !== null && row.expires_at > this.#ctx.clock()
    return { name: row.name, owner: held ? row.owner : null, token: row.token, expiresAt: toIso(row.expires_at), held }
  }

  #lost(fence: { name: string; owner: string; token: number }, action: string): CleoStoreError {
    return new CleoStoreError(
      'LEASE_LOST',
      `cannot ${action} lease ${JSON.stringify(fence.name)}: ${JSON.stringify(fence.owner)} (token ${fence.token}) no longer holds it`,
      { ...this.#ctx.errorContext, details: { ...fence } },
    )
  }
}
