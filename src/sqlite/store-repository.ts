/**
 * The base every repository extends: it owns one {@link SqliteDatabase}, the
 * injected clock, and the lifecycle (`close`, `Symbol.asyncDispose`).
 *
 * @module
 */
import type { Kysely } from 'kysely'

import type { Clock } from './clock.js'
import { systemClock } from './clock.js'
import type { IntegrityReport } from './integrity-report.js'
import type { SqliteDatabase } from './database.js'

export type { IntegrityReport } from './database.js'
import type { ErrorContext } from './errors.js'
import { CleoStoreError } from './errors.js'
import { appliedMigrations } from './migrate.js'
import type { EngineOptions } from './open-database.js'
import { openDatabase } from './open-database.js'
import type { ReferenceGuard } from './reference-guard.js'
import type { StoreDefinition } from './store-definition.js'

/** Options every repository's `open()` accepts. */
export interface RepositoryOptions extends EngineOptions {
  /** Returns epoch milliseconds; inject one in tests (default `Date.now`). */
  readonly clock?: Clock
  /**
   * Checks ids this store's writes name in other databases (tasks, sessions,
   * agents) before writing; a workspace sets it. Without one (a repository opened
   * on its own) those references stay soft. See {@link ReferenceGuard}.
   */
  readonly referenceGuard?: ReferenceGuard | undefined
}

/**
 * Opens the database of `store` at `path` and migrates it; each repository's static
 * `open()` calls this, then wraps the database.
 */
export function openStoreDatabase<DB>(
  store: StoreDefinition,
  path: string,
  options: RepositoryOptions = {},
): Promise<SqliteDatabase<DB>> {
  const { clock: _clock, referenceGuard: _guard, ...engine } = options
  return openDatabase<DB>(path, { ...engine, store })
}

/**
 * Base class of the six repositories.
 *
 * @typeParam DB - the store's Kysely database interface.
 */
export abstract class StoreRepository<DB> {
  /** The open database; subclasses run their SQL through it. */
  protected readonly db: SqliteDatabase<DB>
  /** The injected clock (epoch ms). */
  protected readonly clock: Clock
  /** The cross-database write guard a workspace gave, if any. */
  protected readonly referenceGuard: ReferenceGuard | undefined

  protected constructor(db: SqliteDatabase<DB>, options: RepositoryOptions = {}) {
    this.db = db
    this.clock = options.clock ?? systemClock
    this.referenceGuard = options.referenceGuard
  }

  /** Absolute path of the database file, or `:memory:`. */
  get path(): string {
    return this.db.path
  }

  /** True once {@link close} was called. */
  get closed(): boolean {
    return this.db.closed
  }

  /** Store name and file, for errors. */
  protected get context(): Required<ErrorContext> {
    return this.db.context
  }

  /**
   * The newest applied migration (the schema version of this file).
   *
   * @example
   * ```ts
   * repo.schemaVersion // '0001_initial'
   * ```
   */
  get schemaVersion(): string {
    const applied = appliedMigrations(this.db as SqliteDatabase<unknown>)
    const last = applied[applied.length - 1]
    if (last === undefined) throw new CleoStoreError('INTERNAL', 'store has no applied migration', this.context)
    return last
  }

  /**
   * A Kysely instance over this store's connection, for queries the repository does
   * not offer. Its transactions begin IMMEDIATE and are serialised with the
   * repository's own work; its errors are `CleoStoreError`s. Writes made through it
   * bypass the repository's validation: prefer the repository's methods.
   */
  get kysely(): Kysely<DB> {
    return this.db.kysely
  }

  /**
   * Runs SQLite's `integrity_check` (or the faster `quick_check`) and
   * `foreign_key_check`.
   *
   * @example
   * ```ts
   * const report = await repo.integrityCheck({ quick: true })
   * if (!report.ok) console.error(report.problems)
   * ```
   */
  integrityCheck(options: { quick?: boolean } = {}): Promise<IntegrityReport> {
    return this.db.integrityCheck(options)
  }

  /** Closes the store. Idempotent; later calls to the repository throw `CLOSED`. */
  async close(): Promise<void> {
    await this.db.close()
  }

  /** `await using repo = await XRepository.open(…)` closes it at scope end. */
  async [Symbol.asyncDispose](): Promise<void> {
    await this.close()
  }
}
