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
  /** The fast row path of a row-returning statement, made on first use (`null`: not available). */
  reader?: RowReader | null | undefined
}

/**
 * A second preparation of a row-returning statement that yields arrays, and a row
 * builder for its columns. node:sqlite builds each object row through the C++ API,
 * one property at a time; returning arrays and building the object with a literal
 * compiled once per statement is 2–3× faster for wide rows (a 40-column task row:
 * 17 → 7 µs per primary-key read). Same keys, same values, same order.
 */
export interface RowReader {
  readonly statement: StatementSync
  /** Number of columns the builder was made for (a schema change may alter `SELECT *`). */
  readonly width: number
  readonly toRow: (values: readonly unknown[]) => Record<string, unknown>
}

/**
 * Makes the {@link RowReader} of the row-returning statement `sql` (prepared again, with
 * the columns it returns now), or `null` where arrays are not available
 * (Node without `setReturnArrays`) or a column name cannot be an object-literal key
 * safely (`__proto__`).
 */
export function rowReader(db: DatabaseSync, sql: string): RowReader | null {
  const statement = db.prepare(sql)
  if (typeof statement.setReturnArrays !== 'function') return null
  // The names of this fresh preparation: the cached statement's may predate a schema
  // change (SQLite re-prepares it only when it runs), and a reader remade after a
  // stale read must build its rows from the columns it returns now.
  const names = statement.columns().map((column) => column.name)
  if (names.includes('__proto__')) return null
  statement.setReturnArrays(true)
  // Keys are JSON string literals of the column names: any name is a valid, inert key.
  const body = `return {${names.map((name, i) => `${JSON.stringify(name)}: v[${i}]`).join(', ')}}`
  const toRow = new Function('v', body) as RowReader['toRow']
  return { statement, width: names.length, toRow }
}

/**
 * Eviction is "second chance" (CLOCK): a hit only sets a flag, so the hot path does
 * no map reordering; on overflow, flagged entries are moved to the young end once
 * and the oldest unflagged entry is dropped.
 */
/** DDL: a statement that is run once, not worth a cache slot. */
const ONE_OFF = /^\s*(CREATE|ALTER|DROP)\b/i

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
    // Schema changes run once (migrations): caching them would only evict hot statements.
    if (ONE_OFF.test(sql)) return entry
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
