/**
 * One store on a PostgreSQL server: a Kysely over a node-postgres pool scoped to
 * the store's schema, the transaction rules, and the lifecycle.
 *
 * - **Pool**: pass a connection string (cleo-store creates a `pg.Pool`, imported
 *   lazily, and ends it on `close()`) or your own pool (shared with your code;
 *   cleo-store never ends it).
 * - **Schema**: every table of the store, and its migration bookkeeping, lives in
 *   one schema (default: the store name, e.g. `signaldock`), so it cannot collide
 *   with the application's own `users` or `sessions`.
 * - **Transactions**: writes run `SERIALIZABLE`, reads that need several
 *   statements `REPEATABLE READ READ ONLY` (see {@link PostgresDatabase.transaction}).
 *   A serialization failure or deadlock (`BUSY`) is retried whole, with jittered
 *   backoff, by the engine's `retryWhileBusy`, until `busyTimeoutMs` has passed.
 *
 * @module
 */
import type { Kysely, PostgresPool, Transaction } from 'kysely'
import { Kysely as KyselyClass, sql } from 'kysely'

import type { BusyRetryPolicy } from '../sqlite/busy-retry.js'
import type { IntegrityReport } from '../sqlite/integrity-report.js'
import { retryWhileBusy } from '../sqlite/database.js'
import type { ErrorContext } from '../sqlite/errors.js'
import { CleoStoreError, isCleoStoreError } from '../sqlite/errors.js'
import type { StoreDefinition } from '../sqlite/store-definition.js'
import { loadPg } from './load-pg.js'
import type { PostgresStoreState } from './postgres-dialect.js'
import { CleoPostgresDialect } from './postgres-dialect.js'
import { migratePostgres, verifyPostgresMigrations } from './postgres-migrate.js'
import type { PostgresTarget, PostgresStoreOptions } from './postgres-options.js'
export type { PostgresTarget, PostgresStoreOptions } from './postgres-options.js'

/**
 * The default retry of PostgreSQL transactions (a round trip is slower than a local lock).
 *
 * @example
 * ```ts
 * await SignaldockRepository.openPostgres(url, { busyRetry: { ...DEFAULT_POSTGRES_RETRY, maxDelayMs: 250 } })
 * ```
 */
export const DEFAULT_POSTGRES_RETRY: BusyRetryPolicy = Object.freeze({ timeoutMs: 5000, baseDelayMs: 5, maxDelayMs: 100 })

/** A schema name cleo-store accepts: a plain lower-case identifier, never quoted. */
const SCHEMA_NAME = /^[a-z_][a-z0-9_]{0,62}$/

function isPool(target: unknown): target is PostgresPool {
  return typeof target === 'object' && target !== null && typeof (target as { connect?: unknown }).connect === 'function'
}

/**
 * A printable name of the target, without password or query: what errors show in
 * `file` (`postgres://app@db.example:5432/cloud#signaldock`).
 */
