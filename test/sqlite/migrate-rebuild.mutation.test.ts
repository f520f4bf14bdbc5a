/**
 * Migrations that rebuild tables (issue 14 item 14, from the mutation run of
 * `src/sqlite/migrate.ts`): a migration module exporting `rebuildsTables = true` runs
 * its batch with `foreign_keys` OFF (switched off outside the transaction), so the
 * `DROP TABLE` of a parent deletes no children through `ON DELETE CASCADE`; the setting
 * is restored afterwards; other batches keep foreign keys on; inside an open transaction
 * such a batch is refused.
 */
import { join } from 'node:path'

import type { Kysely } from 'kysely'
import { sql } from 'kysely'
import type { Migration } from 'kysely/migration'
import { describe, expect, it } from 'vitest'

import { rawQuery } from '../../src/sqlite/database.js'
import { migrateToLatest, rebuildsTables } from '../../src/sqlite/migrate.js'
import { openDatabase } from '../../src/sqlite/open-database.js'
import type { StoreDefinition } from '../../src/sqlite/store-definition.js'
import { expectCode, tempDir } from '../helpers.js'

const family: Migration = {
  async up(db: Kysely<any>) {
    await sql`CREATE TABLE parent (id INTEGER PRIMARY KEY, name TEXT NOT NULL)`.execute(db)
    await sql`CREATE TABLE child (id INTEGER PRIMARY KEY, parent_id INTEGER NOT NULL REFERENCES parent(id) ON DELETE CASCADE)`.execute(db)
  },
}
/** SQLite's 12-step rebuild of `parent` (adds a CHECK): new table, copy, drop the old one, rename. */
const rebuildParent = {
  rebuildsTables: true,
  async up(db: Kysely<any>) {
    await sql`CREATE TABLE parent_new (id INTEGER PRIMARY KEY, name TEXT NOT NULL CHECK (name <> ''))`.execute(db)
    await sql`INSERT INTO parent_new (id, name) SELECT id, name FROM parent`.execute(db)
    await sql`DROP TABLE parent`.execute(db)
    await sql`ALTER TABLE parent_new RENAME TO parent`.execute(db)
  },
} satisfies Migration & { rebuildsTables: boolean }
const addIndex: Migration = {
  async up(db: Kysely<any>) {
    await sql`CREATE INDEX child_parent ON child (parent_id)`.execute(db)
  },
}

const v1: StoreDefinition = { name: 'tasks', migrations: { '0001_family': family } }

/** A V1 file holding two parents with children, open with the store's default foreign_keys=ON. */
async function familyAtV1() {
  const db = await openDatabase(join(tempDir(), 'data.db'), { store: v1, backupsKept: 0 })
  db.run(rawQuery("INSERT INTO parent (id, name) VALUES (1, 'a'), (2, 'b')"))
  db.run(rawQuery('INSERT INTO child (id, parent_id) VALUES (10, 1), (11, 1), (20, 2)'))
  return db
}
const children = (db: Awaited<ReturnType<typeof openDatabase>>) =>
  db.all(rawQuery<{ id: number }>('SELECT id FROM child ORDER BY id')).map((r) => r.id)
const applied = (db: Awaited<ReturnType<typeof openDatabase>>) =>
  db.all(rawQuery<{ name: string }>('SELECT name FROM kysely_migration ORDER BY name')).map((r) => r.name)

describe('rebuildsTables', () => {
  it('is true only for a module exporting rebuildsTables = true', () => {
    expect(rebuildsTables(rebuildParent)).toBe(true)
    expect(rebuildsTables(addIndex)).toBe(false)
    for (const flag of [false, 'true', 1, undefined]) expect(rebuildsTables({ ...addIndex, rebuildsTables: flag } as Migration)).toBe(false)
  })
})

