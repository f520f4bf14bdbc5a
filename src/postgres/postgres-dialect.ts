/**
 * Kysely's PostgreSQL dialect with what cleo-store adds around it:
 * - every error of the driver (queries, `BEGIN`, `COMMIT`, acquiring a pooled
 *   connection) is translated into a `CleoStoreError` (postgres-errors.ts), so a
 *   serialization failure reaches the engine's retry helper as `BUSY`;
 * - a closed store refuses new work with `CLOSED` before touching the pool;
 * - migrations are serialised by a transaction-scoped advisory lock
 *   (`pg_advisory_xact_lock`) instead of Kysely's session lock: it is released by
 *   `COMMIT`/`ROLLBACK` itself, so a crashed migrator can never leave it held.
 *
 * @module
 */
import type {
  CompiledQuery,
  DatabaseConnection,
  DatabaseIntrospector,
  Dialect,
  DialectAdapter,
  Driver,
  Kysely,
  MigrationLockOptions,
  PostgresPool,
  QueryCompiler,
  QueryResult,
  TransactionSettings,
} from 'kysely'
import { PostgresAdapter, PostgresDriver, PostgresIntrospector, PostgresQueryCompiler, sql } from 'kysely'

import type { ErrorContext } from '../sqlite/errors.js'
import { CleoStoreError } from '../sqlite/errors.js'
import { toCleoStoreErrorFromPostgres } from './postgres-errors.js'

/** First key of cleo-store's advisory locks ("CLPG"); the second is the hash of the schema. */
export const ADVISORY_LOCK_CLASS = 0x434c5047

/**
 * PostgreSQL adapter whose migration lock is `pg_advisory_xact_lock(CLPG,
 * hashtext(schema))`: one migrator per schema at a time, across every process and
 * host, held until the migration transaction ends. The migrator must therefore run
 * inside a transaction (cleo-store's does).
 */
export class CleoPostgresAdapter extends PostgresAdapter {
  override async acquireMigrationLock(db: Kysely<any>, options: MigrationLockOptions): Promise<void> {
    await sql`select pg_advisory_xact_lock(${ADVISORY_LOCK_CLASS}::int4, hashtext(${options.lockTableSchema ?? 'public'}))`.execute(db)
  }

  /** Nothing to do: the lock ends with the transaction. */
  override async releaseMigrationLock(): Promise<void> {}
}

/** Shared, mutable state of one open store. */
export interface PostgresStoreState {
  closed: boolean
}

class TranslatingConnection implements DatabaseConnection {
  readonly inner: DatabaseConnection
  readonly #context: Required<ErrorContext>

  constructor(inner: DatabaseConnection, context: Required<ErrorContext>) {
    this.inner = inner
    this.#context = context
  }

  async executeQuery<R>(compiledQuery: CompiledQuery): Promise<QueryResult<R>> {
    try {
      return await this.inner.executeQuery<R>(compiledQuery)
    } catch (error) {
      throw toCleoStoreErrorFromPostgres(error, this.#context)
    }
  }

  async *streamQuery<R>(compiledQuery: CompiledQuery, chunkSize: number): AsyncIterableIterator<QueryResult<R>> {
    try {
      yield* this.inner.streamQuery<R>(compiledQuery, chunkSize)
    } catch (error) {
      throw toCleoStoreErrorFromPostgres(error, this.#context)
    }
  }
}

class TranslatingDriver implements Driver {
  readonly #inner: Driver
  readonly #context: Required<ErrorContext>
  readonly #state: PostgresStoreState

  constructor(inner: Driver, context: Required<ErrorContext>, state: PostgresStoreState) {
    this.#inner = inner
    this.#context = context
    this.#state = state
  }

  async #guard<T>(operation: () => Promise<T>): Promise<T> {
    try {
      return await operation()
    } catch (error) {
      throw toCleoStoreErrorFromPostgres(error, this.#context)
    }
  }

  #unwrap(connection: DatabaseConnection): DatabaseConnection {
    return connection instanceof TranslatingConnection ? connection.inner : connection
  }

  init(): Promise<void> {
    return this.#guard(() => this.#inner.init())
  }

  async acquireConnection(): Promise<DatabaseConnection> {
    if (this.#state.closed) {
      throw new CleoStoreError('CLOSED', `${this.#context.store} store is closed (${this.#context.file})`, this.#context)
    }
    const inner = await this.#guard(() => this.#inner.acquireConnection())
    return new TranslatingConnection(inner, this.#context)
  }

  beginTransaction(connection: DatabaseConnection, settings: TransactionSettings): Promise<void> {
    return this.#guard(() => this.#inner.beginTransaction(this.#unwrap(connection), settings))
  }

  commitTransaction(connection: DatabaseConnection): Promise<void> {
    return this.#guard(() => this.#inner.commitTransaction(this.#unwrap(connection)))
  }

  rollbackTransaction(connection: DatabaseConnection): Promise<void> {
    return this.#guard(() => this.#inner.rollbackTransaction(this.#unwrap(connection)))
  }

  savepoint(connection: DatabaseConnection, name: string, compile: QueryCompiler['compileQuery']): Promise<void> {
    return this.#guard(() => this.#inner.savepoint!(this.#unwrap(connection), name, compile))
  }

  rollbackToSavepoint(connection: DatabaseConnection, name: string, compile: QueryCompiler['compileQuery']): Promise<void> {
    return this.#guard(() => this.#inner.rollbackToSavepoint!(this.#unwrap(connection), name, compile))
  }

  releaseSavepoint(connection: DatabaseConnection, name: string, compile: QueryCompiler['compileQuery']): Promise<void> {
    return this.#guard(() => this.#inner.releaseSavepoint!(this.#unwrap(connection), name, compile))
  }

  releaseConnection(connection: DatabaseConnection): Promise<void> {
    return this.#guard(() => this.#inner.releaseConnection(this.#unwrap(connection)))
  }

  destroy(): Promise<void> {
    return this.#guard(() => this.#inner.destroy())
  }
}

/** Construction parameters of {@link CleoPostgresDialect}. */
export interface CleoPostgresDialectConfig {
  readonly pool: PostgresPool
  readonly context: Required<ErrorContext>
  readonly state: PostgresStoreState
}

/**
 * Kysely's `PostgresDialect`, with translated errors, `CLOSED` after close, and a
 * transaction-scoped migration lock.
 */
export class CleoPostgresDialect implements Dialect {
  readonly #config: CleoPostgresDialectConfig

  constructor(config: CleoPostgresDialectConfig) {
    this.#config = config
  }

  createAdapter(): DialectAdapter {
    return new CleoPostgresAdapter()
  }

  createDriver(): Driver {
    return new TranslatingDriver(new PostgresDriver({ pool: this.#config.pool }), this.#config.context, this.#config.state)
  }

  createQueryCompiler(): QueryCompiler {
    return new PostgresQueryCompiler()
  }

  createIntrospector(db: Kysely<any>): DatabaseIntrospector {
    return new PostgresIntrospector(db)
  }
}
