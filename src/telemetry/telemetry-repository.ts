/**
 * The telemetry.db repository.
 *
 * Telemetry is opt-in: `CleoWorkspace.open` creates and opens telemetry.db only with
 * `{ telemetry: true }` (otherwise `ws.telemetry` is null and no file exists). An event
 * records what ran and how it ended — command, domain, operation, duration, exit code,
 * error code and an anonymous install id — never arguments, paths or content (the input
 * schema refuses them, and the table's CHECKs repeat the rule).
 *
 * @module
 */
import { randomUUID } from 'node:crypto'

import { sql } from 'kysely'

import { toIso } from '../sqlite/clock.js'
import type { SqliteDatabase } from '../sqlite/database.js'
import { validate } from '../sqlite/validate.js'
import { template } from '../sqlite/query-template.js'
import type { RepositoryOptions } from '../sqlite/store-repository.js'
import { openStoreDatabase, StoreRepository } from '../sqlite/store-repository.js'
import type {
  TelemetryAggregateOptions,
  TelemetryEventInput,
  TelemetryRetention,
} from './telemetry.types.js'
import { TelemetryAggregateOptionsSchema, TelemetryEventInputSchema, TelemetryRetentionSchema } from './telemetry.schemas.js'
import type { TelemetryDatabase, TelemetryEventsTable } from './telemetry.tables.js'
import { TELEMETRY_STORE } from './telemetry.store.js'
import { checkOptions, repositoryOptionsSchema } from '../sqlite/options.js'

/** Options of {@link TelemetryRepository.open}. */
export interface TelemetryRepositoryOptions extends RepositoryOptions {
  /** Retention (default: 90 days and 100 000 events), applied as events are recorded. */
  readonly retention?: Partial<TelemetryRetention>
}

/** A stored event. */
export interface TelemetryEvent {
  readonly id: number
  readonly anonymousId: string
  readonly command: string
  readonly domain: string
  readonly operation: string
  readonly durationMs: number
  readonly exitCode: number
  readonly errorCode: string | null
  /** ISO-8601 UTC. */
  readonly occurredAt: string
}

/** Statistics of one command in one window. An event is an error when its exit code is not 0. */
export interface TelemetryAggregate {
  readonly command: string
  /** ISO-8601 UTC start of the window (for `all`: `since`, or null when not given). */
  readonly windowStart: string | null
  /** ISO-8601 UTC end of the window, exclusive (for `all`: `until`, or null when not given). */
  readonly windowEnd: string | null
  readonly count: number
  readonly errorCount: number
  /** errorCount / count. */
  readonly errorRate: number
  /** Median duration (nearest rank). */
  readonly p50DurationMs: number
  /** 95th percentile duration (nearest rank). */
  readonly p95DurationMs: number
  readonly meanDurationMs: number
  readonly maxDurationMs: number
}

/** What {@link TelemetryRepository.prune} deleted. */
export interface TelemetryPruneResult {
  readonly deletedByAge: number
  readonly deletedByCount: number
}

const WINDOW_MS = { hour: 3_600_000, day: 86_400_000, week: 604_800_000, all: 0 } as const
/** Retention is applied once per this many recorded events (and by `prune()`). */
const PRUNE_EVERY = 256
const INSTALL_ID_KEY = 'install_id'

