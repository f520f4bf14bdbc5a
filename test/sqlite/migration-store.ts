/**
 * A small test store for the migration and open tests: `item` (id, name) at version 1,
 * plus a `size` column at version 2 (an upgrade, so a backup before it when the file
 * holds data).
 */
import { readdirSync } from 'node:fs'
import { join } from 'node:path'

import type { Kysely } from 'kysely'
import type { Migration } from 'kysely/migration'

import { rawQuery } from '../../src/sqlite/database.js'
import { openDatabase } from '../../src/sqlite/open-database.js'
import type { StoreDefinition } from '../../src/sqlite/store-definition.js'

export const m1: Migration = {
  async up(db: Kysely<any>) {
    await db.schema.createTable('item').addColumn('id', 'integer', (c) => c.primaryKey()).addColumn('name', 'text').execute()
  },
}
export const m2: Migration = {
  async up(db: Kysely<any>) {
    await db.schema.alterTable('item').addColumn('size', 'integer').execute()
  },
}
export const storeV1: StoreDefinition = { name: 'tasks', migrations: { '0001_item': m1 } }
export const storeV2: StoreDefinition = { name: 'tasks', migrations: { '0001_item': m1, '0002_size': m2 } }

/** The migration backups in `dir`, oldest name first. */
export const backups = (dir: string): string[] => readdirSync(dir).filter((n) => n.includes('.bak-')).sort()

/** A file at V1 holding one row (so an upgrade backs it up). */
export async function fileAtV1(dir: string): Promise<string> {
  const file = join(dir, 'data.db')
  const db = await openDatabase(file, { store: storeV1 })
  db.run(rawQuery("INSERT INTO item (name) VALUES ('kept')"))
  await db.close()
  return file
}
