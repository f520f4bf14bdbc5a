/**
 * Where and how a store opens on PostgreSQL (no Kysely: the root type graph imports this file).
 *
 * @module
 */
import type { BusyRetryPolicy } from '../sqlite/busy-retry.js'

/**
 * A connection pool cleo-store can run a store on: node-postgres' `Pool` fits (as does
 * anything with its `connect()` and `end()`). Kysely's `PostgresPool` is assignable
 * to it; cleo-store hands the pool to Kysely's PostgreSQL dialect as it is.
 *
 * @example
 * ```ts
 * import pg from 'pg'
 * const pool: PostgresPoolLike = new pg.Pool({ connectionString: process.env.DATABASE_URL })
 * ```
 */
export interface PostgresPoolLike {
  /** Checks a client out of the pool. */
  connect(): Promise<{ query(...args: never[]): unknown; release(): void }>
  /** Closes the pool's connections. */
  end(): Promise<void>
}


/**
 * Where a store lives on PostgreSQL: a connection string, or a pool you own (e.g. `new pg.Pool(…)`).
 *
 * @example
 * ```ts
 * const target: PostgresTarget = 'postgres://app@db.example:5432/cloud'
 * ```
 */
export type PostgresTarget = string | PostgresPoolLike

/**
 * Options of a store opened on PostgreSQL.
 *
 * @example
 * ```ts
 * const options: PostgresStoreOptions = { schema: 'signaldock', busyTimeoutMs: 10_000, poolSize: 20 }
 * ```
 */
export interface PostgresStoreOptions {
  /**
   * The schema holding the store's tables and migration bookkeeping (default: the
   * store name, `signaldock`). Created on first open. A lower-case SQL identifier.
   */
  readonly schema?: string
  /**
   * How long a transaction keeps being retried after serialization failures or
   * deadlocks before `BUSY`, in ms (default 5000). On a pool cleo-store creates it
   * is also the `lock_timeout` of its connections (a statement never waits longer
   * for a lock); on your own pool, set `lock_timeout` yourself if you want that.
   */
  readonly busyTimeoutMs?: number
  /** Backoff between whole-transaction retries (`timeoutMs` defaults to `busyTimeoutMs`). */
  readonly busyRetry?: Partial<BusyRetryPolicy>
  /** Connections of the pool created from a connection string (default 10; ignored for your own pool). */
  readonly poolSize?: number
}
