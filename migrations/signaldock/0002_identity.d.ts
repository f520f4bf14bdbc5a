/**
 * signaldock.db 0002: agent identity, the capability/skill catalogue and its
 * junctions, connections, the auth tables (users, accounts, sessions,
 * verifications, organization, claim codes, org agent keys) and agent availability.
 *
 * Frozen once released: add a new migration instead.
 *
 * Portable on purpose: the same migration runs on PostgreSQL through Kysely's
 * PostgresDialect (text columns get the "C" collation there; see dialect.ts). Hence plain tables (no SQLite `STRICT`), `bigint` epoch
 * milliseconds (a PostgreSQL `integer` would overflow), booleans as integers with a
 * `CHECK (x IN (0, 1))`, text ids, no SQLite-only functions (`json_valid`,
 * `unixepoch`): JSON columns are validated by the repository's zod schemas on write
 * and parsed through them on read. Every enum is a named `CHECK`; every slug is
 * `UNIQUE`; every foreign key says what happens `ON DELETE`.
 */
import type { Kysely } from 'kysely';
export declare function up(db: Kysely<any>): Promise<void>;
