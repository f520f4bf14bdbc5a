/**
 * A bounded least-recently-used cache of prepared statements, one per connection.
 * Preparing costs more than running a simple statement, so repeated SQL text is
 * prepared once. Evicted statements are simply dropped (node:sqlite finalises them
 * when they are garbage-collected).
 *
 * @module
 */
import type { DatabaseSync, StatementSync } from './node-sqlite.js'

/** Default number of statements kept per connection. */
export const DEFAULT_STATEMENT_CACHE_SIZE = 256

/** A prepared statement plus whether it returns rows (decided once, by `columns()`). */
export interface CachedStatement {
  readonly statement: StatementSync
  /** True when the statement yields rows: SELECT, PRAGMA reads, `… RETURNING`. */
  readonly returnsRows: boolean
}

export class StatementCache {
  readonly #db: DatabaseSync
  readonly #capacity: number
  readonly #entries = new Map<string, CachedStatement>()

  constructor(db: DatabaseSync, capacity = DEFAULT_STATEMENT_CACHE_SIZE) {
    this.#db = db
    this.#capacity = Math.max(1, capacity)
  }

  /** Number of statements currently cached. */
  get size(): number {
    return this.#entries.size
  }

  /** Returns the cached statement for `sql`, preparing it on a miss. */
  get(sql: string): CachedStatement {
    const entries = this.#entries
    const hit = entries.get(sql)
    if (hit !== undefined) {
      // Move to the newest end (Map keeps insertion order).
      if (entries.size > 1) {
        entries.delete(sql)
        entries.set(sql, hit)
      }
      return hit
    }
    const statement = this.#db.prepare(sql)
    const entry: CachedStatement = { statement, returnsRows: statement.columns().length > 0 }
    entries.set(sql, entry)
    if (entries.size > this.#capacity) {
      const oldest = entries.keys().next().value as string
      entries.delete(oldest)
    }
    return entry
  }

  /** Drops every cached statement (after a schema change, or on close). */
  clear(): void {
    this.#entries.clear()
  }
}
