/**
 * Where a {@link SignaldockRepository} keeps its rows: the local SQLite file (the
 * engine's `StoreRepository`) or a schema on a PostgreSQL server. The aggregates
 * never see the difference: they get a Kysely and a transaction runner.
 *
 * @module
 */
import type { Kysely, Transaction } from 'kysely'

import type { PostgresDatabase } from '../postgres/postgres-database.js'
import type { BusyRetryPolicy } from '../sqlite/busy-retry.js'
import type { IntegrityReport } from '../sqlite/integrity-report.js'
import type { SqliteDatabase } from '../sqlite/database.js'
import { DEFAULT_BUSY_RETRY, retryWhileBusy } from '../sqlite/database.js'
import type { ErrorContext } from '../sqlite/errors.js'
import { DEFAULT_BUSY_TIMEOUT_MS } from '../sqlite/open-database.js'
import type { RepositoryOptions } from '../sqlite/store-repository.js'
import { StoreRepository } from '../sqlite/store-repository.js'
import type { SignaldockTransactionOptions } from './signaldock-context.js'
import type { SignaldockDatabase } from './signaldock.tables.js'
import type { SignaldockDialect } from './signaldock.enums.js'
export type { SignaldockDialect } from './signaldock.enums.js'

/** What the repository needs from its engine. */
export interface SignaldockStorage {
  readonly dialect: SignaldockDialect
  readonly kysely: Kysely<SignaldockDatabase>
  readonly context: Required<ErrorContext>
  readonly path: string
  readonly closed: boolean
  readonly schemaVersion: string
  /** The SQLite store (file operations: backup, `integrity_check`), or null on PostgreSQL. */
  readonly sqlite: StoreRepository<'signaldock'> | null
  transaction<T>(fn: (trx: Transaction<SignaldockDatabase>) => Promise<T>, options: SignaldockTransactionOptions): Promise<T>
  integrityCheck(options: { quick?: boolean }): Promise<IntegrityReport>
  close(): Promise<void>
}

/**
 * signaldock.db as an engine store. Writes go through the engine's
 * `db.transaction` (`BEGIN IMMEDIATE`, BUSY retry); read-only transactions begin
 * `DEFERRED` (no write lock) under the same retry.
 */
export class SqliteSignaldockStore extends StoreRepository<'signaldock'> implements SignaldockStorage {
  override get dialect(): 'sqlite' {
    return 'sqlite'
  }
  readonly #retry: BusyRetryPolicy

  constructor(db: SqliteDatabase<SignaldockDatabase>, options: RepositoryOptions) {
    super(db, options)
    this.#retry = Object.freeze({
      ...DEFAULT_BUSY_RETRY,
      timeoutMs: options.busyTimeoutMs ?? DEFAULT_BUSY_TIMEOUT_MS,
      ...options.busyRetry,
    })
  }

  override get context(): Required<ErrorContext> {
    return super.context
  }

  get sqlite(): StoreRepository<'signaldock'> {
    return this
  }

  transaction<T>(fn: (trx: Transaction<SignaldockDatabase>) => Promise<T>, options: SignaldockTransactionOptions): Promise<T> {
    if (!options.readOnly) return this.db.transaction(fn)
    return retryWhileBusy(() => this.db.kysely.transaction().setAccessMode('read only').execute(fn), this.#retry, this.context)
  }
}

/** signaldock on a PostgreSQL schema. */
export class PostgresSignaldockStore implements SignaldockStorage {
  readonly dialect = 'postgres'
  readonly sqlite = null
  readonly #db: PostgresDatabase<SignaldockDatabase>

  constructor(db: PostgresDatabase<SignaldockDatabase>) {
    this.#db = db
  }

  get kysely(): Kysely<SignaldockDatabase> {
    return this.#db.kysely
  }

  get context(): Required<ErrorContext> {
    return this.#db.context
  }

  get path(): string {
    return this.#db.path
  }

  get closed(): boolean {
    return this.#db.closed
  }

  get schemaVersion(): string {
    return this.#db.schemaVersion
  }

  transaction<T>(fn: (trx: Transaction<SignaldockDatabase>) => Promise<T>, options: SignaldockTransactionOptions): Promise<T> {
    return this.#db.transaction(fn, options)
  }

  integrityCheck(): Promise<IntegrityReport> {
    return this.#db.integrityCheck()
  }

  close(): Promise<void> {
    return this.#db.close()
  }
}
