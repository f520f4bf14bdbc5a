/**
 * A bounded cache of prepared statements, one per connection (an LRU approximation).
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
  /** Used since it last moved to the young end (second-chance eviction). */
  recent: boolean
}

/**
 * Eviction is "second chance" (CLOCK): a hit only sets a flag, so the hot path does
 * no map reordering; on overflow, flagged entries are moved to the young end once
 * and the oldest unflagged entry is dropped.
 */
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
    const hit = this.#entries.get(sql)
    if (hit !== undefined) {
      hit.recent = true
      return hit
    }
    const statement = this.#db.prepare(sql)
    const entry: CachedStatement = { statement, returnsRows: statement.columns().length > 0, recent: false }
    this.#evictFor()
    this.#entries.set(sql, entry)
    return entry
  }

  #evictFor(): void {
    const entries = this.#entries
    while (entries.size >= this.#capacity) {
      const [oldestSql, oldest] = entries.entries().next().value as [string, CachedStatement]
      entries.delete(oldestSql)
      if (oldest.recent) {
        oldest.recent = false
        entries.set(oldestSql, oldest)
      }
    }
  }

  /** Drops every cached statement (after a schema change, or on close). */
  clear(): void {
    this.#entries.clear()
  }
}
