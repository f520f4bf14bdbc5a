/**
 * The PostgreSQL store engine (issue 20): runs the aggregates' transaction bodies
 * (see `src/sqlite/store-engine.ts`) against one store's schema on a server.
 *
 * - **Statements**: a body yields each statement; the engine compiles it for
 *   PostgreSQL (a query template caches its PostgreSQL text next to its SQLite
 *   one), sends it on the transaction's connection and resumes the body with the
 *   rows, or throws the translated error into it. `int8` and `numeric` columns come
 *   back as numbers (epoch milliseconds, ids and counts stay below 2^53), as on SQLite.
 * - **Transactions**: every body runs in a transaction whose first statement sets
 *   `search_path` to the store's schema (`SET LOCAL`: the pool's connections are
 *   left as they were). Writes run `SERIALIZABLE` by default — the same code that
 *   relies on SQLite's single writer stays correct across hosts — and a body that
 *   loses a race (serialization failure, deadlock: `BUSY`) is re-run whole, with
 *   backoff, until the busy timeout. `isolation: 'read committed'` is for bodies
 *   that lock what they take (`FOR UPDATE SKIP LOCKED`). Reads run `REPEATABLE
 *   READ, READ ONLY` (one snapshot, never a serialization failure).
 * - **Batches** (`conduit.transaction(fn)`): one `SERIALIZABLE` transaction on one
 *   connection that the bodies of `fn`'s async flow join, each write in a savepoint,
 *   one body at a time. `fn` runs once: a serialization failure at its end is
 *   reported as `BUSY`, not retried (user code with side effects cannot be re-run).
 * - **Wake-ups**: every write transaction ends with `NOTIFY` on a channel named
 *   after the schema; {@link PostgresChangeSource} `LISTEN`s on one pooled
 *   connection while someone waits.
 *
 * A failed statement aborts a PostgreSQL transaction: a body must not catch a
 * statement's error and go on with more statements (SQLite would let it); the
 * engine reports that as `INTERNAL` rather than PostgreSQL's "current transaction
 * is aborted".
 *
 * @module
 */
import { AsyncLocalStorage } from 'node:async_hooks'

import type { Compilable, CompiledQuery, Kysely, PostgresPool, PostgresPoolClient } from 'kysely'

import type { ChangeListener, ChangeSource } from '../sqlite/change-watch.js'
import type { Query, RunResult } from '../sqlite/database.js'
import { retryWhileBusy } from '../sqlite/database.js'
import type { ErrorContext } from '../sqlite/errors.js'
import { CleoStoreError } from '../sqlite/errors.js'
import { compileOnlyKysely, isTemplate } from '../sqlite/query-template.js'
import type { QueryTemplate } from '../sqlite/query-template.js'
import type { Body, Executor, PendingStatement, Step, StoreEngine, WriteOptions } from '../sqlite/store-engine.js'
import { completeAsync } from '../sqlite/store-engine.js'
import type { ServerDatabase } from '../sqlite/store-repository.js'
import type { PostgresDatabase } from './postgres-database.js'
import { toCleoStoreErrorFromPostgres } from './postgres-errors.js'

/** The type ids whose text node-postgres leaves as a string and cleo-store reads as a number. */
const INT8 = 20
const NUMERIC = 1700
/** `bytea`: node-postgres gives a Buffer; node:sqlite gives a plain Uint8Array, and so does this engine. */
const BYTEA = 17

/** A node-postgres result, as far as the engine reads it. */
interface PgResult {
  readonly rows: Array<Record<string, unknown>>
  readonly rowCount: number | null
  readonly fields: ReadonlyArray<{ readonly name: string; readonly dataTypeID: number }>
}

/** A value as node-postgres takes it: booleans as 0/1 (the schemas keep flags as integers), like on SQLite. */
function toPgValue(value: unknown): unknown {
  if (value === undefined) return null
  if (typeof value === 'boolean') return value ? 1 : 0
  if (typeof value === 'bigint') return value.toString()
  if (value instanceof Uint8Array && !Buffer.isBuffer(value)) return Buffer.from(value.buffer, value.byteOffset, value.byteLength)
  return value
}

