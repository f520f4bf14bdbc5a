/**
 * The snapshot cache of conduit.db: JSON snapshots keyed `data_type:scope_id` with a
 * digest, read with a freshness verdict from a TTL policy per data type. TeleClaude
 * kept this in process memory only (a restart started cold) and documented a `cache`
 * table that never existed; here it is a table, read without writes.
 *
 * @module
 */
import { createHash } from 'node:crypto'

import { sql } from 'kysely'
import { z } from 'zod'

import { toIso } from '../sqlite/clock.js'
import { CleoStoreError } from '../sqlite/errors.js'
import { fromJson, toJson } from '../sqlite/json.js'
import { template, typedParam } from '../sqlite/query-template.js'
import { validate } from '../sqlite/validate.js'
import type { Step } from '../sqlite/store-engine.js'
import type { ConduitContext, ConduitExecutor } from './conduit-context.js'
import { tooLarge, utf8Length } from './conduit-context.js'
import type {
  SnapshotCachePolicyInput,
  SnapshotPutOptions,
} from './conduit.types.js'
import { SnapshotCachePolicySchema, SnapshotDataTypeSchema, SnapshotKeySchema, SnapshotPutSchema } from './conduit.schemas.js'
import type { ConduitDatabase } from './conduit.tables.js'
import type { WriterLeaseFence } from './writer-leases.js'
import { assertWriterLeaseHeld } from './writer-leases.js'

/** `fresh` (within its TTL), `stale` (past it: serve, then refresh), `missing`. */
export type SnapshotState = 'fresh' | 'stale' | 'missing'

/** A cache read. `value`, `digest` and `updatedAt` are null when `missing`. */
export interface SnapshotEntry<T = unknown> {
  readonly key: string
  readonly state: SnapshotState
  readonly value: T | null
  readonly digest: string | null
  /** ISO-8601: when the snapshot last changed. */
  readonly updatedAt: string | null
  /** ISO-8601: when the snapshot was last confirmed current (a refresh with an unchanged digest); freshness counts from it. */
  readonly checkedAt: string | null
  /** Age of the snapshot at the read, in ms (null when missing). */
  readonly ageMs: number | null
}

/** What `put` did. */
export interface SnapshotPutResult {
  /** False when the digest was unchanged: nothing was written. */
  readonly changed: boolean
  readonly digest: string
  /** Entries evicted to keep the table within `maxEntries`. */
  readonly evicted: number
}

/** The outcome of a background refresh started by `revalidate`. Never rejects. */
export type SnapshotRefreshOutcome<T = unknown> =
  | { readonly ok: true; readonly entry: SnapshotEntry<T>; readonly changed: boolean }
  | { readonly ok: false; readonly error: unknown }

/** A `revalidate` result: the entry served now and the refresh it started, if any. */
export interface SnapshotRevalidation<T = unknown> extends SnapshotEntry<T> {
  /** The refresh this call started or joined; null when fresh or cooling down. */
  readonly refresh: Promise<SnapshotRefreshOutcome<T>> | null
}

/** The resolved TTL policy of a cache (see {@link SnapshotCachePolicySchema}). */
export interface SnapshotCachePolicy {
  readonly ttlMs: Readonly<Record<string, number | null>>
  readonly defaultTtlMs: number | null
  readonly maxEntries: number
}

/**
 * TeleClaude's policy matrix: computers 60 s, projects and todos 5 min, sessions
 * event-driven (never stale), agent availability 30 s; anything else 5 min; at most
 * 10 000 entries.
 */
export const DEFAULT_SNAPSHOT_POLICY: SnapshotCachePolicy = Object.freeze({
  ttlMs: Object.freeze({ computers: 60_000, projects: 300_000, todos: 300_000, sessions: null, agent_availability: 30_000 }),
  defaultTtlMs: 300_000,
  maxEntries: 10_000,
})

/** Default cooldown between two refreshes of one key by `revalidate` (TeleClaude's 30 s). */
export const DEFAULT_SNAPSHOT_COOLDOWN_MS = 30_000

