/**
 * A Kysely driver for `node:sqlite`. Unlike `kysely-node-sqlite` 1.1.0, it decides
 * whether a statement returns rows from `StatementSync.columns()` — so
 * `INSERT/UPDATE/DELETE … RETURNING`, raw `sql` selects and PRAGMA reads all return
 * their rows — and it translates every SQLite error into a `CleoStoreError`.
 *
 * @module
 */
import type {
  CompiledQuery,
  DatabaseConnection,
  Driver,
  QueryResult,
  TransactionSettings,
} from 'kysely'
import { CompiledQuery as Compiled } from 'kysely'

import type { ErrorContext } from './errors.js'
import { CleoStoreError, toCleoStoreError } from './errors.js'
import type { BusyRetryPolicy } from './busy-retry.js'
import { DEFAULT_BUSY_RETRY, retryWhileBusy } from './busy-retry.js'
import type { Mutex } from './mutex.js'
import type { DatabaseSync, SqlValue } from './node-sqlite.js'
import { textNulSafe } from './node-sqlite.js'
import type { StatementCache } from './statement-cache.js'

/** What a driver needs from the connection's owner: the handle, its statement cache and its lock. */
export interface ConnectionHost {
  readonly connection: DatabaseSync
  readonly statements: StatementCache
  readonly mutex: Mutex
  readonly context: ErrorContext
  /** How long a statement outside a transaction (and `BEGIN`) waits for the lock (default 5000 ms). */
  readonly busyRetry?: BusyRetryPolicy
  /** True when the caller runs inside the host's open batch: its queries join it without taking the lock. */
  joinsBatch?(): boolean
  /** Called after a commit (a transaction's, or a lone write's): wakes waiters (issue 20). */
  committed?(): void
}

/** Statements that never write (no wake-up after them). */
const READ_ONLY_SQL = /^\s*(select|pragma|explain|values)\b/i

/**
 * Converts a JavaScript value to one node:sqlite can bind. node:sqlite binds every
 * JavaScript number as a REAL, so `? / 2` divides as floats and virtual tables (FTS5,
 * vec0) see `rowid = 5.0`; integers are therefore bound as 64-bit integers (BigInt).
 * Booleans become 0/1, `undefined` becomes NULL, everything else passes through
 * (node:sqlite rejects what it cannot bind).
 */
export function toSqlValue(value: unknown): SqlValue {
  if (typeof value === 'number') return Number.isSafeInteger(value) ? BigInt(value) : value
  if (typeof value === 'string' && !textNulSafe() && value.includes('\u0000')) {
    throw new CleoStoreError(
      'UNSUPPORTED',
      `text containing a NUL character would be cut short when read back on Node ${process.versions.node}; use Node >= 24 or remove the NUL`,
    )
  }
  if (typeof value === 'boolean') return value ? 1n : 0n
  if (value === undefined) return null
  return value as SqlValue
}

function bindAll(parameters: ReadonlyArray<unknown>): SqlValue[] {
  // Stryker disable next-line ArrayDeclaration: pre-sized for speed; the loop fills every index either way
  const out = new Array<SqlValue>(parameters.length)
  for (let i = 0; i < parameters.length; i++) out[i] = toSqlValue(parameters[i])
  return out
}

/** Quotes an SQL identifier (a savepoint name). */
function quoteIdentifier(name: string): string {
  return `"${name.replace(/"/g, '""')}"`
}

class NodeSqliteConnection implements DatabaseConnection {
  readonly #host: ConnectionHost

  constructor(host: ConnectionHost) {
    this.#host = host
  }

