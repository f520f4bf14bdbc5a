/**
 * signaldock 0001 on PostgreSQL: the rendition of `0001_initial` (whose frozen
 * helper emits SQLite-only SQL: a STRICT table, `unixepoch()`). Same table, same
 * seed row; epoch milliseconds in a `bigint`. Frozen like 0001_initial.
 */
import type { Kysely } from 'kysely'
import { sql } from 'kysely'

export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('signaldock_schema_meta')
    .addColumn('key', sql`text collate "C"`, (c) => c.primaryKey().check(sql`length(key) > 0`))
    .addColumn('value', sql`text collate "C"`, (c) => c.notNull())
    .addColumn('updated_at', 'bigint', (c) => c.notNull())
    .execute()
  await db
    .insertInto('signaldock_schema_meta')
    .values({ key: 'store', value: 'signaldock', updated_at: sql`(extract(epoch from clock_timestamp()) * 1000)::bigint` })
    .execute()
}