export function describePostgresTarget(target: PostgresTarget, schema: string): string {
  const options: Record<string, unknown> =
    typeof target === 'string' ? { connectionString: target } : ((target as { options?: Record<string, unknown> }).options ?? {})
  const text = (value: unknown) => (typeof value === 'string' || typeof value === 'number' ? String(value) : '')
  let user = text(options['user'])
  let host = text(options['host'])
  let port = text(options['port'])
  let database = text(options['database'])
  const connectionString = options['connectionString']
  if (typeof connectionString === 'string') {
    try {
      const url = new URL(connectionString)
      user = decodeURIComponent(url.username) || user
      host = url.hostname || host
      port = url.port || port
      database = decodeURIComponent(url.pathname.replace(/^\//, '')) || database
    } catch {
      // A key=value connection string: keep what the pool options say.
    }
  }
  return `postgres://${user ? `${user}@` : ''}${host || 'localhost'}${port ? `:${port}` : ''}${database ? `/${database}` : ''}#${schema}`
}

/**
 * One store on a PostgreSQL server. Use {@link openPostgresDatabase}.
 *
 * @example
 * ```ts
 * const db = await openPostgresDatabase<MyDb>(STORE, 'postgres://app@db/cloud', { schema: 'my_store' })
 * await db.transaction(async (trx) => trx.insertInto('t').values({ id: 1 }).execute())
 * await db.close()
 * ```
 */
export class PostgresDatabase<DB> {
  /** Kysely scoped to the store's schema (errors translated; `CLOSED` after close). */
  readonly kysely: Kysely<DB>
  /** Store name and printable target, for errors. */
  readonly context: Required<ErrorContext>
  /** The store's schema. */
  readonly schema: string
  /** The newest migration, applied or verified when the store was opened. */
  readonly schemaVersion: string
  /** True when cleo-store created the pool (and so ends it on close). */
  readonly ownsPool: boolean
  readonly #root: Kysely<DB>
  readonly #pool: PostgresPool
  readonly #state: PostgresStoreState
  readonly #retry: BusyRetryPolicy
  readonly #store: StoreDefinition
  #closing: Promise<void> | undefined

  /** @internal Use {@link openPostgresDatabase}. */
  constructor(props: {
    root: Kysely<DB>
    pool: PostgresPool
    state: PostgresStoreState
    context: Required<ErrorContext>
    schema: string
    store: StoreDefinition
    ownsPool: boolean
    retry: BusyRetryPolicy
  }) {
    this.#root = props.root
    this.#pool = props.pool
    this.#state = props.state
    this.context = props.context
    this.schema = props.schema
    this.#store = props.store
    this.ownsPool = props.ownsPool
    this.#retry = props.retry
    this.kysely = props.root.withSchema(props.schema)
    const names = Object.keys(props.store.migrations).sort()
    this.schemaVersion = names[names.length - 1] ?? ''
  }

  /** @internal The pool (for engines that run their own statements, see `postgres-engine.ts`). */
  get pool(): PostgresPool {
    return this.#pool
  }

  /** @internal The retry policy of {@link transaction}. */
  get retry(): BusyRetryPolicy {
    return this.#retry
  }

  /** The printable target (`postgres://user@host:port/db#schema`). */
  get path(): string {
    return this.context.file
  }

  /** True once {@link close} was called. */
  get closed(): boolean {
    return this.#state.closed
  }

  /**
   * Runs `fn` in one transaction and retries it whole while it fails with `BUSY`
   * (serialization failure, deadlock, lock timeout) until the busy timeout; then
   * throws `BUSY`. `fn` may run more than once: it must touch the database only
   * through `trx`.
   *
   * Isolation: writes run **SERIALIZABLE** — every transaction behaves as if the
   * transactions had run one at a time, which is what SQLite's single writer gives
   * the same code locally; check-then-write steps (is this e-mail taken? does this
   * account exist?) stay correct across hosts without row locks, and PostgreSQL
   * turns a lost race into a serialization failure, which is retried (a unique
   * violation the transaction had checked for is reported as such a failure too).
   * `readOnly` transactions run **REPEATABLE READ, READ ONLY**: one snapshot for
   * all their statements, and never a serialization failure.
   */
  transaction<T>(fn: (trx: Transaction<DB>) => Promise<T>, options: { readOnly?: boolean } = {}): Promise<T> {
    if (this.#state.closed) return Promise.reject(this.#closedError())
    return retryWhileBusy(
      () => {
        const builder = options.readOnly
          ? this.kysely.transaction().setIsolationLevel('repeatable read').setAccessMode('read only')
          : this.kysely.transaction().setIsolationLevel('serializable')
        return builder.execute(fn)
      },
      this.#retry,
      this.context,
    )
  }

  /**
   * What can go wrong with a store on a server: its migrations (checksums, newer
   * ones), constraints left `NOT VALID`, indexes left invalid. PostgreSQL checks
   * foreign keys on every statement, so `foreignKeyViolations` is always empty.
   */
  async integrityCheck(): Promise<IntegrityReport> {
    if (this.#state.closed) throw this.#closedError()
    const problems: string[] = []
    try {
      await verifyPostgresMigrations(this.#root, this.schema, this.#store, this.context)
    } catch (error) {
      if (!isCleoStoreError(error) || !['SCHEMA_TOO_NEW', 'MIGRATION_FAILED', 'WRONG_STORE'].includes(error.code)) throw error
      problems.push(error.message)
    }
    const constraints = await sql<{ name: string; relation: string }>`
      select c.conname as name, c.conrelid::regclass::text as relation
      from pg_constraint c join pg_namespace n on n.oid = c.connamespace
      where n.nspname = ${this.schema} and not c.convalidated`.execute(this.#root)
    for (const row of constraints.rows) problems.push(`constraint ${row.name} of ${row.relation} is not validated`)
    const indexes = await sql<{ name: string }>`
      select c.relname as name
      from pg_index i join pg_class c on c.oid = i.indexrelid join pg_namespace n on n.oid = c.relnamespace
      where n.nspname = ${this.schema} and not (i.indisvalid and i.indisready)`.execute(this.#root)
    for (const row of indexes.rows) problems.push(`index ${row.name} is invalid`)
    return { ok: problems.length === 0, problems, foreignKeyViolations: [] }
  }

  /**
   * Closes the store: new work is refused with `CLOSED`. A pool cleo-store created
   * is ended (after the queries in flight); a pool you passed is left open.
   * Idempotent.
   */
  close(): Promise<void> {
    this.#state.closed = true
    // The pool is ended directly (not through Kysely's destroy), so later calls meet
    // this store's CLOSED rather than Kysely's own error.
    this.#closing ??= this.ownsPool ? this.#pool.end() : Promise.resolve()
    return this.#closing
  }

  #closedError(): CleoStoreError {
    return new CleoStoreError('CLOSED', `${this.context.store} store is closed (${this.context.file})`, this.context)
  }
}

/**
 * A pool cleo-store owns, for a connection string: `poolSize` connections, named
 * `cleo-store <name>` on the server, whose statements wait for a lock at most the
 * busy timeout. Throws `UNSUPPORTED` when the optional peer dependency `pg` is
 * missing.
 *
 * @internal
 */
export async function createPostgresPool(
  connectionString: string,
  options: { poolSize: number; busyTimeoutMs: number; name: string },
  context: ErrorContext,
): Promise<PostgresPool & { end(): Promise<void> }> {
  const pg = await loadPg(context)
  const owned = new pg.Pool({
    connectionString,
    max: options.poolSize,
    application_name: `cleo-store ${options.name}`,
    // A statement waits for a lock at most the busy timeout (0 would mean forever).
    lock_timeout: Math.max(1, options.busyTimeoutMs),
  })
  // An idle client that loses its server emits 'error' on the pool; unheard, that
  // would crash the host process. The next query reports the failure instead (IO).
  owned.on('error', () => {})
  return owned
}

/**
 * Opens (creating its schema and migrating it if needed) the store `store` on a
 * PostgreSQL server. Throws `VALIDATION` (bad target or schema name), `UNSUPPORTED`
 * (`pg` not installed, for a connection string), `IO` (server unreachable),
 * `WRONG_STORE`, `SCHEMA_TOO_NEW`, `MIGRATION_FAILED`.
 *
 * @example
 * ```ts
 * const db = await openPostgresDatabase<SignaldockDatabase>(SIGNALDOCK_STORE, process.env.DATABASE_URL!)
 * ```
 */
export async function openPostgresDatabase<DB>(
  store: StoreDefinition,
  target: PostgresTarget,
  options: PostgresStoreOptions = {},
): Promise<PostgresDatabase<DB>> {
  const schema = options.schema ?? store.name
  const invalid = (message: string, path: string) =>
    new CleoStoreError('VALIDATION', `${store.name}: ${message}`, { store: store.name, file: 'postgres', details: { path: [path] } })
  if (typeof schema !== 'string' || !SCHEMA_NAME.test(schema)) {
    throw invalid(`schema must be a lower-case identifier (letters, digits, _; got ${JSON.stringify(schema)})`, 'schema')
  }
  if (!(typeof target === 'string' && target.trim() !== '') && !isPool(target)) {
    throw invalid('postgres must be a connection string or a pg Pool', 'postgres')
  }
  const busyTimeoutMs = options.busyTimeoutMs ?? DEFAULT_POSTGRES_RETRY.timeoutMs
  if (!Number.isInteger(busyTimeoutMs) || busyTimeoutMs < 0) {
    throw invalid(`busyTimeoutMs must be a non-negative integer (got ${busyTimeoutMs})`, 'busyTimeoutMs')
  }
  const poolSize = options.poolSize ?? 10
  if (!Number.isInteger(poolSize) || poolSize < 1) throw invalid(`poolSize must be a positive integer (got ${poolSize})`, 'poolSize')
  const context = { store: store.name, file: describePostgresTarget(target, schema) }

  const ownsPool = typeof target === 'string'
  const pool: PostgresPool =
    typeof target === 'string'
      ? await createPostgresPool(target, { poolSize, busyTimeoutMs, name: store.name }, context)
      : (target as PostgresPool)
  const state: PostgresStoreState = { closed: false }
  const root = new KyselyClass<DB>({ dialect: new CleoPostgresDialect({ pool, context, state }) })
  const database = new PostgresDatabase<DB>({
    root,
    pool,
    state,
    context,
    schema,
    store,
    ownsPool,
    retry: Object.freeze({ ...DEFAULT_POSTGRES_RETRY, timeoutMs: busyTimeoutMs, ...options.busyRetry }),
  })
  try {
    await migratePostgres(root as Kysely<any>, schema, store, context, { busyTimeoutMs })
    return database
  } catch (error) {
    await database.close().catch(() => {})
    throw error
  }
}