  async executeQuery<R>(compiledQuery: CompiledQuery): Promise<QueryResult<R>> {
    const host = this.#host
    // A statement outside a transaction (a lone autocommit write, or the BEGIN of a
    // transaction) can simply be run again when the database is busy; inside a
    // transaction BUSY goes up, and the whole transaction is retried by its owner.
    if (!host.connection.isTransaction) {
      const result = await retryWhileBusy(() => this.#execute<R>(compiledQuery), host.busyRetry ?? DEFAULT_BUSY_RETRY, {
        store: host.context.store ?? 'sqlite',
        file: host.context.file ?? '',
      })
      if (!host.connection.isTransaction && !READ_ONLY_SQL.test(compiledQuery.sql)) host.committed?.()
      return result
    }
    return this.#execute<R>(compiledQuery)
  }

  #execute<R>(compiledQuery: CompiledQuery): QueryResult<R> {
    const host = this.#host
    try {
      const { statement, returnsRows } = host.statements.get(compiledQuery.sql)
      const params = bindAll(compiledQuery.parameters)
      if (returnsRows) return { rows: statement.all(...params) as R[] }
      const { changes, lastInsertRowid } = statement.run(...params)
      return { rows: [], numAffectedRows: BigInt(changes), insertId: BigInt(lastInsertRowid) }
    } catch (error) {
      throw toCleoStoreError(error, host.context)
    }
  }

  async *streamQuery<R>(compiledQuery: CompiledQuery, chunkSize = 100): AsyncIterableIterator<QueryResult<R>> {
    const host = this.#host
    let iterator: Iterator<unknown>
    try {
      const { statement } = host.statements.get(compiledQuery.sql)
      iterator = statement.iterate(...bindAll(compiledQuery.parameters))[Symbol.iterator]()
    } catch (error) {
      throw toCleoStoreError(error, host.context)
    }
    const size = Math.max(1, chunkSize)
    for (;;) {
      const rows: R[] = []
      let done = false
      try {
        while (rows.length < size) {
          const next = iterator.next()
          if (next.done) {
            done = true
            break
          }
          rows.push(next.value as R)
        }
      } catch (error) {
        throw toCleoStoreError(error, host.context)
      }
      if (rows.length > 0) yield { rows }
      if (done) return
    }
  }
}

/**
 * The Kysely `Driver` over one node:sqlite connection. The connection is shared
 * with the repositories' synchronous fast paths through the host's mutex, so a
 * Kysely transaction that awaits between statements never interleaves with them.
 * Transactions begin `IMMEDIATE` (read-only ones `DEFERRED`), so a writer takes the
 * write lock up front instead of failing with BUSY when it upgrades later.
 */
export class NodeSqliteDriver implements Driver {
  readonly #host: ConnectionHost
  readonly #connection: NodeSqliteConnection
  /** Handed out inside the host's batch (which holds the lock already): releasing it releases nothing. */
  readonly #batchConnection: NodeSqliteConnection

  constructor(host: ConnectionHost) {
    this.#host = host
    this.#connection = new NodeSqliteConnection(host)
    this.#batchConnection = new NodeSqliteConnection(host)
  }

  async init(): Promise<void> {}

  async acquireConnection(): Promise<DatabaseConnection> {
    if (this.#host.joinsBatch?.() === true) return this.#batchConnection
    await this.#host.mutex.acquire()
    return this.#connection
  }

  async beginTransaction(connection: DatabaseConnection, settings: TransactionSettings): Promise<void> {
    const begin = settings.accessMode === 'read only' ? 'BEGIN DEFERRED' : 'BEGIN IMMEDIATE'
    await connection.executeQuery(Compiled.raw(begin))
  }

  async commitTransaction(connection: DatabaseConnection): Promise<void> {
    await connection.executeQuery(Compiled.raw('COMMIT'))
    this.#host.committed?.()
  }

  async rollbackTransaction(connection: DatabaseConnection): Promise<void> {
    await connection.executeQuery(Compiled.raw('ROLLBACK'))
  }

  async savepoint(connection: DatabaseConnection, savepointName: string): Promise<void> {
    await connection.executeQuery(Compiled.raw(`SAVEPOINT ${quoteIdentifier(savepointName)}`))
  }

  async rollbackToSavepoint(connection: DatabaseConnection, savepointName: string): Promise<void> {
    await connection.executeQuery(Compiled.raw(`ROLLBACK TO SAVEPOINT ${quoteIdentifier(savepointName)}`))
  }

  async releaseSavepoint(connection: DatabaseConnection, savepointName: string): Promise<void> {
    await connection.executeQuery(Compiled.raw(`RELEASE SAVEPOINT ${quoteIdentifier(savepointName)}`))
  }

  async releaseConnection(connection: DatabaseConnection): Promise<void> {
    if (connection === this.#batchConnection) return
    this.#host.mutex.release()
  }

  /** The connection belongs to its host, which closes it; nothing to do here. */
  async destroy(): Promise<void> {}
}