const GET_META = template<TelemetryDatabase, { key: string }>()((db, p) =>
  db.selectFrom('telemetry_schema_meta').select('value').where('key', '=', p('key')),
)
const PUT_META_IF_ABSENT = template<TelemetryDatabase, { key: string; value: string; updated_at: number }>()((db, p) =>
  db
    .insertInto('telemetry_schema_meta')
    .values({ key: p('key'), value: p('value'), updated_at: p('updated_at') })
    .onConflict((oc) => oc.column('key').doNothing()),
)
const DELETE_META = template<TelemetryDatabase, { key: string }>()((db, p) =>
  db.deleteFrom('telemetry_schema_meta').where('key', '=', p('key')),
)
const INSERT = template<TelemetryDatabase, Omit<TelemetryEventsTable, 'id'>>()((db, p) =>
  db.insertInto('telemetry_events').values({
    anonymous_id: p('anonymous_id'),
    command: p('command'),
    domain: p('domain'),
    operation: p('operation'),
    duration_ms: p('duration_ms'),
    exit_code: p('exit_code'),
    error_code: p('error_code'),
    occurred_at: p('occurred_at'),
  }),
)
const PRUNE_AGE = template<TelemetryDatabase, { cutoff: number }>()((db, p) =>
  db.deleteFrom('telemetry_events').where('occurred_at', '<', p('cutoff')),
)
const PRUNE_COUNT = template<TelemetryDatabase, { keep: number }>()((db, p) =>
  db
    .deleteFrom('telemetry_events')
    .where('id', '<=', (eb) =>
      eb.selectFrom('telemetry_events').select('id').orderBy('id', 'desc').limit(1).offset(p('keep')),
    ),
)
const DELETE_ALL = template<TelemetryDatabase>()((db) => db.deleteFrom('telemetry_events'))
const COUNT = template<TelemetryDatabase>()((db) =>
  db.selectFrom('telemetry_events').select((eb) => eb.fn.countAll<number>().as('n')),
)
const RECENT = template<TelemetryDatabase, { limit: number }>()((db, p) =>
  db.selectFrom('telemetry_events').selectAll().orderBy('id', 'desc').limit(p('limit')),
)

function toTime(value: number | string): number {
  return typeof value === 'number' ? value : Date.parse(value)
}

/**
 * telemetry.db — opt-in CLI telemetry events (global tier): record, aggregate, retain.
 *
 * @example
 * ```ts
 * await using ws = await CleoWorkspace.open(dir, { telemetry: true })
 * await ws.telemetry?.record({ command: 'tasks.add', domain: 'tasks', operation: 'add', durationMs: 14, exitCode: 0 })
 * const stats = await ws.telemetry?.aggregate({ window: 'day' })
 * ```
 */
export class TelemetryRepository extends StoreRepository<'telemetry'> {
  readonly #retention: TelemetryRetention
  #optedOut = false
  #installId: string | undefined
  #sincePrune = PRUNE_EVERY // prune on the first write after opening

  private constructor(db: SqliteDatabase<TelemetryDatabase>, options: TelemetryRepositoryOptions) {
    super(db, options)
    this.#retention = validate(TelemetryRetentionSchema, options.retention ?? {}, 'telemetry.open', this.context)
  }

  /**
   * Opens (creating and migrating if needed) telemetry.db at `path`, or an in-memory
   * database with `':memory:'`.
   * The file is created if missing, its directory is not: a missing directory is
   * `NOT_FOUND` (create it first; `CleoWorkspace.open` creates its own). Opening is the opt-in: do it only when the user agreed.
   *
   * @example
   * ```ts
   * const telemetry = await TelemetryRepository.open(join(globalDir, 'telemetry.db'), { retention: { maxRows: 10_000 } })
   * ```
   */
  static async open(path: string, options: TelemetryRepositoryOptions = {}): Promise<TelemetryRepository> {
    checkOptions(repositoryOptionsSchema({ retention: TelemetryRetentionSchema.optional() }), options, 'TelemetryRepository.open', {
      store: TELEMETRY_STORE.name,
    })
    const db = await openStoreDatabase<TelemetryDatabase>(TELEMETRY_STORE, path, options)
    try {
      return new TelemetryRepository(db, options)
    } catch (error) {
      await db.close()
      throw error
    }
  }

  /** The retention in force. */
  get retention(): TelemetryRetention {
    return this.#retention
  }

  /** False after {@link optOut}: nothing is written any more through this handle. */
  get enabled(): boolean {
    return !this.#optedOut && !this.closed
  }

