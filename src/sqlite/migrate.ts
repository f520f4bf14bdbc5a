/**
 * Migrations (DESIGN §4): Kysely's `Migrator` over a static provider, with what it
 * lacks added around it:
 * - all pending migrations and their bookkeeping run in one transaction, begun
 *   `IMMEDIATE`, so concurrent first opens from several processes migrate once;
 * - each applied migration's checksum is stored, and verified on every open
 *   (an edited migration is `MIGRATION_FAILED`);
 * - a file that carries migrations this version does not know is refused with
 *   `SCHEMA_TOO_NEW` before anything is written;
 * - before migrating a file that already holds data, an online backup is written
 *   beside it (`<name>.db.bak-<last applied migration>`), the newest few kept;
 * - after each migration `PRAGMA foreign_key_check` must come back empty;
 * - a migration module that exports `rebuildsTables = true` (a table rebuild, SQLite's
 *   12-step procedure) is run with `foreign_keys` OFF: the runner switches it off
 *   before `BEGIN IMMEDIATE` (inside a transaction the pragma is ignored), so a
 *   `DROP TABLE` of a parent runs no `ON DELETE` actions; the foreign-key check after
 *   each migration still has to come back empty before COMMIT, and the previous
 *   setting is restored in a `finally`. The flag covers the whole batch the migration
 *   is in (one transaction), so no migration of that batch can rely on a cascade: a
 *   row it would have left dangling fails the check instead.
 *
 * The checksum of a migration is the SHA-256 of the SQL its `up()` emits when run
 * against a compile-only Kysely (a recording driver that executes nothing). It does
 * not depend on how the code was bundled, and changes when the emitted SQL changes.
 *
 * @module
 */
