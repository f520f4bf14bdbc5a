/**
 * One open SQLite database: the node:sqlite connection, its statement cache, its
 * lock, a Kysely instance over the same connection, and the transaction rules of
 * DESIGN §4 (every write `BEGIN IMMEDIATE`, whole-transaction retry on BUSY).
 *
 * @module
 */
import { AsyncLocalStorage } from 'node:async_hooks'

import type { Compilable } from 'kysely'
import { CompiledQuery, Kysely } from 'kysely'
import type { Transaction } from 'kysely'

import type { ErrorContext } from './errors.js'
import { CleoStoreError, toCleoStoreError } from './errors.js'
import type { BusyRetryPolicy } from './busy-retry.js'
import { DEFAULT_BUSY_RETRY, retryWhileBusy } from './busy-retry.js'
import { announceCommit, ChangeWatch } from './change-watch.js'
import { Mutex } from './mutex.js'
import type { ConnectionHost } from './node-sqlite-driver.js'
import { toSqlValue } from './node-sqlite-driver.js'
import { NodeSqliteDialect } from './node-sqlite-dialect.js'
import type { DatabaseSync, SqlValue, StatementSync } from './node-sqlite.js'
import type { QueryTemplate } from './query-template.js'
import { isTemplate } from './query-template.js'
import type { CachedStatement, RowReader } from './statement-cache.js'
import { rowReader, StatementCache } from './statement-cache.js'
import type { IntegrityReport } from './integrity-report.js'
export type { IntegrityReport } from './integrity-report.js'

/** Anything the database can execute: a template, a Kysely builder, or a compiled query. */
export type Query<R> = QueryTemplate<any, R> | Compilable<R> | CompiledQuery<R>

/**
 * A raw SQL statement with positional `?` parameters, typed by its row. For fixed
 * SQL the builder cannot express (PRAGMAs, virtual tables); never for user text.
 */
export function rawQuery<R = Record<string, unknown>>(text: string, parameters: readonly unknown[] = []): CompiledQuery<R> {
  return CompiledQuery.raw(text, [...parameters]) as CompiledQuery<R>
}

/** What a write statement changed. */
export interface RunResult {
  /** Rows inserted, updated or deleted. */
  readonly changes: number
  /** Rowid of the last inserted row. */
  readonly lastInsertRowid: number
}

export { BUSY_SLICE_MS, DEFAULT_BUSY_RETRY, backoffDelay, retryWhileBusy } from './busy-retry.js'
export type { BusyRetryPolicy } from './busy-retry.js'

/**
 * Rows of a reader whose column count changed (the schema changed under a
 * `SELECT *`; SQLite re-prepared it): built from the statement's current columns,
 * never by running it again (it may have written). The reader is remade on next use.
 */
function staleRows(entry: CachedStatement, reader: RowReader, rows: readonly unknown[][]): Array<Record<string, unknown>> {
  entry.reader = undefined
  const names = reader.statement.columns().map((column) => column.name)
  return rows.map((values) => {
    const row: Record<string, unknown> = {}
    for (let i = 0; i < names.length; i++) {
      Object.defineProperty(row, names[i]!, { value: values[i], enumerable: true, writable: true, configurable: true })
    }
    return row
  })
}

function isPromiseLike(value: unknown): value is PromiseLike<unknown> {
  return typeof value === 'object' && value !== null && typeof (value as { then?: unknown }).then === 'function'
}

/**
 * Which {@link SqliteDatabase.batch} callback the current async flow runs in: calls
 * made from it join its transaction; calls from elsewhere wait for it to end.
 */
const batchScope = new AsyncLocalStorage<object>()

/** Construction parameters of {@link SqliteDatabase}; use `openDatabase` instead. */
export interface SqliteDatabaseProps {
  readonly connection: DatabaseSync
  readonly context: Required<ErrorContext>
  readonly statementCacheSize?: number
  readonly busyRetry?: Partial<BusyRetryPolicy>
}