/** A snapshot JSON may be at most this large (UTF-8 bytes). */
export const SNAPSHOT_MAX_BYTES = 4 * 1024 * 1024

const GET = template<ConduitDatabase, { dataType: string; scopeId: string }>()((db, p) =>
  db
    .selectFrom('snapshot_cache')
    .select(['snapshot', 'digest', 'updated_at', 'checked_at'])
    .where('data_type', '=', p('dataType'))
    .where('scope_id', '=', p('scopeId')),
)
const GET_DIGEST = template<ConduitDatabase, { dataType: string; scopeId: string }>()((db, p) =>
  db.selectFrom('snapshot_cache').select('digest').where('data_type', '=', p('dataType')).where('scope_id', '=', p('scopeId')),
)
const INSERT = template<ConduitDatabase, { dataType: string; scopeId: string; snapshot: string; digest: string; now: number }>()(
  (db, p) =>
    db.insertInto('snapshot_cache').values({
      data_type: p('dataType'),
      scope_id: p('scopeId'),
      snapshot: p('snapshot'),
      digest: p('digest'),
      updated_at: p('now'),
      checked_at: p('now'),
    }),
)
const MARK_CHECKED = template<ConduitDatabase, { dataType: string; scopeId: string; now: number }>()((db, p) =>
  db
    .updateTable('snapshot_cache')
    .set({ checked_at: p('now') })
    .where('data_type', '=', p('dataType'))
    .where('scope_id', '=', p('scopeId')),
)
const UPDATE = template<ConduitDatabase, { dataType: string; scopeId: string; snapshot: string; digest: string; now: number }>()(
  (db, p) =>
    db
      .updateTable('snapshot_cache')
      .set({ snapshot: p('snapshot'), digest: p('digest'), updated_at: p('now'), checked_at: p('now') })
      .where('data_type', '=', p('dataType'))
      .where('scope_id', '=', p('scopeId')),
)
const DELETE = template<ConduitDatabase, { dataType: string; scopeId: string }>()((db, p) =>
  db.deleteFrom('snapshot_cache').where('data_type', '=', p('dataType')).where('scope_id', '=', p('scopeId')),
)
const DELETE_TYPE = template<ConduitDatabase, { dataType: string }>()((db, p) =>
  db.deleteFrom('snapshot_cache').where('data_type', '=', p('dataType')),
)
const COUNT = template<ConduitDatabase, Record<string, never>>()((db) =>
  db.selectFrom('snapshot_cache').select((eb) => eb.fn.countAll<number>().as('count')),
)
const OLDEST = template<ConduitDatabase, { limit: number }>()((db, p) =>
  db
    .selectFrom('snapshot_cache')
    .select(['data_type', 'scope_id'])
    .orderBy('updated_at')
    .orderBy('data_type')
    .orderBy('scope_id')
    .limit(p('limit')),
)

/** An entry due for refresh, listed by `cache.stale()`. */
export interface StaleSnapshot {
  readonly key: string
  readonly dataType: string
  readonly scopeId: string
  /** ISO-8601: when the snapshot last changed. */
  readonly updatedAt: string
  /** ISO-8601: when it was last confirmed current. */
  readonly checkedAt: string
  /** The TTL of its data type. */
  readonly ttlMs: number
  /** How long past its TTL it is (0: due just now). */
  readonly overdueMs: number
}

const StaleListSchema = z.strictObject({
  limit: z.number().int().min(1).max(10_000).optional(),
  cursor: z.string().min(1).max(2000).optional(),
})

const STALE_CURSOR = 'stale1.'

function encodeStaleCursor(position: [number, string, string]): string {
  return STALE_CURSOR + Buffer.from(JSON.stringify(position), 'utf8').toString('base64url')
}

