/**
 * FROZEN with the migrations that import it (their checksums cover what they emit
 * through it): dialect switches for signaldock's migrations, which compile for
 * SQLite (the local signaldock.db) and for PostgreSQL (the cloud tier).
 *
 * A switch never changes what a migration emits on SQLite, so the checksum of an
 * applied migration (the SHA-256 of its SQLite emission) stays what it was.
 */
import type { Kysely, RawBuilder } from 'kysely';
import type { Migration } from 'kysely/migration';
/** True when `db` compiles for PostgreSQL. */
export declare function isPostgres(db: Kysely<any>): boolean;
/**
 * The type of a text column: `text` on SQLite (BINARY collation: byte order); on
 * PostgreSQL `text COLLATE "C"`, so that ordering, range comparisons (keyset pages)
 * and uniqueness are byte-wise there too, whatever the database's default collation.
 */
export declare function textType(db: Kysely<any>): 'text' | RawBuilder<unknown>;
/**
 * A migration with a PostgreSQL rendition: `sqlite` runs on SQLite (unchanged,
 * so its checksum is too), `postgres` on PostgreSQL. For frozen SQLite-only
 * migrations (STRICT tables, `unixepoch()`) that must not be edited.
 */
export declare function withPostgresRendition(sqlite: Migration, postgres: (db: Kysely<any>) => Promise<void>): Migration;