/**
 * An open database. Repositories run their SQL through it:
 * - `all`/`get`/`run` execute synchronously on the cached prepared statement
 *   (callers are inside `read`/`write`, which hold the connection's lock);
 * - `write(fn)` runs a synchronous `fn` inside `BEGIN IMMEDIATE … COMMIT`, rolls back
 *   on any throw, and retries the whole transaction on BUSY;
 * - `kysely` is a Kysely instance over the same connection, for asynchronous work.
 *
 * @example
 * ```ts
 * const db = await openDatabase<MyDb>('/tmp/x.db', { store: MY_STORE })
 * const id = await db.write(() => db.run(INSERT_ROW, { name: 'a' }).lastInsertRowid)
 * const row = await db.read(() => db.get(GET_ROW, { id }))
 * await db.close()
 * ```
 */
export class SqliteDatabase<DB> implements ConnectionHost {
  readonly connection: DatabaseSync
  readonly statements: StatementCache
  readonly mutex = new Mutex()
  readonly context: Required<ErrorContext>
  /** Kysely over this connection (transactions begin IMMEDIATE; errors are translated). */
  readonly kysely: Kysely<DB>
  readonly #retry: BusyRetryPolicy
  /** The BUSY retry policy (the Kysely driver uses it for statements outside transactions). */
  get busyRetry(): BusyRetryPolicy {
    return this.#retry
  }
  readonly #begin: StatementSync
  readonly #commit: StatementSync
  readonly #rollback: StatementSync
  readonly #savepoint: StatementSync
  readonly #releaseSavepoint: StatementSync
  readonly #rollbackToSavepoint: StatementSync
  /** The open batch (see {@link batch}): its scope token. */
  #batch: object | null = null
  #closed = false
  /** Created on first use of {@link changes} (issue 20). */
  #changes: ChangeWatch | undefined
  /** The close under way (see {@link close}): every call waits for the same one. */
  #closing: Promise<void> | undefined

  constructor(props: SqliteDatabaseProps) {
    this.connection = props.connection
    this.context = props.context
    this.statements = new StatementCache(props.connection, props.statementCacheSize)
    this.#retry = Object.freeze({ ...DEFAULT_BUSY_RETRY, ...props.busyRetry })
    this.kysely = new Kysely<DB>({ dialect: new NodeSqliteDialect(this) })
    this.#begin = props.connection.prepare('BEGIN IMMEDIATE')
    this.#commit = props.connection.prepare('COMMIT')
    this.#rollback = props.connection.prepare('ROLLBACK')
    this.#savepoint = props.connection.prepare('SAVEPOINT cleo_batch_step')
    this.#releaseSavepoint = props.connection.prepare('RELEASE cleo_batch_step')
    this.#rollbackToSavepoint = props.connection.prepare('ROLLBACK TO cleo_batch_step')
  }

  /**
   * True when the caller runs inside this database's open {@link batch} callback
   * (its statements then join the batch's transaction instead of waiting for it).
   */
  joinsBatch(): boolean {
    // Outside every batch callback the scope is undefined, never null: no open batch, no match.
    return batchScope.getStore() === this.#batch
  }