function decodeStaleCursor(ctx: ConduitContext, cursor: string): [number, string, string] {
  const bad = () =>
    new CleoStoreError('VALIDATION', 'conduit.cache.stale: cursor: not a cursor of this list', {
      ...ctx.errorContext,
      details: { operation: 'conduit.cache.stale', path: ['cursor'] },
    })
  if (!cursor.startsWith(STALE_CURSOR)) throw bad()
  try {
    const value = JSON.parse(Buffer.from(cursor.slice(STALE_CURSOR.length), 'base64url').toString('utf8')) as unknown
    if (Array.isArray(value) && value.length === 3 && typeof value[0] === 'number' && typeof value[1] === 'string' && typeof value[2] === 'string') {
      return value as [number, string, string]
    }
  } catch {
    // fall through
  }
  throw bad()
}

/** Splits `data_type:scope_id` at the first `:`. */
function splitKey(key: string): { dataType: string; scopeId: string } {
  const at = key.indexOf(':')
  return { dataType: key.slice(0, at), scopeId: key.slice(at + 1) }
}

/**
 * The snapshot cache, as `conduit.cache` (with {@link DEFAULT_SNAPSHOT_POLICY}) or
 * `conduit.cache.withPolicy(…)`.
 *
 * - **Keys** are `data_type:scope_id` (`projects:mbp`, `computers:mbp`, `todos:mbp:/src/app`).
 * - **`get` never writes.** Freshness is computed from `updated_at` and the TTL of the
 *   key's data type at the clock's now: `fresh`, `stale` (still served), or `missing`.
 * - **`put` skips unchanged snapshots**: when the digest equals the stored one nothing
 *   is written (not even `updated_at`: it records when the data last *changed*), so
 *   an unchanged refresh leaves a stale entry stale and the refresh cooldown of
 *   {@link SnapshotCache.revalidate} is what bounds the refetching.
 * - **Bounded**: inserting a new key past `maxEntries` evicts the least recently
 *   updated entries in the same transaction.
 * - **Stale-while-revalidate** with one refresh in flight per key (per cache object)
 *   and a cooldown between refreshes: {@link SnapshotCache.revalidate}.
 *
 * @example
 * ```ts
 * const cache = conduit.cache.withPolicy({ ttlMs: { computers: 60_000, sessions: null } })
 * await cache.put('computers:mbp', { cpu: 0.2 })
 * const { state, value } = await cache.get('computers:mbp') // 'fresh', { cpu: 0.2 }
 * ```
 */
export class SnapshotCache {
  readonly #ctx: ConduitContext
  /** The resolved TTL policy. */
  readonly policy: SnapshotCachePolicy
  readonly #refreshes = new Map<string, { inflight: Promise<SnapshotRefreshOutcome<any>> | null; startedAt: number }>()
  readonly #fence: (() => WriterLeaseFence | null) | undefined

  /** @internal Use `conduit.cache`. */
  constructor(
    ctx: ConduitContext,
    policy: SnapshotCachePolicyInput | SnapshotCachePolicy = DEFAULT_SNAPSHOT_POLICY,
    options: { fence?: () => WriterLeaseFence | null } = {},
  ) {
    this.#ctx = ctx
    this.#fence = options.fence
    const parsed = validate(SnapshotCachePolicySchema, policy, 'conduit.cache.policy', ctx.errorContext)
    this.policy = Object.freeze({ ...parsed, ttlMs: Object.freeze({ ...parsed.ttlMs }) })
  }