import { createHash, randomBytes } from 'node:crypto'
import { chmodSync, readdirSync, renameSync, rmSync, statSync } from 'node:fs'
import { basename, dirname, join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'

import type { CompiledQuery, DatabaseConnection, Driver, Kysely, QueryResult } from 'kysely'
import { Kysely as KyselyClass, SqliteAdapter, SqliteIntrospector, SqliteQueryCompiler, sql } from 'kysely'
import type { Migration, MigrationProvider } from 'kysely/migration'
import { Migrator } from 'kysely/migration'

import type { SqliteDatabase } from './database.js'
import { backoffDelay, rawQuery } from './database.js'
import { CleoStoreError, toCleoStoreError } from './errors.js'
import { loadNodeSqlite } from './node-sqlite.js'
import type { StoreDefinition } from './store-definition.js'

/** Kysely's bookkeeping table (default name, never changed). */
export const MIGRATION_TABLE = 'kysely_migration'
/** Our checksum table, written in the same transaction as each migration. */
export const CHECKSUM_TABLE = 'cleo_migration_checksum'
/** Backups kept per database file by default. */
export const DEFAULT_BACKUPS_KEPT = 3

class RecordingConnection implements DatabaseConnection {
  constructor(readonly statements: string[]) {}
  async executeQuery<R>(query: CompiledQuery): Promise<QueryResult<R>> {
    this.statements.push(`${query.sql}\u0000${JSON.stringify(query.parameters)}`)
    return { rows: [] }
  }
  // eslint-disable-next-line require-yield
  async *streamQuery<R>(): AsyncIterableIterator<QueryResult<R>> {}
}

class RecordingDriver implements Driver {
  readonly #connection: RecordingConnection
  constructor(statements: string[]) {
    this.#connection = new RecordingConnection(statements)
  }
  async init(): Promise<void> {}
  async acquireConnection(): Promise<DatabaseConnection> {
    return this.#connection
  }
  async beginTransaction(): Promise<void> {}
  async commitTransaction(): Promise<void> {}
  async rollbackTransaction(): Promise<void> {}
  async releaseConnection(): Promise<void> {}
  async destroy(): Promise<void> {}
}

const checksums = new WeakMap<Migration, Promise<string>>()

/** The checksum of a migration: SHA-256 of the SQL its `up()` emits (memoised). */
export function migrationChecksum(migration: Migration): Promise<string> {
  let pending = checksums.get(migration)
  if (!pending) {
    pending = (async () => {
      const statements: string[] = []
      const recorder = new KyselyClass<any>({
        dialect: {
          createAdapter: () => new SqliteAdapter(),
          createDriver: () => new RecordingDriver(statements),
          createIntrospector: (db) => new SqliteIntrospector(db),
          createQueryCompiler: () => new SqliteQueryCompiler(),
        },
      })
      await migration.up(recorder)
      return createHash('sha256').update(statements.join('\n')).digest('hex')
    })()
    checksums.set(migration, pending)
  }
  return pending
}

interface AppliedState {
  /** Names of applied migrations, in order. */
  readonly applied: readonly string[]
  /** Stored checksums by name (absent for none). */
  readonly checksums: ReadonlyMap<string, string>
}

function tableExists(db: SqliteDatabase<unknown>, name: string): boolean {
  // count(*) always answers one row
  return db.get(rawQuery<{ n: number }>("SELECT count(*) AS n FROM sqlite_schema WHERE type = 'table' AND name = ?", [name]))!.n > 0
}

function readApplied(db: SqliteDatabase<unknown>): AppliedState {
  if (!tableExists(db, MIGRATION_TABLE)) return { applied: [], checksums: new Map() }
  const applied = db
    .all(rawQuery<{ name: string }>(`SELECT name FROM ${MIGRATION_TABLE} ORDER BY name`))
    .map((r) => r.name)
  const sums = new Map<string, string>()
  if (tableExists(db, CHECKSUM_TABLE)) {
    for (const row of db.all(rawQuery<{ name: string; checksum: string }>(`SELECT name, checksum FROM ${CHECKSUM_TABLE}`))) {
      sums.set(row.name, row.checksum)
    }
  }
  return { applied, checksums: sums }
}

/**
 * Read-only checks before anything is written: refuses a file carrying unknown
 * migrations (`SCHEMA_TOO_NEW`) or an applied migration whose checksum changed
 * (`MIGRATION_FAILED`). Returns the applied state.
 */
export async function verifyMigrations(db: SqliteDatabase<unknown>, store: StoreDefinition): Promise<AppliedState> {
  const state = readApplied(db)
  const unknown = state.applied.filter((name) => !(name in store.migrations))
  if (unknown.length > 0) {
    throw new CleoStoreError(
      'SCHEMA_TOO_NEW',
      `${store.name} database was migrated by a newer cleo-store (unknown migrations: ${unknown.join(', ')}); it was left untouched — upgrade cleo-store to open it`,
      { ...db.context, details: { unknownMigrations: unknown } },
    )
  }
  for (const name of state.applied) {
    const stored = state.checksums.get(name)
    if (stored === undefined) continue
    const expected = await migrationChecksum(store.migrations[name]!)
    if (stored !== expected) {
      throw new CleoStoreError(
        'MIGRATION_FAILED',
        `${store.name} migration ${name} differs from the one applied to this database (checksum ${stored.slice(0, 12)} ≠ ${expected.slice(0, 12)}); applied migrations must never be edited`,
        { ...db.context, details: { migration: name } },
      )
    }
  }
  return state
}

/**
 * Writes an online, consistent backup of `db` beside its file as
 * `<file>.bak-<label>` (mode 0600, written to a temporary name then renamed), and
 * keeps only the newest `keep` backups of that file.
 */
export async function backupBeside(db: SqliteDatabase<unknown>, label: string, keep: number): Promise<string> {
  const file = db.path
  removeOrphanedTemporaries(file)
  const target = `${file}.bak-${label}`
  const temporary = `${target}.tmp-${process.pid}-${randomBytes(4).toString('hex')}`
  try {
    await loadNodeSqlite().backup(db.connection, temporary)
    chmodSync(temporary, 0o600)
    renameSync(temporary, target)
  } catch (error) {
    rmSync(temporary, { force: true })
    throw toCleoStoreError(error, db.context)
  }
  const prefix = `${basename(file)}.bak-`
  const directory = dirname(file)
  const backups = readdirSync(directory)
    .filter((name) => name.startsWith(prefix) && !name.includes('.tmp-'))
    .map((name) => ({ path: join(directory, name), mtime: statSync(join(directory, name)).mtimeMs }))
    .sort((a, b) => b.mtime - a.mtime)
  for (const old of backups.slice(Math.max(1, keep))) rmSync(old.path, { force: true })
  return target
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM'
  }
}

/** Deletes temporary backup files left by processes that died while writing them. */
function removeOrphanedTemporaries(file: string): void {
  const prefix = `${basename(file)}.bak-`
  const directory = dirname(file)
  for (const name of readdirSync(directory)) {
    const match = name.startsWith(prefix) ? /\.tmp-(\d+)-[0-9a-f]+$/.exec(name) : null
    if (match && !isAlive(Number(match[1]))) rmSync(join(directory, name), { force: true })
  }
}

function wrap(name: string, migration: Migration): Migration {
  return {
    async up(db: Kysely<any>) {
      await migration.up(db)
      await sql`CREATE TABLE IF NOT EXISTS ${sql.table(CHECKSUM_TABLE)} (
        name TEXT PRIMARY KEY,
        checksum TEXT NOT NULL,
        applied_at INTEGER NOT NULL
      ) STRICT`.execute(db)
      await db
        .insertInto(CHECKSUM_TABLE)
        .values({ name, checksum: await migrationChecksum(migration), applied_at: Date.now() })
        .execute()
      const violations = await sql<Record<string, unknown>>`PRAGMA foreign_key_check`.execute(db)
      if (violations.rows.length > 0) {
        throw new CleoStoreError('MIGRATION_FAILED', `migration ${name} left ${violations.rows.length} foreign-key violation(s)`, {
          details: { violations: violations.rows.slice(0, 10) },
        })
      }
    },
  }
}