/** Rows with `int8`/`numeric` columns as numbers and `bytea` columns as plain Uint8Arrays. */
function numericRows(result: PgResult): Array<Record<string, unknown>> {
  const { rows, fields } = result
  if (rows.length === 0) return rows
  const names: string[] = []
  const binary: string[] = []
  for (const field of fields) {
    if (field.dataTypeID === INT8 || field.dataTypeID === NUMERIC) names.push(field.name)
    else if (field.dataTypeID === BYTEA) binary.push(field.name)
  }
  if (names.length === 0 && binary.length === 0) return rows
  for (const row of rows) {
    for (const name of names) {
      const value = row[name]
      if (typeof value === 'string' || typeof value === 'bigint') row[name] = Number(value)
    }
    for (const name of binary) {
      const value = row[name]
      if (Buffer.isBuffer(value)) row[name] = new Uint8Array(value.buffer, value.byteOffset, value.byteLength)
    }
  }
  return rows
}

/** The PostgreSQL text and parameters of a query. */
function compileForPostgres(query: Query<unknown>, args: unknown): { text: string; values: unknown[] } {
  if (isTemplate(query)) {
    const tpl = query as QueryTemplate<unknown, unknown>
    return { text: tpl.sqlFor('postgres'), values: tpl.bindFor('postgres', args, toPgValue) }
  }
  const compiled: CompiledQuery<unknown> =
    typeof (query as Compilable<unknown>).compile === 'function' ? (query as Compilable<unknown>).compile() : (query as CompiledQuery<unknown>)
  return { text: compiled.sql, values: compiled.parameters.map(toPgValue) }
}

/** The PostgreSQL executor: each step yields its statement to the engine. */
class PostgresExecutor<DB> implements Executor<DB> {
  readonly dialect = 'postgres'

  get kysely(): Kysely<DB> {
    return compileOnlyKysely<DB>('postgres')
  }

  *get<R>(query: Query<R>, args?: unknown): Step<R | undefined> {
    const rows = (yield { method: 'all', query, args }) as R[]
    return rows[0]
  }

  *all<R>(query: Query<R>, args?: unknown): Step<R[]> {
    return (yield { method: 'all', query, args }) as R[]
  }

  *run(query: Query<unknown>, args?: unknown): Step<RunResult> {
    return (yield { method: 'run', query, args }) as RunResult
  }
}

/** The transaction of an open batch: its connection, and the tail of the bodies run on it (one at a time). */
interface BatchScope {
  readonly engine: PostgresStoreEngine<unknown>
  readonly client: PostgresPoolClient
  tail: Promise<unknown>
  savepoints: number
}

const batchScope = new AsyncLocalStorage<BatchScope>()

type Mode = 'read' | 'serializable' | 'read committed'

const BEGIN: Readonly<Record<Mode, string>> = {
  read: 'BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY',
  serializable: 'BEGIN ISOLATION LEVEL SERIALIZABLE',
  'read committed': 'BEGIN ISOLATION LEVEL READ COMMITTED',
}

/** A store engine over one schema of a PostgreSQL server. */
export class PostgresStoreEngine<DB> implements StoreEngine<DB> {
  readonly dialect = 'postgres'
  readonly kysely: Kysely<DB> = compileOnlyKysely<DB>('postgres')
  readonly changes: PostgresChangeSource
  readonly database: PostgresDatabase<DB>
  readonly #x = new PostgresExecutor<DB>()
  readonly #begin: Readonly<Record<Mode, string>>
  readonly #notify: string

