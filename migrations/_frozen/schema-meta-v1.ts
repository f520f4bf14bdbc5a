/**
 * FROZEN — never edit this file: applied migrations import it, and their checksums
 * cover the SQL it emits. A different meta table shape needs a new helper file.
 *
 * Creates a store's key/value meta table (STRICT, epoch-ms `updated_at`) and seeds
 * the `store` key.
 */
import type { Kysely } from 'kysely'
import { sql } from 'kysely'

export async function createSchemaMetaV1(db: Kysely<any>, table: string, store: string): Promise<void> {
  await db.schema
    .createTable(table)
    .addColumn('key', 'text', (c) => c.primaryKey().check(sql`length(key) > 0`))
    .addColumn('value', 'text', (c) => c.notNull())
    .addColumn('updated_at', 'integer', (c) => c.notNull())
    .modifyEnd(sql`STRICT`)
    .execute()
  await sql`INSERT INTO ${sql.table(table)} (key, value, updated_at)
    VALUES ('store', ${store}, CAST(unixepoch('subsec') * 1000 AS INTEGER))`.execute(db)
}