/**
 * Whether a migration module declares itself a table rebuild (`export const
 * rebuildsTables = true`): the runner then applies its batch with `foreign_keys` OFF.
 *
 * @example
 * ```ts
 * // migrations/tasks/0014_cleo_task_ids.ts
 * export const rebuildsTables = true
 * export async function up(db: Kysely<any>) { ... }
 * ```
 */
export function rebuildsTables(migration: Migration): boolean {
  return (migration as Migration & { readonly rebuildsTables?: unknown }).rebuildsTables === true
}

/** Options of {@link migrateToLatest}. */
export interface MigrateOptions {
  /** Backups kept per file (default 3); 0 disables the pre-migration backup. */
  readonly backupsKept?: number
  /** The busy timeout of the store; a migration waits for the lock at least 30 s, or this long if longer. */
  readonly busyTimeoutMs?: number
}

/**
 * Brings `db` to the newest migration of `store`. Returns the names applied now.
 * Throws `SCHEMA_TOO_NEW`, `MIGRATION_FAILED` (rolled back: the file is as before)
 * or `BUSY`.
 */
export async function migrateToLatest(
  db: SqliteDatabase<unknown>,
  store: StoreDefinition,
  options: MigrateOptions = {},
): Promise<string[]> {
  const state = await verifyMigrations(db, store)
  const known = Object.keys(store.migrations) // Kysely's Migrator orders them by name itself
  const pending = known.filter((name) => !state.applied.includes(name))
  if (pending.length === 0) return []

  const keep = options.backupsKept ?? DEFAULT_BACKUPS_KEPT
  if (keep > 0 && state.applied.length > 0 && db.path !== ':memory:') {
    await backupBeside(db, state.applied[state.applied.length - 1]!, keep)
  }

  const provider: MigrationProvider = {
    async getMigrations() {
      return Object.fromEntries(known.map((name) => [name, wrap(name, store.migrations[name]!)]))
    },
  }
  const migrator = new Migrator({ db: db.kysely, provider })
  const rebuild = pending.some((name) => rebuildsTables(store.migrations[name]!))
  // Only an ON needs restoring: the batch runs in one transaction, where the pragma cannot change.
  const restoreForeignKeys = rebuild && foreignKeysOff(db, store)
  try {
    return await runMigrator(db, store, migrator, options)
  } finally {
    if (restoreForeignKeys) db.connection.exec('PRAGMA foreign_keys = ON')
  }
}

/** Switches `foreign_keys` off for a rebuild batch (outside any transaction); returns whether it was on. */
function foreignKeysOff(db: SqliteDatabase<unknown>, store: StoreDefinition): boolean {
  if (db.connection.isTransaction) {
    throw new CleoStoreError('MIGRATION_FAILED', `${store.name} migrations that rebuild tables cannot run inside an open transaction`, db.context)
  }
  // a PRAGMA that reads a setting always answers one row
  const wasOn = db.get(rawQuery<{ foreign_keys: number }>('PRAGMA foreign_keys'))!.foreign_keys === 1
  db.connection.exec('PRAGMA foreign_keys = OFF')
  return wasOn
}

async function runMigrator(
  db: SqliteDatabase<unknown>,
  store: StoreDefinition,
  migrator: Migrator,
  options: MigrateOptions,
): Promise<string[]> {
  // Another process may hold the lock for its whole migration: wait longer than for a write.
  const deadline = performance.now() + Math.max(options.busyTimeoutMs ?? 5000, 30_000)
  for (let attempt = 1; ; attempt++) {
    const { error, results } = await migrator.migrateToLatest()
    if (!error) return (results ?? []).filter((r) => r.status === 'Success').map((r) => r.migrationName)
    const translated = toCleoStoreError(error, db.context)
    if (translated.code === 'BUSY' && performance.now() < deadline) {
      await sleep(backoffDelay(attempt, 5, 200))
      continue
    }
    // Another process may have applied newer migrations meanwhile.
    await verifyMigrations(db, store)
    if (translated.code === 'BUSY') throw translated
    const failed = results?.find((r) => r.status === 'Error')?.migrationName
    throw new CleoStoreError(
      'MIGRATION_FAILED',
      `${store.name} migration ${failed ?? '(bookkeeping)'} failed and was rolled back: ${translated.message}`,
      { ...db.context, cause: error, details: { migration: failed } },
    )
  }
}

/** Names of the migrations applied to `db`, in order. */
export function appliedMigrations(db: SqliteDatabase<unknown>): string[] {
  return [...readApplied(db).applied]
}