  constructor(database: PostgresDatabase<DB>) {
    this.database = database
    // The schema name is a validated lower-case identifier (see openPostgresDatabase): safe to quote as is.
    const schema = `"${database.schema}"`
    const setPath = `; SET LOCAL search_path TO ${schema}`
    this.#begin = {
      read: BEGIN.read + setPath,
      serializable: BEGIN.serializable + setPath,
      'read committed': BEGIN['read committed'] + setPath,
    }
    this.#notify = `NOTIFY ${schema}; COMMIT`
    this.changes = new PostgresChangeSource(database.pool, database.schema, database.context)
  }

  get context(): Required<ErrorContext> {
    return this.database.context
  }

  read<T>(body: Body<DB, T>): Promise<T> {
    return this.#run(body, 'read')
  }

  snapshot<T>(body: Body<DB, T>): Promise<T> {
    return this.#run(body, 'read')
  }

  write<T>(body: Body<DB, T>, options: WriteOptions = {}): Promise<T> {
    return this.#run(body, options.isolation ?? 'serializable')
  }

  joinsBatch(): boolean {
    return batchScope.getStore()?.engine === (this as PostgresStoreEngine<unknown>)
  }

  async batch<T>(fn: () => Promise<T> | T): Promise<T> {
    if (this.joinsBatch()) return fn()
    const client = await retryWhileBusy(() => this.#open('serializable'), this.database.retry, this.context)
    const scope: BatchScope = { engine: this as PostgresStoreEngine<unknown>, client, tail: Promise.resolve(), savepoints: 0 }
    let broken: Error | undefined
    let committing = false
    try {
      const result = await batchScope.run(scope, fn)
      await scope.tail.catch(() => {})
      committing = true
      await this.#query(client, this.#notify)
      return result
    } catch (error) {
      broken = await this.#rollback(client)
      // What `fn` throws reaches the caller unchanged (as on SQLite); the commit's own failure is translated.
      throw committing ? toCleoStoreErrorFromPostgres(error, this.context) : error
    } finally {
      client.release(broken !== undefined)
    }
  }

  async close(): Promise<void> {
    this.changes.close(new CleoStoreError('CLOSED', `${this.context.store} store is closed (${this.context.file})`, this.context))
    await this.database.close()
  }

  #run<T>(body: Body<DB, T>, mode: Mode): Promise<T> {
    const scope = batchScope.getStore()
    if (scope !== undefined && scope.engine === (this as PostgresStoreEngine<unknown>)) return this.#inBatch(scope, body, mode)
    return retryWhileBusy(() => this.#transaction(body, mode), this.database.retry, this.context)
  }

  async #transaction<T>(body: Body<DB, T>, mode: Mode): Promise<T> {
    const client = await this.#open(mode)
    let broken: Error | undefined
    try {
      const result = await this.#drive(client, body)
      await this.#query(client, mode === 'read' ? 'COMMIT' : this.#notify)
      return result
    } catch (error) {
      broken = await this.#rollback(client)
      throw toCleoStoreErrorFromPostgres(error, this.context)
    } finally {
      client.release(broken !== undefined)
    }
  }

  /** A body inside an open batch: after the bodies before it; a write in a savepoint. */
  #inBatch<T>(scope: BatchScope, body: Body<DB, T>, mode: Mode): Promise<T> {
    const run = async (): Promise<T> => {
      if (mode === 'read') return this.#drive(scope.client, body)
      const name = `cleo_step_${++scope.savepoints}`
      await this.#query(scope.client, `SAVEPOINT ${name}`)
      try {
        const result = await this.#drive(scope.client, body)
        await this.#query(scope.client, `RELEASE SAVEPOINT ${name}`)
        return result
      } catch (error) {
        await this.#query(scope.client, `ROLLBACK TO SAVEPOINT ${name}; RELEASE SAVEPOINT ${name}`).catch(() => {})
        throw toCleoStoreErrorFromPostgres(error, this.context)
      }
    }
    const result = scope.tail.then(run, run)
    scope.tail = result.catch(() => {})
    return result
  }

  async #open(mode: Mode): Promise<PostgresPoolClient> {
    if (this.database.closed) {
      throw new CleoStoreError('CLOSED', `${this.context.store} store is closed (${this.context.file})`, this.context)
    }
    let client: PostgresPoolClient
    try {
      client = await this.database.pool.connect()
    } catch (error) {
      throw toCleoStoreErrorFromPostgres(error, this.context)
    }
    try {
      await this.#query(client, this.#begin[mode])
      return client
    } catch (error) {
      client.release(true)
      throw toCleoStoreErrorFromPostgres(error, this.context)
    }
  }

  /** Rolls back; returns the error to destroy the connection with when even that failed. */
  async #rollback(client: PostgresPoolClient): Promise<Error | undefined> {
    try {
      await this.#query(client, 'ROLLBACK')
      return undefined
    } catch (error) {
      return error instanceof Error ? error : new Error(String(error))
    }
  }

  #drive<T>(client: PostgresPoolClient, body: Body<DB, T>): Promise<T> {
    let failed = false
    return completeAsync(body(this.#x), async (statement: PendingStatement) => {
      if (failed) {
        throw new CleoStoreError(
          'INTERNAL',
          'a transaction body ran a statement after one failed: on PostgreSQL a failed statement aborts the transaction',
          this.context,
        )
      }
      try {
        return await this.#execute(client, statement)
      } catch (error) {
        failed = true
        throw toCleoStoreErrorFromPostgres(error, this.context)
      }
    })
  }

  async #execute(client: PostgresPoolClient, statement: PendingStatement): Promise<unknown> {
    const { text, values } = compileForPostgres(statement.query, statement.args)
    const result = (await client.query(text, values)) as unknown as PgResult
    if (statement.method === 'run') return { changes: result.rowCount ?? 0, lastInsertRowid: 0 } satisfies RunResult
    return numericRows(result)
  }

  #query(client: PostgresPoolClient, text: string): Promise<unknown> {
    return client.query(text, [])
  }
}