  /** Runs `fn` inside the open batch, outside any savepoint (reads). */
  #inBatch<T>(fn: () => T): Promise<T> {
    try {
      return Promise.resolve(fn())
    } catch (error) {
      return Promise.reject(toCleoStoreError(error, this.context))
    }
  }

  /** Runs the write `fn` inside the open batch, in a savepoint: a failed step leaves nothing behind. */
  #stepInBatch<T>(fn: () => T): Promise<T> {
    try {
      this.#savepoint.run()
    } catch (error) {
      return Promise.reject(toCleoStoreError(error, this.context))
    }
    try {
      const result = fn()
      if (isPromiseLike(result)) throw new CleoStoreError('INTERNAL', 'write() callback must be synchronous', this.context)
      this.#releaseSavepoint.run()
      return Promise.resolve(result)
    } catch (error) {
      try {
        this.#rollbackToSavepoint.run()
        this.#releaseSavepoint.run()
      } catch {
        // The original error matters.
      }
      return Promise.reject(toCleoStoreError(error, this.context))
    }
  }

  /**
   * Runs the asynchronous `fn` as one write transaction (`BEGIN IMMEDIATE` … `COMMIT`):
   * every `read`, `snapshot` and `write` made from inside `fn` (its async flow) joins
   * it — each `write` in a savepoint, so a step that throws leaves nothing behind and
   * `fn` may catch it and go on — and when `fn` throws (or rejects) everything is
   * rolled back. Calls from other async flows wait until it ends. A batch inside a
   * batch joins the outer one. Only the `BEGIN` is retried on BUSY (nothing has run
   * yet then); `fn` runs once.
   *
   * Hold it briefly: the write lock is held while `fn` awaits.
   *
   * @example
   * ```ts
   * await db.batch(async () => {
   *   await db.write(() => db.run(INSERT_ROW, { name: 'a' }))
   *   await db.write(() => db.run(INSERT_ROW, { name: 'b' }))
   * }) // both rows, or neither
   * ```
   */
  async batch<T>(fn: () => Promise<T> | T): Promise<T> {
    if (this.joinsBatch()) return fn()
    await this.#retryOnBusy(async () => {
      await this.#lock()
      if (this.connection.isTransaction) {
        this.mutex.release()
        throw new CleoStoreError('INTERNAL', 'batch() called while a transaction is open on this connection', this.context)
      }
      try {
        this.#begin.run()
      } catch (error) {
        this.mutex.release()
        throw error
      }
    })
    const token = {}
    this.#batch = token
    try {
      const result = await batchScope.run(token, fn)
      this.#batch = null
      this.#commit.run()
      this.committed()
      return result
    } catch (error) {
      this.#batch = null
      try {
        this.#rollback.run()
      } catch {
        // The original error matters; SQLite may already have rolled back (or the connection is closed).
      }
      // The caller's own errors pass through unchanged; SQLite's are translated.
      const sqliteError = error instanceof Error && (error as { code?: unknown }).code === 'ERR_SQLITE_ERROR'
      throw sqliteError ? toCleoStoreError(error, this.context) : error
    } finally {
      this.mutex.release()
    }
  }

  // ── wake-ups (issue 20) ──
  /**
   * The change watch of this database: waiters subscribe to it and are woken by
   * this process's commits at once and by other processes' through `PRAGMA
   * data_version` (see `change-watch.ts`).
   */
  get changes(): ChangeWatch {
    if (this.#changes === undefined) {
      this.#changes = new ChangeWatch(this)
      if (this.#closed) this.#changes.close(this.#closedError())
    }
    return this.#changes
  }

  /** Called after every commit on this connection: wakes the waiters of this file in this process. */
  committed(): void {
    announceCommit(this.context.file, this.#changes)
  }

  #closedError(): CleoStoreError {
    return new CleoStoreError('CLOSED', `${this.context.store} store is closed (${this.context.file})`, this.context)
  }

  /** Absolute path of the file, or `:memory:`. */
  get path(): string {
    return this.context.file
  }

  /** True once {@link close} was called. */
  get closed(): boolean {
    return this.#closed
  }

  #assertOpen(): void {
    if (this.#closed) throw this.#closedError()
  }

  /** The cached statement for a query, and its bound parameters in `this.#params`. */
  #params: SqlValue[] = []
  #statement<R>(query: Query<R>, args: unknown): StatementSync {
    return this.#entry(query, args).statement
  }

  #entry<R>(query: Query<R>, args: unknown): CachedStatement {
    this.#assertOpen()
    if (isTemplate(query)) {
      this.#params = query.bind(args)
      return this.statements.get(query.sql)
    }
    const compiled = 'compile' in query ? query.compile() : query
    this.#params = compiled.parameters.map(toSqlValue)
    return this.statements.get(compiled.sql)
  }

  /** The array-returning twin of a row-returning statement (see {@link RowReader}), or null. */
  #reader(entry: CachedStatement): RowReader | null {
    if (entry.reader === undefined) entry.reader = entry.returnsRows ? rowReader(this.connection, entry.statement.sourceSQL) : null
    return entry.reader
  }

  /** Runs a row-returning query and returns every row. */
  all<R>(query: Query<R>, args?: unknown): R[] {
    try {
      const entry = this.#entry(query, args)
      const reader = this.#reader(entry)
      if (reader === null) return entry.statement.all(...this.#params) as R[]
      const rows = reader.statement.all(...this.#params) as unknown as unknown[][]
      if (rows.length > 0 && rows[0]!.length !== reader.width) return staleRows(entry, reader, rows) as R[]
      const out = new Array<R>(rows.length)
      for (let i = 0; i < rows.length; i++) out[i] = reader.toRow(rows[i]!) as R
      return out
    } catch (error) {
      throw toCleoStoreError(error, this.context)
    }
  }

  /** Runs a row-returning query and returns the first row, or `undefined`. */
  get<R>(query: Query<R>, args?: unknown): R | undefined {
    try {
      const entry = this.#entry(query, args)
      const reader = this.#reader(entry)
      if (reader === null) return entry.statement.get(...this.#params) as R | undefined
      const row = reader.statement.get(...this.#params) as unknown as unknown[] | undefined
      if (row !== undefined && row.length !== reader.width) return staleRows(entry, reader, [row])[0] as R
      return row === undefined ? undefined : (reader.toRow(row) as R)
    } catch (error) {
      throw toCleoStoreError(error, this.context)
    }
  }

  /** Runs a statement for its effect. */
  run(query: Query<unknown>, args?: unknown): RunResult {
    try {
      const { changes, lastInsertRowid } = this.#statement(query, args).run(...this.#params)
      return { changes: Number(changes), lastInsertRowid: Number(lastInsertRowid) }
    } catch (error) {
      throw toCleoStoreError(error, this.context)
    }
  }

  /** Executes SQL text without parameters (several statements allowed). */
  exec(sql: string): void {
    this.#assertOpen()
    try {
      this.connection.exec(sql)
    } catch (error) {
      throw toCleoStoreError(error, this.context)
    }
  }

  /** Reads one PRAGMA value (`pragma('journal_mode')` → `'wal'`). */
  pragma(name: string): unknown {
    if (!/^[a-z_]+$/.test(name)) throw new CleoStoreError('VALIDATION', `not a pragma name: ${name}`, this.context)
    const row = this.get(rawQuery(`PRAGMA ${name}`))
    return row === undefined ? undefined : Object.values(row)[0]
  }

  async #lock(): Promise<void> {
    this.#assertOpen()
    await this.mutex.acquire()
  }

  /** Runs `fn` holding the connection (which must be free); releases it; never throws. */
  #settle<T>(fn: () => T): Promise<T> {
    try {
      return Promise.resolve(fn())
    } catch (error) {
      return Promise.reject(toCleoStoreError(error, this.context))
    } finally {
      this.mutex.release()
    }
  }

  /**
   * Runs `fn` holding the connection, outside any transaction: for reads that are a
   * single statement (each statement sees a consistent snapshot on its own). When the
   * connection is free, `fn` runs at once, synchronously.
   */
  read<T>(fn: () => T): Promise<T> {
    if (!this.#closed && this.mutex.tryAcquire()) return this.#settle(fn)
    if (this.joinsBatch()) return this.#inBatch(fn)
    return this.#lock().then(() => this.#settle(fn))
  }

  /** Runs `fn` inside a deferred (read) transaction: several statements, one snapshot. */
  async snapshot<T>(fn: () => T): Promise<T> {
    if (this.joinsBatch()) return this.#inBatch(fn)
    await this.#lock()
    try {
      this.connection.exec('BEGIN DEFERRED')
      try {
        const result = fn()
        this.#commit.run()
        return result
      } catch (error) {
        if (this.connection.isTransaction) this.#rollback.run()
        throw error
      }
    } catch (error) {
      throw toCleoStoreError(error, this.context)
    } finally {
      this.mutex.release()
    }
  }

  #retryOnBusy<T>(attempt: () => Promise<T>): Promise<T> {
    return retryWhileBusy(attempt, this.#retry, this.context)
  }

  /**
   * Runs the synchronous `fn` in one write transaction: `BEGIN IMMEDIATE`, `fn()`,
   * `COMMIT`. Any throw rolls everything back and is rethrown as a `CleoStoreError`.
   * When the write lock is not granted (BUSY), the whole transaction is retried with
   * jittered backoff until the busy timeout has passed; then `BUSY` is thrown. Nothing
   * is reported as written without a COMMIT. When the connection is free, `fn` runs and
   * commits at once, synchronously.
   *
   * `fn` must be synchronous: do asynchronous work (embedding, I/O) before.
   */
  write<T>(fn: () => T): Promise<T> {
    // Fast path: the connection is free and the lock is granted at once.
    if (!this.#closed && this.mutex.tryAcquire()) {
      try {
        return Promise.resolve(this.#transaction(fn))
      } catch (error) {
        const translated = toCleoStoreError(error, this.context)
        if (translated.code !== 'BUSY') return Promise.reject(translated)
      } finally {
        this.mutex.release()
      }
    }
    if (this.joinsBatch()) return this.#stepInBatch(fn)
    return this.#retryOnBusy(async () => {
      await this.#lock()
      try {
        return this.#transaction(fn)
      } finally {
        this.mutex.release()
      }
    })
  }

  /**
   * Runs an asynchronous Kysely transaction (begun IMMEDIATE) with the same BUSY
   * retry as {@link write}. Prefer `write` with synchronous statements on hot paths;
   * use this for code that must also run on other Kysely dialects.
   */
  transaction<T>(fn: (trx: Transaction<DB>) => Promise<T>): Promise<T> {
    this.#assertOpen()
    return this.#retryOnBusy(() => this.kysely.transaction().execute(fn))
  }

  #transaction<T>(fn: () => T): T {
    if (this.connection.isTransaction) {
      throw new CleoStoreError('INTERNAL', 'write() called while a transaction is open on this connection', this.context)
    }
    this.#begin.run()
    try {
      const result = fn()
      if (isPromiseLike(result)) {
        throw new CleoStoreError('INTERNAL', 'write() callback must be synchronous', this.context)
      }
      this.#commit.run()
      this.committed()
      return result
    } catch (error) {
      try {
        this.#rollback.run()
      } catch {
        // The original error matters; SQLite may already have rolled back (or the connection is closed).
      }
      throw error
    }
  }

  /**
   * Runs SQLite's `integrity_check` (or the faster `quick_check`) and `foreign_key_check`.
   */
  integrityCheck(options: { quick?: boolean } = {}): Promise<IntegrityReport> {
    const pragma = options.quick ? 'quick_check' : 'integrity_check'
    return this.read(() => {
      const problems = this.all(rawQuery<Record<string, unknown>>(`PRAGMA ${pragma}`))
        .map((row) => String(Object.values(row)[0]))
        .filter((message) => message !== 'ok')
      const foreignKeyViolations = this.all(
        rawQuery<{ table: string; rowid: number | null; parent: string }>('PRAGMA foreign_key_check'),
      ).map(({ table, rowid, parent }) => ({ table, rowid, parent }))
      return { ok: problems.length === 0 && foreignKeyViolations.length === 0, problems, foreignKeyViolations }
    })
  }

  /**
   * Closes the connection once every queued operation finished. Idempotent: a later
   * call resolves when the first one has closed the connection. Runs `PRAGMA optimize`
   * first (cheap; keeps the planner's statistics fresh).
   */
  close(): Promise<void> {
    this.#closing ??= this.#close()
    return this.#closing
  }

  async #close(): Promise<void> {
    this.#closed = true
    this.#changes?.close(this.#closedError())
    await this.mutex.acquire()
    try {
      if (this.connection.isOpen) {
        // A :memory: database dies with its connection: its statistics would be lost.
        if (this.path !== ':memory:') {
          try {
            this.connection.exec('PRAGMA optimize')
          } catch {
            // Best effort: a read-only or full database still closes.
          }
        }
        this.statements.clear()
        this.connection.close()
      }
    } finally {
      this.mutex.release()
    }
  }
}
