/**
 * FROZEN with the migrations that import it (their checksums cover what they emit
 * through it): dialect switches for signaldock's migrations, which compile for
 * SQLite (the local signaldock.db) and for PostgreSQL (the cloud tier).
 *
 * A switch never changes what a migration emits on SQLite, so the checksum of an
 * applied migration (the SHA-256 of its SQLite emission) stays what it was.
 */
import type { Kysely, RawBuilder } from 'kysely'
import { PostgresAdapter, sql } from 'kysely'
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
 * migrations (STRICT tables, `unixepoch()`) that must not be edited.
 */
export function withPostgresRendition(sqlite: Migration, postgres: (db: Kysely<any>) => Promise<void>): Migration {
  return Object.freeze({
    up: (db: Kysely<any>) => (isPostgres(db) ? postgres(db) : sqlite.up(db)),
  })
}
