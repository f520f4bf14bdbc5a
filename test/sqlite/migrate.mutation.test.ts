/**
 * Migrations, the details the mutation run of `src/sqlite/migrate.ts` showed untested
 * (issue 14 item 14): the checksum's definition (it is stored in every database, so it
 * must never change), what `migrateToLatest` returns and when it backs up, a file whose
 * checksum rows predate checksums, the foreign-key check after a migration, which
 * migration a failure names, a backup that cannot be published, and which temporary
 * files the orphan sweep may delete.
 */
import { createHash } from 'node:crypto'
import { spawnSync } from 'node:child_process'
import { existsSync, mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs'
import { DatabaseSync } from 'node:sqlite'
import { join } from 'node:path'

import type { Kysely } from 'kysely'
import { sql } from 'kysely'
import type { Migration } from 'kysely/migration'
import { describe, expect, it } from 'vitest'

import { rawQuery } from '../../src/sqlite/database.js'
import { migrateToLatest, migrationChecksum } from '../../src/sqlite/migrate.js'
import { openDatabase } from '../../src/sqlite/open-database.js'
import { expectCode, tempDir } from '../helpers.js'
import { m1, storeV1, storeV2, backups, fileAtV1 } from './migration-store.js'

describe('migration checksums', () => {
  it('is the SHA-256 of the statements up() emits, each "sql NUL parameters-as-JSON", joined by newlines', async () => {
    const emitted = ['create table "item" ("id" integer primary key, "name" text)\u0000[]']
    expect(await migrationChecksum(m1)).toBe(createHash('sha256').update(emitted.join('\n')).digest('hex'))
    const two: Migration = {
      async up(db: Kysely<any>) {
        await sql`CREATE TABLE a (x INTEGER)`.execute(db)
        await sql`INSERT INTO a VALUES (${7})`.execute(db)
      },
    }
    const statements = ['CREATE TABLE a (x INTEGER)\u0000[]', 'INSERT INTO a VALUES (?)\u0000[7]']
    expect(await migrationChecksum(two)).toBe(createHash('sha256').update(statements.join('\n')).digest('hex'))
  })
})

describe('migration checksums of migrations that read', () => {
  it('a migration may read results and introspect while its checksum is taken: the recorder answers with no rows', async () => {
    const reading: Migration = {
      async up(db: Kysely<any>) {
        const tables = await db.introspection.getTables()
        const { rows } = await sql<{ name: string }>`SELECT name FROM sqlite_schema`.execute(db)
        // one statement per table and per row found: none while the checksum is taken
        for (const t of tables) await sql`CREATE INDEX ${sql.id(`${t.name}_i`)} ON ${sql.table(t.name)} (id)`.execute(db)
        for (const r of rows) await sql`SELECT ${r.name}`.execute(db)
        await sql`CREATE TABLE r (x INTEGER)`.execute(db)
      },
    }
    const checksum = await migrationChecksum(reading)
    expect(checksum).toMatch(/^[0-9a-f]{64}$/)
    const db = await openDatabase(':memory:', { store: { name: 'tasks', migrations: { '0001_r': reading } } })
    try {
      expect(db.all(rawQuery("SELECT name FROM sqlite_schema WHERE name = 'r'"))).toEqual([{ name: 'r' }])
      expect(db.get(rawQuery<{ checksum: string }>("SELECT checksum FROM cleo_migration_checksum WHERE name = '0001_r'"))?.checksum).toBe(checksum)
    } finally {
      await db.close()
    }
    // what the recorder saw: the introspection's queries, the SELECT, then only the CREATE TABLE
    const statements = await recordedStatements(reading)
    expect(statements.at(-1)).toBe('CREATE TABLE r (x INTEGER)\u0000[]')
    expect(statements.filter((text) => text.startsWith('CREATE INDEX'))).toEqual([])
    expect(statements.filter((text) => text.startsWith('SELECT ') && text.includes('\u0000['))).toHaveLength(1)
    expect(statements.some((text) => text.includes('sqlite_master') || text.includes('sqlite_schema'))).toBe(true)
    expect(checksum).toBe(createHash('sha256').update(statements.join('\n')).digest('hex'))
  })
})

/** The statements a migration emits against a recorder that answers every query with no rows. */
async function recordedStatements(migration: Migration): Promise<string[]> {
  const { Kysely: KyselyClass, SqliteAdapter, SqliteIntrospector, SqliteQueryCompiler } = await import('kysely')
  const statements: string[] = []
  const connection = {
    executeQuery: async (query: { sql: string; parameters: readonly unknown[] }) => {
      statements.push(`${query.sql}\u0000${JSON.stringify(query.parameters)}`)
      return { rows: [] }
    },
    streamQuery: async function* () {},
  }
  const recorder = new KyselyClass<any>({
    dialect: {
      createAdapter: () => new SqliteAdapter(),
      createDriver: () => ({
        init: async () => {},
        acquireConnection: async () => connection as never,
        beginTransaction: async () => {},
        commitTransaction: async () => {},
        rollbackTransaction: async () => {},
        releaseConnection: async () => {},
        destroy: async () => {},
      }),
      createIntrospector: (db) => new SqliteIntrospector(db),
      createQueryCompiler: () => new SqliteQueryCompiler(),
    },
  })
  await migration.up(recorder)
  return statements
}

describe('migrateToLatest', () => {
  it('returns the migrations it applied, then none; an up-to-date file is not backed up again', async () => {
    const dir = tempDir()
    const file = await fileAtV1(dir)
    const db = await openDatabase(file, { store: storeV1 })
    try {
      expect(await migrateToLatest(db, storeV1)).toEqual([])
      expect(backups(dir)).toEqual([]) // nothing pending: no backup
      expect(await migrateToLatest(db, storeV2)).toEqual(['0002_size'])
      expect(backups(dir)).toEqual(['data.db.bak-0001_item'])
      expect(await migrateToLatest(db, storeV2)).toEqual([])
    } finally {
      await db.close()
    }
    await (await openDatabase(file, { store: storeV2 })).close()
    expect(backups(dir)).toEqual(['data.db.bak-0001_item'])
  })

  it('backupsKept: 0 writes no backup; an in-memory database is never backed up', async () => {
    const dir = tempDir()
    const file = await fileAtV1(dir)
    await (await openDatabase(file, { store: storeV2, backupsKept: 0 })).close()
    expect(backups(dir)).toEqual([])
    // A backup of ':memory:' would be written to the working directory under this name.
    const stray = join(process.cwd(), ':memory:.bak-0001_item')
    rmSync(stray, { force: true })
    const memory = await openDatabase(':memory:', { store: storeV1 })
    try {
      expect(await migrateToLatest(memory, storeV2)).toEqual(['0002_size'])
      expect(existsSync(stray)).toBe(false)
    } finally {
      await memory.close()
      rmSync(stray, { force: true })
    }
  })

  it('an applied migration without a stored checksum (written before checksums) is accepted', async () => {
    const dir = tempDir()
    const file = await fileAtV1(dir)
    const raw = new DatabaseSync(file)
    raw.exec('DELETE FROM cleo_migration_checksum')
    raw.close()
    const db = await openDatabase(file, { store: storeV2 })
    expect(db.all(rawQuery('SELECT name, size FROM item'))).toEqual([{ name: 'kept', size: null }])
    await db.close()
  })

  it('SCHEMA_TOO_NEW and an edited migration say what and where', async () => {
    const dir = tempDir()
    const file = await fileAtV1(dir)
    const newer = join(dir, 'newer.db')
    await (await openDatabase(newer, { store: { name: 'tasks', migrations: { ...storeV1.migrations, '0002_a': { up: async () => {} }, '0003_b': { up: async () => {} } } } })).close()
    const tooNew = await expectCode(openDatabase(newer, { store: storeV1 }), 'SCHEMA_TOO_NEW')
    expect(tooNew.message).toBe(
      'SCHEMA_TOO_NEW: tasks database was migrated by a newer cleo-store (unknown migrations: 0002_a, 0003_b); it was left untouched — upgrade cleo-store to open it',
    )
    expect(tooNew.details).toEqual({ unknownMigrations: ['0002_a', '0003_b'] })
    expect(tooNew.file).toBe(newer)

    const edited: Migration = { up: async (db: Kysely<any>) => void (await sql`CREATE TABLE item (id INTEGER PRIMARY KEY, title TEXT)`.execute(db)) }
    const stored = await migrationChecksum(m1)
    const expected = await migrationChecksum(edited)
    const changed = await expectCode(openDatabase(file, { store: { name: 'tasks', migrations: { '0001_item': edited } } }), 'MIGRATION_FAILED')
    expect(changed.message).toBe(
      `MIGRATION_FAILED: tasks migration 0001_item differs from the one applied to this database (checksum ${stored.slice(0, 12)} ≠ ${expected.slice(0, 12)}); applied migrations must never be edited`,
    )
    expect(changed.details).toEqual({ migration: '0001_item' })
    expect(changed.file).toBe(file)
  })

  it('a migration that leaves foreign-key violations is refused by the check after it, naming the first ten', async () => {
    const dangling: Migration = {
      async up(db: Kysely<any>) {
        await sql`CREATE TABLE parent (id INTEGER PRIMARY KEY)`.execute(db)
        await sql`CREATE TABLE child (p INTEGER REFERENCES parent(id))`.execute(db)
        await sql`PRAGMA defer_foreign_keys = ON`.execute(db)
        for (let i = 1; i <= 12; i++) await sql`INSERT INTO child VALUES (${i})`.execute(db)
      },
    }
    const error = await expectCode(openDatabase(':memory:', { store: { name: 'tasks', migrations: { '0001_dangling': dangling } } }), 'MIGRATION_FAILED')
    expect(error.message).toBe(
      'MIGRATION_FAILED: tasks migration 0001_dangling failed and was rolled back: MIGRATION_FAILED: migration 0001_dangling left 12 foreign-key violation(s)',
    )
    expect(error.details).toEqual({ migration: '0001_dangling' })
    const cause = error.cause as { code?: string; details?: { violations?: unknown[] } }
    expect(cause.code).toBe('MIGRATION_FAILED')
    expect(cause.details?.violations).toHaveLength(10)
  })

  it('a failure names the migration that failed, not one applied before it in the same run', async () => {
    const dir = tempDir()
    const file = await fileAtV1(dir)
    const failing: Migration = { up: async (db: Kysely<any>) => void (await sql`INSERT INTO no_such_table VALUES (1)`.execute(db)) }
    const error = await expectCode(
      openDatabase(file, { store: { name: 'tasks', migrations: { ...storeV2.migrations, '0003_fail': failing } } }),
      'MIGRATION_FAILED',
    )
    expect(error.details).toEqual({ migration: '0003_fail' })
    expect(error.message).toMatch(/^MIGRATION_FAILED: tasks migration 0003_fail failed and was rolled back: /)
    // rolled back whole: 0002 is not applied either
    const db = await openDatabase(file, { store: storeV1 })
    expect(db.all(rawQuery('SELECT name FROM kysely_migration ORDER BY name'))).toEqual([{ name: '0001_item' }])
    await db.close()
  })
})

describe('migrateToLatest: Kysely’s bookkeeping', () => {
  it('a failure outside any migration (a broken lock table) is MIGRATION_FAILED naming the bookkeeping', async () => {
    const dir = tempDir()
    const file = await fileAtV1(dir)
    const raw = new DatabaseSync(file)
    raw.exec('DROP TABLE kysely_migration_lock; CREATE TABLE kysely_migration_lock (x INTEGER)')
    raw.close()
    const error = await expectCode(openDatabase(file, { store: storeV2 }), 'MIGRATION_FAILED')
    expect(error.message).toMatch(/^MIGRATION_FAILED: tasks migration \(bookkeeping\) failed and was rolled back: /)
    expect(error.details?.migration).toBeUndefined()
    expect(error.file).toBe(file)
  })
})

describe('pre-migration backups', () => {
  it('a backup that cannot be published refuses the upgrade and leaves no temporary file', async () => {
    const dir = tempDir()
    const file = await fileAtV1(dir)
    mkdirSync(join(dir, 'data.db.bak-0001_item')) // a directory where the backup goes: the rename fails
    const error = await expectCode(openDatabase(file, { store: storeV2 }), 'IO')
    expect(error.file).toBe(file)
    expect(readdirSync(dir).filter((n) => n.includes('.tmp-'))).toEqual([])
    const db = await openDatabase(file, { store: storeV1 })
    expect(db.all(rawQuery('SELECT name FROM kysely_migration ORDER BY name'))).toEqual([{ name: '0001_item' }])
    await db.close()
  })

  it('the orphan sweep deletes only this file’s temporary backups of dead processes, by their exact name', async () => {
    const dir = tempDir()
    const file = await fileAtV1(dir)
    const deadPid = spawnSync(process.execPath, ['-e', '0']).pid!
    const orphan = join(dir, `data.db.bak-0001_item.tmp-${deadPid}-abcd1234`)
    const otherFiles = join(dir, `other.db.bak-0001_item.tmp-${deadPid}-abcd1234`)
    const notOurs = join(dir, `data.db.bak-0001_item.tmp-${deadPid}-abcd1234.notes`)
    for (const path of [orphan, otherFiles, notOurs]) writeFileSync(path, 'x')
    await (await openDatabase(file, { store: storeV2 })).close()
    expect(existsSync(orphan)).toBe(false)
    expect(existsSync(otherFiles)).toBe(true)
    expect(existsSync(notOurs)).toBe(true)
  })
})
