/**
 * The base every repository extends: it owns one {@link SqliteDatabase} (or, for
 * the stores that can live on a server, a {@link ServerDatabase}), the injected
 * clock, and the lifecycle (`close`, `Symbol.asyncDispose`).
 *
 * @module
 */
import type { Kysely } from 'kysely'

import type { StoreDatabases } from '../kysely.js'
import type { Clock } from './clock.js'
import { systemClock } from './clock.js'
import type { IntegrityReport } from './integrity-report.js'
import type { SqliteDatabase } from './database.js'

export type { IntegrityReport } from './integrity-report.js'
import type { ErrorContext } from './errors.js'
import { CleoStoreError } from './errors.js'
import { appliedMigrations } from './migrate.js'
import type { EngineOptions } from './engine-options.js'
import { openDatabase } from './open-database.js'
import type { RepositoryKysely } from './kysely-handle.js'
import type { ReferenceGuard } from './reference-guard.js'
import type { StoreDefinition } from './store-definition.js'
import type { StoreName } from './store-name.js'

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
 *
 * @internal
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
 * A store on a server (PostgreSQL), as a repository holds it: what the base class
 * needs besides the aggregates' engine. `PostgresDatabase` provides it.
 *
 * @internal
 */
export interface ServerDatabase<DB> {
  readonly path: string
  readonly closed: boolean
  readonly context: Required<ErrorContext>
  readonly schemaVersion: string
  readonly kysely: Kysely<DB>
  integrityCheck(options?: { quick?: boolean }): Promise<IntegrityReport>
  close(): Promise<void>
}

/**
 * Base class of the six repositories.
 *
 * @typeParam S - the store's name; `repo.kysely` is typed by it (a `KyselyHandle<S>`
 *   at the root, `Kysely<…>` of the store's tables once `cleo-store/kysely` is imported).
 */
export abstract class StoreRepository<S extends StoreName = StoreName> {
  /** The injected clock (epoch ms). */
  protected readonly clock: Clock
  /** The cross-database write guard a workspace gave, if any. */
  protected readonly referenceGuard: ReferenceGuard | undefined
  readonly #local: SqliteDatabase<StoreDatabases[S]> | null
  readonly #server: ServerDatabase<StoreDatabases[S]> | null

  /** @internal Each repository's static `open()` constructs it (`openPostgres()` with a server store). */
  protected constructor(
    db: SqliteDatabase<StoreDatabases[S]> | { readonly server: ServerDatabase<StoreDatabases[S]> },
    options: RepositoryOptions = {},
  ) {
    this.#local = 'server' in db ? null : db
    this.#server = 'server' in db ? db.server : null
    this.clock = options.clock ?? systemClock
    this.referenceGuard = options.referenceGuard
  }

  /**
   * @internal The open SQLite database; subclasses run their SQLite-only work
   * through it. On a server store: `UNSUPPORTED`.
   */
  protected get db(): SqliteDatabase<StoreDatabases[S]> {
    if (this.#local === null) {
      throw new CleoStoreError('UNSUPPORTED', `this operation needs the local SQLite store; ${this.context.store} is on a server (${this.path})`, this.context)
    }
    return this.#local
  }

  /** @internal True when this store lives on a server. */
  protected get onServer(): boolean {
    return this.#server !== null
  }

  /**
   * The engine this store runs on: `'sqlite'` (its file, or `:memory:`) or `'postgres'`.
   *
   * @example
   * ```ts
   * if (ws.tasks.dialect === 'postgres') console.log('tasks are shared on', ws.tasks.path)
   * ```
   */
  get dialect(): 'sqlite' | 'postgres' {
    return this.#server === null ? 'sqlite' : 'postgres'
  }

  /** Absolute path of the database file, or `:memory:`; on a server, the printable target (`postgres://host/db#schema`). */
  get path(): string {
    return (this.#local ?? this.#server!).path
  }

  /** True once {@link close} was called. */
  get closed(): boolean {
    return (this.#local ?? this.#server!).closed
  }

  /** Store name and file, for errors. */
  protected get context(): Required<ErrorContext> {
    return (this.#local ?? this.#server!).context
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
    if (this.#server !== null) return this.#server.schemaVersion
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
   *
   * Typed `Kysely<…>` of the store's tables once `cleo-store/kysely` is imported
   * anywhere in the program (`import type {} from 'cleo-store/kysely'`); an opaque
   * `KyselyHandle` otherwise (see `RepositoryKysely`).
   *
   * @example
   * ```ts
   * import type {} from 'cleo-store/kysely'
   * const rows = await tasks.kysely.selectFrom('tasks').select(['id', 'title']).execute()
   * ```
   */
  get kysely(): RepositoryKysely<S> {
    return (this.#local ?? this.#server!).kysely as unknown as RepositoryKysely<S>
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
    return (this.#local ?? this.#server!).integrityCheck(options)
  }

  /** Closes the store. Idempotent; later calls to the repository throw `CLOSED`. */
  async close(): Promise<void> {
    await (this.#local ?? this.#server!).close()
  }

  /** `await using repo = await XRepository.open(…)` closes it at scope end. */
  async [Symbol.asyncDispose](): Promise<void> {
    await this.close()
  }
}