/**
 * `LISTEN/NOTIFY` behind the wake-ups' {@link ChangeSource}: while at least one
 * waiter is subscribed, one pooled connection listens on the store's channel (the
 * schema name); every write transaction of every host notifies it at commit. Each
 * listener is told `changed` once the `LISTEN` is in place (so a commit between a
 * waiter's first check and the `LISTEN` is never missed) and after each
 * notification; a lost listening connection also reports `changed` and is
 * re-established by the next subscriber.
 */
export class PostgresChangeSource implements ChangeSource {
  readonly #pool: PostgresPool
  readonly #channel: string
  readonly #context: Required<ErrorContext>
  readonly #listeners = new Set<ChangeListener>()
  #client: PostgresPoolClient | undefined
  #connecting: Promise<void> | undefined
  #closed: Error | undefined

  constructor(pool: PostgresPool, channel: string, context: Required<ErrorContext>) {
    this.#pool = pool
    this.#channel = channel
    this.#context = context
  }

  subscribe(listener: ChangeListener): () => void {
    if (this.#closed !== undefined) {
      const error = this.#closed
      queueMicrotask(() => listener.closed(error))
      return () => {}
    }
    this.#listeners.add(listener)
    if (this.#client === undefined && this.#connecting === undefined) this.#connecting = this.#listen()
    return () => {
      if (!this.#listeners.delete(listener) || this.#listeners.size > 0) return
      this.#stop()
    }
  }

  /** Ends every wait with `error` (the store closed). */
  close(error: Error): void {
    if (this.#closed !== undefined) return
    this.#closed = error
    const listeners = [...this.#listeners]
    this.#listeners.clear()
    this.#stop()
    for (const listener of listeners) listener.closed(error)
  }

  #wake(): void {
    for (const listener of [...this.#listeners]) listener.changed()
  }

  async #listen(): Promise<void> {
    let client: PostgresPoolClient | undefined
    try {
      client = await this.#pool.connect()
      this.#attach(client)
      await client.query(`LISTEN "${this.#channel}"`, [])
    } catch (error) {
      this.#connecting = undefined
      if (client !== undefined) {
        this.#detach(client)
        client.release(true)
      }
      const translated = toCleoStoreErrorFromPostgres(error, this.#context)
      const listeners = [...this.#listeners]
      this.#listeners.clear()
      for (const listener of listeners) listener.closed(translated)
      return
    }
    this.#connecting = undefined
    if (this.#listeners.size === 0 || this.#closed !== undefined) {
      await this.#release(client)
      return
    }
    this.#client = client
    this.#wake()
  }

  // The connection goes back to the pool afterwards: what is added here is removed there.
  readonly #onNotification = (message: { channel: string }): void => {
    if (message.channel === this.#channel) this.#wake()
  }

  readonly #onError = (): void => {
    if (this.#client !== undefined) this.#lost(this.#client)
  }

  #attach(client: PostgresPoolClient): void {
    const emitter = client as unknown as NodeJS.EventEmitter
    emitter.on('notification', this.#onNotification)
    emitter.on('error', this.#onError)
  }

  #detach(client: PostgresPoolClient): void {
    const emitter = client as unknown as NodeJS.EventEmitter
    emitter.off('notification', this.#onNotification)
    emitter.off('error', this.#onError)
  }

  #lost(client: PostgresPoolClient): void {
    if (this.#client !== client) return
    this.#client = undefined
    this.#detach(client)
    client.release(true)
    this.#wake()
    if (this.#listeners.size > 0 && this.#closed === undefined) this.#connecting = this.#listen()
  }

  #stop(): void {
    const client = this.#client
    this.#client = undefined
    if (client !== undefined) void this.#release(client)
  }

  async #release(client: PostgresPoolClient): Promise<void> {
    try {
      await client.query(`UNLISTEN "${this.#channel}"`, [])
      this.#detach(client)
      client.release()
    } catch {
      this.#detach(client)
      client.release(true)
    }
  }

}

/**
 * What a repository's base class holds for a store on a server: the database's
 * path, state, Kysely and integrity check; closing it closes the engine (its
 * waits end with `CLOSED`) and the database.
 */
export function serverDatabase<DB>(engine: PostgresStoreEngine<DB>): ServerDatabase<DB> {
  const { database } = engine
  return {
    get path() {
      return database.path
    },
    get closed() {
      return database.closed
    },
    get context() {
      return database.context
    },
    get schemaVersion() {
      return database.schemaVersion
    },
    get kysely() {
      return database.kysely
    },
    integrityCheck: () => database.integrityCheck(),
    close: () => engine.close(),
  }
}