  /**
   * Records one event, unless this handle was opted out (then nothing is written and
   * false is returned). The input is validated first even then: an event that carries
   * anything but the allowed fields is a `VALIDATION` error, never stored.
   *
   * @example
   * ```ts
   * await telemetry.record({ command: 'tasks.add', domain: 'tasks', operation: 'add', durationMs: 14, exitCode: 1, errorCode: 'VALIDATION' })
   * ```
   */
  async record(event: TelemetryEventInput): Promise<boolean> {
    const parsed = validate(TelemetryEventInputSchema, event, 'telemetry.record', this.context)
    if (this.#optedOut) return false
    const { db } = this
    this.#installId = await db.write(() => {
      const now = this.clock()
      const anonymousId = this.#ensureInstallId(now)
      db.run(INSERT, {
        anonymous_id: anonymousId,
        command: parsed.command,
        domain: parsed.domain,
        operation: parsed.operation,
        duration_ms: parsed.durationMs,
        exit_code: parsed.exitCode,
        error_code: parsed.errorCode ?? null,
        occurred_at: now,
      })
      if (++this.#sincePrune >= PRUNE_EVERY) {
        this.#pruneInTransaction(this.#retention, now)
        this.#sincePrune = 0
      }
      return anonymousId
    })
    return true
  }

  /**
   * The anonymous install id stamped on events: a random UUID created with the first
   * event, not derived from the machine, user or project; a new one after
   * `optOut({ deleteData: true })`. Null before the first event.
   *
   * @example
   * ```ts
   * await telemetry.installId() // '3b241101-e2bb-4255-8caf-4136c566a962'
   * ```
   */
  async installId(): Promise<string | null> {
    if (this.#installId !== undefined) return this.#installId
    const row = await this.db.read(() => this.db.get(GET_META, { key: INSTALL_ID_KEY }))
    return row?.value ?? null
  }

  /**
   * Count, p50/p95/mean/max duration and error rate per command and window (UTC-aligned
   * `hour`, `day` or `week` buckets, or `all` for the whole range), computed in SQL.
   *
   * @example
   * ```ts
   * const daily = await telemetry.aggregate({ window: 'day', since: Date.now() - 7 * 86_400_000 })
   * daily.filter((a) => a.errorRate > 0.1)
   * ```
   */
  async aggregate(options: TelemetryAggregateOptions = {}): Promise<TelemetryAggregate[]> {
    const o = validate(TelemetryAggregateOptionsSchema, options, 'telemetry.aggregate', this.context)
    const since = o.since === undefined ? null : toTime(o.since)
    const until = o.until === undefined ? null : toTime(o.until)
    const w = WINDOW_MS[o.window]
    const command = o.command ?? null
    const rows = await sql<{
      command: string
      bucket: number
      count: number
      errors: number
      p50: number
      p95: number
      mean: number
      max: number
    }>`WITH e AS (
        SELECT command,
               CASE WHEN ${w} = 0 THEN 0 ELSE (occurred_at / CAST(${w} AS INTEGER)) * CAST(${w} AS INTEGER) END AS bucket,
               duration_ms, exit_code
        FROM telemetry_events
        WHERE (${since} IS NULL OR occurred_at >= ${since})
          AND (${until} IS NULL OR occurred_at < ${until})
          AND (${command} IS NULL OR command = ${command})
      ), ranked AS (
        SELECT command, bucket, duration_ms, exit_code,
               ROW_NUMBER() OVER (PARTITION BY command, bucket ORDER BY duration_ms) AS rn,
               COUNT(*) OVER (PARTITION BY command, bucket) AS n
        FROM e
      )
      SELECT command, bucket, MAX(n) AS count, SUM(exit_code <> 0) AS errors,
             MAX(CASE WHEN rn = (n * 50 + 99) / 100 THEN duration_ms END) AS p50,
             MAX(CASE WHEN rn = (n * 95 + 99) / 100 THEN duration_ms END) AS p95,
             AVG(duration_ms) AS mean, MAX(duration_ms) AS max
      FROM ranked
      GROUP BY command, bucket
      ORDER BY bucket, command`.execute(this.db.kysely)
    return rows.rows.map((row) => ({
      command: row.command,
      windowStart: w === 0 ? (since === null ? null : toIso(since)) : toIso(row.bucket),
      windowEnd: w === 0 ? (until === null ? null : toIso(until)) : toIso(row.bucket + w),
      count: Number(row.count),
      errorCount: Number(row.errors),
      errorRate: Number(row.errors) / Number(row.count),
      p50DurationMs: Number(row.p50),
      p95DurationMs: Number(row.p95),
      meanDurationMs: Number(row.mean),
      maxDurationMs: Number(row.max),
    }))
  }

  /**
   * The newest stored events (at most `limit`, default 100): lets a user see exactly
   * what was collected.
   *
   * @example
   * ```ts
   * for (const e of await telemetry.recent(10)) console.log(e.command, e.durationMs)
   * ```
   */
  async recent(limit = 100): Promise<TelemetryEvent[]> {
    const rows = await this.db.read(() => this.db.all(RECENT, { limit: Math.max(1, Math.min(10_000, Math.floor(limit))) }))
    return rows.map((row) => ({
      id: row.id,
      anonymousId: row.anonymous_id,
      command: row.command,
      domain: row.domain,
      operation: row.operation,
      durationMs: row.duration_ms,
      exitCode: row.exit_code,
      errorCode: row.error_code,
      occurredAt: toIso(row.occurred_at),
    }))
  }

  /**
   * Number of stored events.
   *
   * @example
   * ```ts
   * await telemetry.count() // 1234
   * ```
   */
  async count(): Promise<number> {
    const row = await this.db.read(() => this.db.get(COUNT))
    return Number(row?.n ?? 0)
  }

  /**
   * Applies retention now: deletes events older than `maxAgeMs`, then all but the newest
   * `maxRows`. Uses the repository's retention unless one is given. Works after opt-out
   * too (it only deletes).
   *
   * @example
   * ```ts
   * await telemetry.prune({ maxAgeMs: 7 * 86_400_000 })
   * ```
   */
  async prune(retention: Partial<TelemetryRetention> = {}): Promise<TelemetryPruneResult> {
    const policy = validate(TelemetryRetentionSchema, { ...this.#retention, ...retention }, 'telemetry.prune', this.context)
    return this.db.write(() => {
      this.#sincePrune = 0
      return this.#pruneInTransaction(policy, this.clock())
    })
  }

  /**
   * Opts out: from now on {@link record} writes nothing through this handle (shared by
   * every workspace of this process that opted in to the same global directory). With
   * `deleteData: true` every event and the install id are deleted, the file is vacuumed
   * and its WAL truncated, so the data does not linger in free pages. To opt out for
   * good, stop passing `telemetry: true` to `CleoWorkspace.open`; to remove the file
   * itself, close the workspaces and call `CleoWorkspace.deleteTelemetry`.
   *
   * @example
   * ```ts
   * const { deleted } = await ws.telemetry!.optOut({ deleteData: true })
   * ```
   */
  async optOut(options: { deleteData?: boolean } = {}): Promise<{ deleted: number }> {
    this.#optedOut = true
    if (!options.deleteData) return { deleted: 0 }
    const deleted = await this.db.write(() => {
      this.db.run(DELETE_META, { key: INSTALL_ID_KEY })
      return this.db.run(DELETE_ALL).changes
    })
    this.#installId = undefined
    await sql`VACUUM`.execute(this.db.kysely)
    if (this.path !== ':memory:') await sql`PRAGMA wal_checkpoint(TRUNCATE)`.execute(this.db.kysely)
    return { deleted }
  }

  /**
   * Undoes {@link optOut} for this handle (the user opted in again).
   *
   * @example
   * ```ts
   * telemetry.optIn()
   * ```
   */
  optIn(): void {
    this.#optedOut = false
  }

  #ensureInstallId(now: number): string {
    if (this.#installId !== undefined) return this.#installId
    this.db.run(PUT_META_IF_ABSENT, { key: INSTALL_ID_KEY, value: randomUUID(), updated_at: now })
    return this.db.get(GET_META, { key: INSTALL_ID_KEY })!.value
  }

  #pruneInTransaction(policy: TelemetryRetention, now: number): TelemetryPruneResult {
    const deletedByAge = this.db.run(PRUNE_AGE, { cutoff: now - policy.maxAgeMs }).changes
    const deletedByCount = this.db.run(PRUNE_COUNT, { keep: policy.maxRows }).changes
    return { deletedByAge, deletedByCount }
  }
}
