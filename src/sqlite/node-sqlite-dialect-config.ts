/**
 * Options of the `node:sqlite` Kysely dialect (no Kysely: the root type graph imports this file).
 *
 * @module
 */
import type { DatabaseSync } from './node-sqlite.js'

/** Options of {@link NodeSqliteDialect}. */
export interface NodeSqliteDialectConfig {
  /** An open node:sqlite connection. The dialect never closes it. */
  readonly database: DatabaseSync
  /** Prepared statements kept per connection (default 256). */
  readonly statementCacheSize?: number
}
