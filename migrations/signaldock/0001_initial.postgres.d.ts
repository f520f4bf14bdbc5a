/**
 * signaldock 0001 on PostgreSQL: the rendition of `0001_initial` (whose frozen
 * helper emits SQLite-only SQL: a STRICT table, `unixepoch()`). Same table, same
 * seed row; epoch milliseconds in a `bigint`. Frozen like 0001_initial.
 */
import type { Kysely } from 'kysely';
export declare function up(db: Kysely<any>): Promise<void>;