describe('a batch holding a table rebuild', () => {
  it('runs with foreign_keys off: dropping the old parent deletes no children; foreign_keys is on again after', async () => {
    const db = await familyAtV1()
    try {
      // the rebuild is one migration of three: the flag covers the whole batch
      const v2: StoreDefinition = { name: 'tasks', migrations: { ...v1.migrations, '0002_index': addIndex, '0003_rebuild': rebuildParent } }
      expect(await migrateToLatest(db, v2, { backupsKept: 0 })).toEqual(['0002_index', '0003_rebuild'])
      expect(children(db)).toEqual([10, 11, 20])
      expect(db.pragma('foreign_keys')).toBe(1)
      // the rebuilt parent is the one enforced now, with cascades back on
      await expectCode(Promise.resolve().then(() => db.run(rawQuery("INSERT INTO parent (id, name) VALUES (3, '')"))), 'INVARIANT') // a CHECK violation
      db.run(rawQuery('DELETE FROM parent WHERE id = 1'))
      expect(children(db)).toEqual([20])
    } finally {
      await db.close()
    }
  })

  it('a connection that had foreign_keys off keeps it off', async () => {
    const db = await familyAtV1()
    try {
      db.connection.exec('PRAGMA foreign_keys = OFF')
      const v2: StoreDefinition = { name: 'tasks', migrations: { ...v1.migrations, '0002_rebuild': rebuildParent } }
      expect(await migrateToLatest(db, v2, { backupsKept: 0 })).toEqual(['0002_rebuild'])
      expect(children(db)).toEqual([10, 11, 20])
      expect(db.pragma('foreign_keys')).toBe(0)
    } finally {
      await db.close()
    }
  })

  it('a rebuild that fails is rolled back and foreign_keys is on again', async () => {
    const db = await familyAtV1()
    try {
      const failing = {
        rebuildsTables: true,
        async up(kysely: Kysely<any>) {
          await rebuildParent.up(kysely)
          await sql`INSERT INTO no_such_table VALUES (1)`.execute(kysely)
        },
      }
      const v2: StoreDefinition = { name: 'tasks', migrations: { ...v1.migrations, '0002_rebuild': failing } }
      expect((await expectCode(migrateToLatest(db, v2, { backupsKept: 0 }), 'MIGRATION_FAILED')).details).toEqual({ migration: '0002_rebuild' })
      expect(applied(db)).toEqual(['0001_family'])
      expect(children(db)).toEqual([10, 11, 20])
      expect(db.pragma('foreign_keys')).toBe(1)
    } finally {
      await db.close()
    }
  })

  it('inside an open transaction it is refused before anything runs', async () => {
    const db = await familyAtV1()
    try {
      const v2: StoreDefinition = { name: 'tasks', migrations: { ...v1.migrations, '0002_rebuild': rebuildParent } }
      db.connection.exec('BEGIN')
      const error = await expectCode(migrateToLatest(db, v2, { backupsKept: 0 }), 'MIGRATION_FAILED')
      expect(error.message).toBe('MIGRATION_FAILED: tasks migrations that rebuild tables cannot run inside an open transaction')
      expect(error.file).toBe(db.path)
      expect(db.connection.isTransaction).toBe(true)
      db.connection.exec('ROLLBACK')
      expect(applied(db)).toEqual(['0001_family'])
      expect(db.pragma('foreign_keys')).toBe(1)
    } finally {
      await db.close()
    }
  })
})

describe('a batch without a table rebuild', () => {
  it('runs with foreign_keys on: a migration’s DELETE cascades, and the setting is left as it was', async () => {
    const db = await familyAtV1()
    try {
      const prune: Migration = { up: async (kysely: Kysely<any>) => void (await sql`DELETE FROM parent WHERE id = 1`.execute(kysely)) }
      const v2: StoreDefinition = { name: 'tasks', migrations: { ...v1.migrations, '0002_prune': prune } }
      expect(await migrateToLatest(db, v2, { backupsKept: 0 })).toEqual(['0002_prune'])
      expect(children(db)).toEqual([20])
      expect(db.pragma('foreign_keys')).toBe(1)
    } finally {
      await db.close()
    }
  })
})
