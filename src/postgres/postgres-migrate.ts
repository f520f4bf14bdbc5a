/**
 * Migrations on PostgreSQL: the same migration files and bookkeeping as the SQLite
 * engine (src/sqlite/migrate.ts), through Kysely's `Migrator`:
 * - a store lives in its own schema; Kysely's tables (`kysely_migration`, …) and
 *   the checksum table live there too;
 * - a read-only check first: a schema that holds another application's tables is
 *   `WRONG_STORE`, one carrying migrations this version does not know is
 *   `SCHEMA_TOO_NEW`, an applied migration whose checksum changed is
 *   `MIGRATION_FAILED` — and nothing is written;
 * - pending migrations and their bookkeeping run in ONE transaction (PostgreSQL
 *   DDL is transactional) that first takes `pg_advisory_xact_lock` for the schema,
 *   then checks again: of several hosts opening a fresh schema at once, one
 *   migrates and the others find it done;
 * - the checksum of a migration is {@link migrationChecksum}: the SHA-256 of what
 *   it emits on SQLite. A migration that branches on the dialect keeps that
 *   emission unchanged, so one checksum identifies it on both engines.
 *
 * @module
 */
import type { Kysely } from 'kysely'
import { sql } from 'kysely'
import type { Migration, MigrationProvider } from 'kysely/migration'
import { Migrator } from 'kysely/migration'

import type { CleoStoreErrorCode, ErrorContext } from '../sqlite/errors.js'
import { CleoStoreError, isCleoStoreError } from '../sqlite/errors.js'
import { CHECKSUM_TABLE, MIGRATION_TABLE, migrationChecksum } from '../sqlite/migrate.js'
import type { StoreDefinition } from '../sqlite/store-definition.js'
import { CleoPostgresAdapter } from './postgres-dialect.js'

/** Errors that pass through {@link migratePostgres} unchanged. */
const KEPT_CODES: ReadonlySet<CleoStoreErrorCode> = new Set<CleoStoreErrorCode>([
  'WRONG_STORE',
  'SCHEMA_TOO_NEW',
  'MIGRATION_FAILED',
  'IO',
  'CLOSED',
  'BUSY',
  'READ_ONLY',
  'NOT_FOUND',
  'STORAGE_FULL',
])

/** What a schema holds, as far as migrations are concerned. */
export interface PostgresMigrationState {
  /** Names of applied migrations, in order. */
  readonly applied: readonly string[]
  /** Stored checksums by name. */
  readonly checksums: ReadonlyMap<string, string>
}

/**
 * The meta table every cleo store creates in its first migration, and its `store`
 * row: `<store>_schema_meta`, or the store's own name for it (tasks.db's is CLEO's `schema_meta`).
 */
function metaTable(store: StoreDefinition): string {
  return store.metaTable ?? `${store.name}_schema_meta`
}

async function tablesOf(db: Kysely<any>, schema: string): Promise<Set<string>> {
  const { rows } = await sql<{ table_name: string }>`select table_name from information_schema.tables where table_schema = ${schema}`.execute(db)
  return new Set(rows.map((row) => row.table_name))
}

/**
 * Reads the migration state of `schema` and refuses what must not be touched:
 * `WRONG_STORE`, `SCHEMA_TOO_NEW`, `MIGRATION_FAILED` (edited migration). Reads only.
 */