  /**
   * A cache over the same table with another policy; types not in `policy.ttlMs`
   * keep the default matrix. Refresh bookkeeping is per cache object.
   *
   * @example
   * ```ts
   * const cache = conduit.cache.withPolicy({ ttlMs: { computers: 30_000 }, maxEntries: 1000 })
   * ```
   */
  withPolicy(policy: SnapshotCachePolicyInput, options: { fence?: () => WriterLeaseFence | null } = {}): SnapshotCache {
    const merged = {
      ttlMs: { ...DEFAULT_SNAPSHOT_POLICY.ttlMs, ...(policy.ttlMs ?? {}) },
      defaultTtlMs: policy.defaultTtlMs === undefined ? DEFAULT_SNAPSHOT_POLICY.defaultTtlMs : policy.defaultTtlMs,
      maxEntries: policy.maxEntries ?? DEFAULT_SNAPSHOT_POLICY.maxEntries,
    }
    return new SnapshotCache(this.#ctx, merged, options)
  }

  /**
   * The TTL of a data type under this policy (null: never stale).
   *
   * @example
   * ```ts
   * conduit.cache.ttlOf('computers') // 60000
   * ```
   */
  ttlOf(dataType: string): number | null {
    return Object.hasOwn(this.policy.ttlMs, dataType) ? this.policy.ttlMs[dataType]! : this.policy.defaultTtlMs
  }

  #key(key: string, operation: string): { dataType: string; scopeId: string } {
    return splitKey(validate(SnapshotKeySchema, key, operation, this.#ctx.errorContext))
  }

  /**
   * Reads one snapshot with its freshness at the clock's now. Writes nothing.
   *
   * @example
   * ```ts
   * const entry = await conduit.cache.get<Project[]>('projects:mbp')
   * if (entry.state !== 'missing') render(entry.value)
   * ```
   */
  async get<T = unknown>(key: string): Promise<SnapshotEntry<T>> {
    const parts = this.#key(key, 'conduit.cache.get')
    const row = await this.#ctx.engine.read((x) => x.get(GET, parts))
    if (row === undefined) return { key, state: 'missing', value: null, digest: null, updatedAt: null, checkedAt: null, ageMs: null }
    const now = this.#ctx.clock()
    const ageMs = Math.max(0, now - row.updated_at)
    const checkedAt = Math.max(row.updated_at, row.checked_at ?? row.updated_at)
    const ttl = this.ttlOf(parts.dataType)
    return {
      key,
      state: ttl === null || now - checkedAt < ttl ? 'fresh' : 'stale',
      value: fromJson<T>(row.snapshot, 'snapshot_cache.snapshot', this.#ctx.errorContext),
      digest: row.digest,
      updatedAt: toIso(row.updated_at),
      checkedAt: toIso(checkedAt),
      ageMs,
    }
  }

  /**
   * Stores a snapshot unless its digest is unchanged (then nothing is written). The
   * digest defaults to the SHA-256 of the value's JSON text.
   *
   * @example
   * ```ts
   * const { changed } = await conduit.cache.put('projects:mbp', projects)
   * ```
   */
  async put(key: string, value: unknown, options: SnapshotPutOptions = {}): Promise<SnapshotPutResult> {
    const parts = this.#key(key, 'conduit.cache.put')
    const opts = validate(SnapshotPutSchema, options, 'conduit.cache.put', this.#ctx.errorContext)
    let snapshot: string | undefined
    try {
      snapshot = toJson(value)
    } catch (cause) {
      throw new CleoStoreError('VALIDATION', `conduit.cache.put: value is not JSON-serialisable (${(cause as Error).message})`, {
        ...this.#ctx.errorContext,
        cause,
        details: { operation: 'conduit.cache.put', path: ['value'] },
      })
    }
    if (snapshot === undefined) {
      throw new CleoStoreError('VALIDATION', 'conduit.cache.put: value must be a JSON value', {
        ...this.#ctx.errorContext,
        details: { operation: 'conduit.cache.put', path: ['value'] },
      })
    }
    const size = utf8Length(snapshot)
    if (size > SNAPSHOT_MAX_BYTES) throw tooLarge(this.#ctx, 'conduit.cache.put', ['value'], size, SNAPSHOT_MAX_BYTES)
    const digest = opts.digest ?? createHash('sha256').update(snapshot).digest('hex')
    return this.#ctx.engine.write((x) => this.#put(x, parts, snapshot, digest))
  }

  *#put(x: ConduitExecutor, parts: { dataType: string; scopeId: string }, snapshot: string, digest: string): Step<SnapshotPutResult> {
    // The fence getter only reads the holder's in-memory lease: calling it again on a re-run is harmless.
    const fence = this.#fence?.() ?? null
    if (fence !== null) yield* assertWriterLeaseHeld(x, this.#ctx, fence, 'conduit.cache.put')
    const current = yield* x.get(GET_DIGEST, parts)
    if (current?.digest === digest) {
      // Unchanged: the entry was checked now (fresh again); the snapshot is not rewritten.
      yield* x.run(MARK_CHECKED, { ...parts, now: this.#ctx.clock() })
      return { changed: false, digest, evicted: 0 }
    }
    const args = { ...parts, snapshot, digest, now: this.#ctx.clock() }
    if (current !== undefined) {
      yield* x.run(UPDATE, args)
      return { changed: true, digest, evicted: 0 }
    }
    yield* x.run(INSERT, args)
    const over = Number((yield* x.get(COUNT, {}))!.count) - this.policy.maxEntries
    let evicted = 0
    if (over > 0) {
      for (const victim of yield* x.all(OLDEST, { limit: over })) {
        evicted += (yield* x.run(DELETE, { dataType: victim.data_type, scopeId: victim.scope_id })).changes
      }
    }
    return { changed: true, digest, evicted }
  }

  /**
   * Removes one entry; true when there was one.
   *
   * @example
   * ```ts
   * await conduit.cache.invalidate('sessions:abc')
   * ```
   */
  async invalidate(key: string): Promise<boolean> {
    const parts = this.#key(key, 'conduit.cache.invalidate')
    return this.#ctx.engine.write(function* (x) {
      return (yield* x.run(DELETE, parts)).changes > 0
    })
  }

  /**
   * Removes every entry of one data type; returns how many.
   *
   * @example
   * ```ts
   * await conduit.cache.invalidateType('projects')
   * ```
   */
  async invalidateType(dataType: string): Promise<number> {
    const type = validate(SnapshotDataTypeSchema, dataType, 'conduit.cache.invalidateType', this.#ctx.errorContext)
    return this.#ctx.engine.write(function* (x) {
      return (yield* x.run(DELETE_TYPE, { dataType: type })).changes
    })
  }

  /**
   * Entries due for refresh at the clock's now (for a background sweeper): those whose
   * last check is at least their data type's TTL old (types with no TTL are never
   * due), most overdue first, a page at a time (`{ items, nextCursor }`). Refreshing
   * an entry (a `put`, changed or not) takes it off the list. Never writes.
   *
   * @example
   * ```ts
   * const { items } = await daemon.cache.stale({ limit: 20 })
   * for (const entry of items) await daemon.cache.put(entry.key, await load(entry.key))
   * ```
   */
  async stale(options: { limit?: number; cursor?: string } = {}): Promise<{ items: StaleSnapshot[]; nextCursor: string | null }> {
    const opts = validate(StaleListSchema, options, 'conduit.cache.stale', this.#ctx.errorContext)
    const limit = opts.limit ?? 100
    const now = this.#ctx.clock()
    const { dialect } = this.#ctx.engine
    const typed = Object.entries(this.policy.ttlMs)
    const ttlCase =
      typed.length === 0
        ? typedParam(this.policy.defaultTtlMs, 'bigint', dialect)
        : sql<number | null>`CASE data_type ${sql.join(
            typed.map(([type, ttl]) => sql`WHEN ${type} THEN ${typedParam(ttl, 'bigint', dialect)}`),
            sql` `,
          )} ELSE ${typedParam(this.policy.defaultTtlMs, 'bigint', dialect)} END`
    // Scalar two-argument max() is SQLite's; PostgreSQL's is greatest().
    const checked = sql<number>`${sql.raw(dialect === 'postgres' ? 'greatest' : 'max')}(updated_at, coalesce(checked_at, updated_at))`
    let after = sql<boolean>`1 = 1`
    if (opts.cursor !== undefined) {
      const [at, type, scope] = decodeStaleCursor(this.#ctx, opts.cursor)
      after = sql<boolean>`(checked, data_type, scope_id) > (${at}, ${type}, ${scope})`
    }
    const { kysely } = this.#ctx.engine
    const query = kysely
      .selectFrom(
        kysely
          .selectFrom('snapshot_cache')
          .select(['data_type', 'scope_id', 'updated_at', checked.as('checked'), ttlCase.as('ttl')])
          .as('c'),
      )
      .selectAll()
      .where('ttl', 'is not', null)
      .where(sql<boolean>`checked + ttl <= ${now}`)
      .where(after)
      .orderBy('checked')
      .orderBy('data_type')
      .orderBy('scope_id')
      .limit(limit + 1)
    const rows = await this.#ctx.engine.read((x) => x.all(query))
    const more = rows.length > limit
    const page = more ? rows.slice(0, limit) : rows
    const items = page.map((row) => ({
      key: `${row.data_type}:${row.scope_id}`,
      dataType: row.data_type,
      scopeId: row.scope_id,
      updatedAt: toIso(row.updated_at),
      checkedAt: toIso(row.checked),
      ttlMs: Number(row.ttl),
      overdueMs: now - (row.checked + Number(row.ttl)),
    }))
    const last = page[page.length - 1]
    return { items, nextCursor: more && last ? encodeStaleCursor([last.checked, last.data_type, last.scope_id]) : null }
  }

  /**
   * How many entries the table holds.
   *
   * @example
   * ```ts
   * await conduit.cache.size()
   * ```
   */
  async size(): Promise<number> {
    const row = await this.#ctx.engine.read((x) => x.get(COUNT, {}))
    return Number(row!.count)
  }

  /**
   * Stale-while-revalidate. `fresh`: returned as is. `missing`: `load()` runs (one
   * call in flight per key; concurrent callers share it), its value is stored and
   * returned; a failing load rejects. `stale`: the stale value is returned at once
   * and a background refresh starts unless one is in flight (then it is joined) or
   * the last one of this key started less than `cooldownMs` ago (`force` skips the
   * cooldown). The refresh promise never rejects: it resolves to an outcome.
   *
   * @example
   * ```ts
   * const entry = await cache.revalidate('projects:mbp', () => scanProjects('mbp'))
   * render(entry.value) // maybe stale; entry.refresh settles when the new one is stored
   * ```
   */
  async revalidate<T>(
    key: string,
    load: () => T | Promise<T>,
    options: { cooldownMs?: number; force?: boolean } = {},
  ): Promise<SnapshotRevalidation<T>> {
    const before = this.#refreshes.get(key)
    const entry = await this.get<T>(key)
    if (entry.state === 'fresh' && !options.force) return { ...entry, refresh: null }
    const slot = this.#refreshes.get(key)
    if (entry.state === 'missing') {
      // A refresh of this process started and finished while the read was out (a server read is a
      // round trip): serve what it stored rather than load a second time (single-flight).
      if (slot !== undefined && slot !== before && slot.inflight === null) {
        const stored = await this.get<T>(key)
        if (stored.state !== 'missing') return { ...stored, refresh: null }
      }
      const outcome = await (slot?.inflight ?? this.#startRefresh(key, load))
      if (!outcome.ok) throw outcome.error
      return { ...(outcome.entry as SnapshotEntry<T>), refresh: null }
    }
    if (slot?.inflight) return { ...entry, refresh: slot.inflight as Promise<SnapshotRefreshOutcome<T>> }
    const cooldown = options.cooldownMs ?? DEFAULT_SNAPSHOT_COOLDOWN_MS
    if (slot && !options.force && this.#ctx.clock() - slot.startedAt < cooldown) return { ...entry, refresh: null }
    return { ...entry, refresh: this.#startRefresh(key, load) }
  }

  #startRefresh<T>(key: string, load: () => T | Promise<T>): Promise<SnapshotRefreshOutcome<T>> {
    const slot: { inflight: Promise<SnapshotRefreshOutcome<T>> | null; startedAt: number } = { inflight: null, startedAt: this.#ctx.clock() }
    const run = async (): Promise<SnapshotRefreshOutcome<T>> => {
      try {
        const value = await load()
        const { changed } = await this.put(key, value)
        return { ok: true, entry: await this.get<T>(key), changed }
      } catch (error) {
        return { ok: false, error }
      }
    }
    // Cleared once settled (never synchronously, even when `load` throws at once).
    const promise: Promise<SnapshotRefreshOutcome<T>> = run().finally(() => {
      if (slot.inflight === promise) slot.inflight = null
    })
    slot.inflight = promise
    this.#refreshes.set(key, slot)
    return slot.inflight
  }
}
