/**
 * Engine options every repository's `open()` accepts (no Kysely: the root type graph imports this file).
 *
 * @module
 */
import type { BusyRetryPolicy } from './busy-retry.js'

/** Engine options every repository's `open()` accepts. */
export interface EngineOptions {
  /**
   * How long a transaction waits for the write lock before `BUSY`, in ms (default
   * 5000). SQLite's blocking busy handler gets at most 20 ms of it per attempt; the
   * rest is asynchronous retries, so the event loop keeps running while it waits.
   */
  readonly busyTimeoutMs?: number
  /** `NORMAL` (default; durable at checkpoints, safe with WAL) or `FULL` (fsync every commit). */
  readonly synchronous?: 'NORMAL' | 'FULL'
  /** Prepared statements kept per connection (default 256). */
  readonly statementCacheSize?: number
  /** Backoff between whole-transaction retries on BUSY (`timeoutMs` defaults to `busyTimeoutMs`). */
  readonly busyRetry?: Partial<BusyRetryPolicy>
  /** Pre-migration backups kept per file (default 3; 0 disables them). */
  readonly backupsKept?: number
}