export async function verifyPostgresMigrations(
  db: Kysely<any>,
  schema: string,
  store: StoreDefinition,
  context: Required<ErrorContext>,
): Promise<PostgresMigrationState> {
  const tables = await tablesOf(db, schema)
  if (!tables.has(MIGRATION_TABLE)) {
    if (tables.size > 0) {
      throw new CleoStoreError(
        'WRONG_STORE',
        `schema ${JSON.stringify(schema)} holds ${tables.size} tables of another application, not a ${store.name} store; it was left untouched — give ${store.name} a schema of its own`,
        { ...context, details: { schema, tables: [...tables].sort().slice(0, 20) } },
      )
    }
    return { applied: [], checksums: new Map() }
  }
  const meta = metaTable(store)
  const marker = tables.has(meta)
    ? (await sql<{ value: string }>`select value from ${sql.id(schema, meta)} where key = 'store'`.execute(db)).rows[0]?.value
    : undefined
  if (marker !== store.name) {
    throw new CleoStoreError(
      'WRONG_STORE',
      `schema ${JSON.stringify(schema)} holds the migrations of another application (no ${meta} row store=${store.name}); it was left untouched`,
      { ...context, details: { schema, marker: marker ?? null } },
    )
  }
  const applied = (
    await sql<{ name: string }>`select name from ${sql.id(schema, MIGRATION_TABLE)} order by name`.execute(db)
  ).rows.map((row) => row.name)
  const checksums = new Map<string, string>()
  if (tables.has(CHECKSUM_TABLE)) {
    const { rows } = await sql<{ name: string; checksum: string }>`select name, checksum from ${sql.id(schema, CHECKSUM_TABLE)}`.execute(db)
    for (const row of rows) checksums.set(row.name, row.checksum)
  }
  const unknown = applied.filter((name) => !(name in store.migrations))
  if (unknown.length > 0) {
    throw new CleoStoreError(
      'SCHEMA_TOO_NEW',
      `${store.name} schema ${JSON.stringify(schema)} was migrated by a newer cleo-store (unknown migrations: ${unknown.join(', ')}); it was left untouched — upgrade cleo-store to open it`,
      { ...context, details: { unknownMigrations: unknown } },
    )
  }
  for (const name of applied) {
    const stored = checksums.get(name)
    if (stored === undefined) continue
    const expected = await migrationChecksum(store.migrations[name]!)
    if (stored !== expected) {
      throw new CleoStoreError(
        'MIGRATION_FAILED',
        `${store.name} migration ${name} differs from the one applied to this schema (checksum ${stored.slice(0, 12)} ≠ ${expected.slice(0, 12)}); applied migrations must never be edited`,
        { ...context, details: { migration: name } },
      )
    }
  }
  return { applied, checksums }
}

/** A migration followed by its checksum row, in the same transaction. */
function withChecksum(name: string, migration: Migration): Migration {
  return {
    async up(db: Kysely<any>) {
      await migration.up(db)
      await db.schema
        .createTable(CHECKSUM_TABLE)
        .ifNotExists()
        .addColumn('name', 'text', (c) => c.primaryKey())
        .addColumn('checksum', 'text', (c) => c.notNull())
        .addColumn('applied_at', 'bigint', (c) => c.notNull())
        .execute()
      await db
        .insertInto(CHECKSUM_TABLE)
        .values({ name, checksum: await migrationChecksum(migration), applied_at: Date.now() })
        .execute()
    },
  }
}

/**
 * Brings `schema` to the newest migration of `store`; returns the names applied
 * now. `root` is a Kysely on the {@link CleoPostgresDialect} without a schema
 * plugin. Throws `WRONG_STORE`, `SCHEMA_TOO_NEW`, `MIGRATION_FAILED` (rolled back:
 * the schema is as before), or the translated connection error.
 */
export async function migratePostgres(
  root: Kysely<any>,
  schema: string,
  store: StoreDefinition,
  context: Required<ErrorContext>,
  options: { busyTimeoutMs?: number } = {},
): Promise<string[]> {
  const known = Object.keys(store.migrations).sort()
  const first = await verifyPostgresMigrations(root, schema, store, context)
  if (known.every((name) => first.applied.includes(name))) return []

  const provider: MigrationProvider = {
    async getMigrations() {
      return Object.fromEntries(known.map((name) => [name, withChecksum(name, store.migrations[name]!)]))
    },
  }
  let failed: string | undefined
  try {
    return await root.transaction().execute(async (trx) => {
      // Another host's migration may hold the lock for its whole run: wait at least 30 s.
      await sql`select set_config('lock_timeout', ${String(Math.max(options.busyTimeoutMs ?? 0, 30_000))}, true)`.execute(trx)
      // Serialise migrators of this schema before anything else, even the schema's creation.
      await new CleoPostgresAdapter().acquireMigrationLock(trx, {
        lockTable: 'kysely_migration_lock',
        lockRowId: 'migration_lock',
        lockTableSchema: schema,
      })
      // Another host may have migrated while this one waited for the lock.
      await verifyPostgresMigrations(trx, schema, store, context)
      await sql`create schema if not exists ${sql.id(schema)}`.execute(trx)
      const migrator = new Migrator({ db: trx.withSchema(schema), provider, migrationTableSchema: schema })
      const { error, results } = await migrator.migrateToLatest()
      if (error) {
        failed = results?.find((r) => r.status === 'Error')?.migrationName
        throw error
      }
      return (results ?? []).filter((r) => r.status === 'Success').map((r) => r.migrationName)
    })
  } catch (error) {
    // Refusals, lost connections and closed pools keep their code; anything else failed the migration.
    if (isCleoStoreError(error) && KEPT_CODES.has(error.code)) throw error
    const message = error instanceof Error ? error.message : String(error)
    throw new CleoStoreError(
      'MIGRATION_FAILED',
      `${store.name} migration ${failed ?? '(bookkeeping)'} failed and was rolled back: ${message}`,
      { ...context, cause: error, details: { migration: failed, schema } },
    )
  }
}
