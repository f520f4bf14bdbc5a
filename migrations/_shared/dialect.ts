/**
 * FROZEN with the migrations that import it (their checksums cover what they emit
 * through it): the dialect switches of every store's migrations, which compile for
 * SQLite (the local files) and for PostgreSQL (the server tier).
 *
 * A switch never changes what a migration emits on SQLite, so the checksum of an
 * applied migration (the SHA-256 of its SQLite emission) stays what it was.
 */
import type { Kysely, RawBuilder, SelectQueryNode } from 'kysely'
import { PostgresAdapter, TableNode, sql } from 'kysely'
import type { Migration } from 'kysely/migration'

/** True when `db` compiles for PostgreSQL. */
export function isPostgres(db: Kysely<any>): boolean {
  return db.getExecutor().adapter instanceof PostgresAdapter
}

/**
 * The type of a text column: `text` on SQLite (BINARY collation: byte order); on
 * PostgreSQL `text COLLATE "C"`, so that ordering, range comparisons (keyset pages)
 * and uniqueness are byte-wise there too, whatever the database's default collation.
 */
export function textType(db: Kysely<any>): 'text' | RawBuilder<unknown> {
  return isPostgres(db) ? sql`text collate "C"` : 'text'
}

/**
 * A migration with a PostgreSQL rendition: `sqlite` runs on SQLite (unchanged,
 * so its checksum is too), `postgres` on PostgreSQL. For frozen SQLite-only
 * migrations (STRICT tables, `unixepoch()`) that must not be edited. A
 * `rebuildsTables` flag of `sqlite` (see `src/sqlite/migrate.ts`) is kept.
 *
 * @example
 * ```ts
 * '0001_initial': withPostgresRendition(m0001, m0001Postgres.up)
 * ```
 */
export function withPostgresRendition(sqlite: Migration, postgres: (db: Kysely<any>) => Promise<void>): Migration {
  const up = (db: Kysely<any>) => (isPostgres(db) ? postgres(db) : sqlite.up(db))
  // The SQLite runner reads a table rebuild's flag from the migration it is given:
  // the wrapper keeps it (PostgreSQL's runner never reads it).
  const { rebuildsTables } = sqlite as Migration & { readonly rebuildsTables?: unknown }
  return Object.freeze(rebuildsTables === undefined ? { up } : { up, rebuildsTables })
}

/**
 * A migration that runs on SQLite only and does nothing on PostgreSQL, where the
 * store's PostgreSQL baseline (its `0001_initial` rendition) already holds what it
 * creates. Its checksum is that of `migration` (the SQLite emission is the same).
 *
 * @example
 * ```ts
 * '0002_messaging': sqliteOnly(m0002)
 * ```
 */
export function sqliteOnly(migration: Migration): Migration {
  return withPostgresRendition(migration, async () => {})
}

/**
 * The schema `db` qualifies its tables with (a Kysely from `withSchema(schema)`,
 * as the PostgreSQL migrator passes), or `undefined` for an unscoped Kysely.
 */
function scopedSchemaOf(db: Kysely<any>): string | undefined {
  const query = db.selectFrom('cleo_probe').selectAll().compile().query as SelectQueryNode
  const from = query.from?.froms[0]
  return from !== undefined && TableNode.is(from) ? from.table.schema?.name : undefined
}

/**
 * Makes raw SQL of a PostgreSQL migration land in the store's schema: when `db` is
 * scoped by `withSchema` (which qualifies query-builder statements only, never raw
 * SQL), sets `search_path` to that schema for the rest of the current transaction
 * (the migrator runs all pending migrations in one). Unscoped: leaves the session's
 * `search_path` as it is (the caller set it).
 */
export async function searchStoreSchema(db: Kysely<any>): Promise<void> {
  const schema = scopedSchemaOf(db)
  if (schema !== undefined) await sql`select set_config('search_path', quote_ident(${schema}), true)`.execute(db)
}
