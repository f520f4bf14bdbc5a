import { randomBytes } from 'node:crypto'
import { chmodSync, existsSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs'
import { DatabaseSync } from 'node:sqlite'
import { join } from 'node:path'

import type { Kysely } from 'kysely'
import { sql } from 'kysely'
import type { Migration } from 'kysely/migration'
import { describe, expect, it } from 'vitest'

import { rawQuery } from '../../src/sqlite/database.js'
import { migrationChecksum } from '../../src/sqlite/migrate.js'
import { openDatabase } from '../../src/sqlite/open-database.js'
import { APPLICATION_IDS } from '../../src/sqlite/store-definition.js'
import { expectCode, tempDir } from '../helpers.js'
import { m1, m2, storeV1, storeV2 } from './migration-store.js'

const q = (text: string) => rawQuery(text)

describe('openDatabase', () => {
  it('applies the pragmas: WAL, foreign keys, busy timeout, synchronous', async () => {
    const file = join(tempDir(), 'a.db')
    const db = await openDatabase(file, { store: storeV1, busyTimeoutMs: 1234, synchronous: 'FULL' })
    try {
      expect(db.pragma('journal_mode')).toBe('wal')
      expect(db.pragma('foreign_keys')).toBe(1)
      expect(db.pragma('busy_timeout')).toBe(20) // SQLite's blocking slice; the rest is async
      expect(db.pragma('synchronous')).toBe(2) // FULL
      expect(db.pragma('application_id')).toBe(APPLICATION_IDS.tasks)
    } finally {
      await db.close()
    }
    const normal = await openDatabase(file, { store: storeV1 })
    expect(normal.pragma('synchronous')).toBe(1) // NORMAL
    expect(normal.pragma('busy_timeout')).toBe(20)
    await normal.close()
  })

  it('creates the file 0600 in an existing directory, and never creates directories (NOT_FOUND)', async () => {
    const root = tempDir()
    const file = join(root, 'a.db')
    const db = await openDatabase(file, { store: storeV1 })
    await db.close()
    expect(statSync(file).mode & 0o777).toBe(0o600)
    await expect(openDatabase(join(root, 'nested', 'deeper', 'a.db'), { store: storeV1 })).rejects.toMatchObject({ code: 'NOT_FOUND' })
    expect(existsSync(join(root, 'nested'))).toBe(false)
  })

  it('loads sqlite-vec for vector stores and leaves load_extension() disabled', async () => {
    const db = await openDatabase(':memory:', { store: { name: 'brain', migrations: { '0001_item': m1 }, vectors: true } })
    try {
      expect(db.get(q('SELECT vec_version() AS v'))).toEqual({ v: expect.stringMatching(/^v\d/) })
      expect(() => db.get(q("SELECT load_extension('/nonexistent/ext.so') AS x"))).toThrow(/not authorized/)
    } finally {
      await db.close()
    }
    const plain = await openDatabase(':memory:', { store: storeV1 })
    expect(() => plain.get(q("SELECT load_extension('/nonexistent/ext.so') AS x"))).toThrow(/not authorized/)
    expect(() => plain.get(q('SELECT vec_version() AS v'))).toThrow(/no such function/)
    await plain.close()
  })

  it('refuses a file of random bytes with CORRUPT and leaves it byte-identical', async () => {
    const file = join(tempDir(), 'junk.db')
    const bytes = randomBytes(8192)
    writeFileSync(file, bytes)
    const error = await expectCode(openDatabase(file, { store: storeV1 }), 'CORRUPT')
    expect(error.file).toBe(file)
    expect(error.store).toBe('tasks')
    expect(readFileSync(file).equals(bytes)).toBe(true)
  })

  it('refuses another application’s database with WRONG_STORE, byte-identical', async () => {
    const file = join(tempDir(), 'other.db')
    const other = new DatabaseSync(file)
    other.exec("CREATE TABLE notes (body TEXT); INSERT INTO notes VALUES ('hello')")
    other.close()
    const before = readFileSync(file)
    const error = await expectCode(openDatabase(file, { store: storeV1 }), 'WRONG_STORE')
    expect(error.message).toContain('another application')
    expect(readFileSync(file).equals(before)).toBe(true)
  })

  it('refuses to open one store’s file as another store', async () => {
    const file = join(tempDir(), 'brain.db')
    const brain = await openDatabase(file, { store: { name: 'brain', migrations: { '0001_item': m1 } } })
    await brain.close()
    const error = await expectCode(openDatabase(file, { store: storeV1 }), 'WRONG_STORE')
    expect(error.message).toContain('brain')
  })

  it('refuses a database migrated by a newer version with SCHEMA_TOO_NEW, byte-identical', async () => {
    const file = join(tempDir(), 'new.db')
    const newer = await openDatabase(file, { store: storeV2 })
    await newer.close()
    const before = readFileSync(file)
    const error = await expectCode(openDatabase(file, { store: storeV1 }), 'SCHEMA_TOO_NEW')
    expect(error.details?.['unknownMigrations']).toEqual(['0002_size'])
    expect(readFileSync(file).equals(before)).toBe(true)
  })

  it('refuses an applied migration that was edited afterwards', async () => {
    const file = join(tempDir(), 'edited.db')
    await (await openDatabase(file, { store: storeV1 })).close()
    const edited: Migration = {
      async up(db: Kysely<any>) {
        await db.schema.createTable('item').addColumn('id', 'integer', (c) => c.primaryKey()).addColumn('title', 'text').execute()
      },
    }
    const error = await expectCode(openDatabase(file, { store: { name: 'tasks', migrations: { '0001_item': edited } } }), 'MIGRATION_FAILED')
    expect(error.message).toContain('0001_item')
  })

  it('computes a checksum from the emitted SQL, stable across calls and sensitive to edits', async () => {
    expect(await migrationChecksum(m1)).toMatch(/^[0-9a-f]{64}$/)
    expect(await migrationChecksum({ up: m1.up })).toBe(await migrationChecksum(m1))
    expect(await migrationChecksum(m2)).not.toBe(await migrationChecksum(m1))
  })

  it('migrates a non-empty file after writing a backup beside it, keeping the newest few', async () => {
    const dir = tempDir()
    const file = join(dir, 'data.db')
    const v1 = await openDatabase(file, { store: storeV1 })
    v1.run(q("INSERT INTO item (name) VALUES ('kept')"))
    await v1.close()
    const v2 = await openDatabase(file, { store: storeV2 })
    expect(v2.all(q('SELECT name, size FROM item'))).toEqual([{ name: 'kept', size: null }])
    await v2.close()
    const backup = join(dir, 'data.db.bak-0001_item')
    expect(existsSync(backup)).toBe(true)
    expect(statSync(backup).mode & 0o777).toBe(0o600)
    const copy = new DatabaseSync(backup, { readOnly: true })
    expect(copy.prepare('SELECT name FROM item').all()).toEqual([{ name: 'kept' }])
    expect(copy.prepare('PRAGMA table_info(item)').all()).toHaveLength(2)
    copy.close()

    // Two more upgrades with backupsKept: 2 keep two backups.
    const m3: Migration = { up: async (db: Kysely<any>) => void (await sql`CREATE TABLE c (x INTEGER)`.execute(db)) }
    const m4: Migration = { up: async (db: Kysely<any>) => void (await sql`CREATE TABLE d (x INTEGER)`.execute(db)) }
    await (await openDatabase(file, { store: { name: 'tasks', migrations: { ...storeV2.migrations, '0003_c': m3 } }, backupsKept: 2 })).close()
    await (await openDatabase(file, { store: { name: 'tasks', migrations: { ...storeV2.migrations, '0003_c': m3, '0004_d': m4 } }, backupsKept: 2 })).close()
    expect(readdirSync(dir).filter((n) => n.includes('.bak-')).sort()).toEqual(['data.db.bak-0002_size', 'data.db.bak-0003_c'])
  })

  it('does not back up a fresh file', async () => {
    const dir = tempDir()
    await (await openDatabase(join(dir, 'fresh.db'), { store: storeV2 })).close()
    expect(readdirSync(dir).filter((n) => n.includes('.bak-'))).toEqual([])
  })

  it('rolls a failing migration back whole: schema and bookkeeping as before', async () => {
    const file = join(tempDir(), 'fail.db')
    await (await openDatabase(file, { store: storeV1 })).close()
    const failing: Migration = {
      async up(db: Kysely<any>) {
        await sql`CREATE TABLE half (x INTEGER)`.execute(db)
        await sql`INSERT INTO no_such_table VALUES (1)`.execute(db)
      },
    }
    const error = await expectCode(
      openDatabase(file, { store: { name: 'tasks', migrations: { ...storeV1.migrations, '0002_fail': failing } } }),
      'MIGRATION_FAILED',
    )
    expect(error.details?.['migration']).toBe('0002_fail')
    const check = new DatabaseSync(file, { readOnly: true })
    expect(check.prepare("SELECT name FROM sqlite_schema WHERE name = 'half'").all()).toEqual([])
    expect(check.prepare('SELECT name FROM kysely_migration').all()).toEqual([{ name: '0001_item' }])
    check.close()
  })

  it('refuses a migration that leaves dangling foreign keys', async () => {
    const dangling: Migration = {
      async up(db: Kysely<any>) {
        await sql`CREATE TABLE parent (id INTEGER PRIMARY KEY)`.execute(db)
        await sql`CREATE TABLE child (p INTEGER REFERENCES parent(id))`.execute(db)
        await sql`PRAGMA defer_foreign_keys = ON`.execute(db)
        await sql`INSERT INTO child VALUES (42)`.execute(db)
      },
    }
    await expectCode(openDatabase(':memory:', { store: { name: 'tasks', migrations: { '0001_dangling': dangling } } }), 'MIGRATION_FAILED')
  })

  it('reports READ_ONLY naming the file when the directory cannot be written', async () => {
    if (process.getuid?.() === 0) {
      // root ignores directory permissions; use a path under a regular file instead.
      const blocker = join(tempDir(), 'blocker')
      writeFileSync(blocker, 'x')
      const error = await expectCode(openDatabase(join(blocker, 'a.db'), { store: storeV1 }), 'NOT_FOUND')
      expect(error.file).toBe(join(blocker, 'a.db'))
      return
    }
    const dir = tempDir()
    chmodSync(dir, 0o500)
    try {
      const error = await expectCode(openDatabase(join(dir, 'a.db'), { store: storeV1 }), 'READ_ONLY')
      expect(error.file).toBe(join(dir, 'a.db'))
    } finally {
      chmodSync(dir, 0o700)
    }
  })

  it('validates its options', async () => {
    await expectCode(openDatabase(':memory:', { store: storeV1, busyTimeoutMs: -1 }), 'VALIDATION')
  })
})

describe('pre-migration backups after a crash', () => {
  it('removes temporary backup files left by a dead process', async () => {
    const dir = tempDir()
    const file = join(dir, 'data.db')
    const v1 = await openDatabase(file, { store: storeV1 })
    v1.run(q("INSERT INTO item (name) VALUES ('x')"))
    await v1.close()
    const { spawnSync } = await import('node:child_process')
    const deadPid = spawnSync(process.execPath, ['-e', '0']).pid!
    const orphan = join(dir, `data.db.bak-0001_item.tmp-${deadPid}-abcd1234`)
    const live = join(dir, `data.db.bak-0001_item.tmp-${process.pid}-abcd1234`)
    writeFileSync(orphan, 'partial')
    writeFileSync(live, 'in progress elsewhere')
    await (await openDatabase(file, { store: storeV2 })).close()
    expect(existsSync(orphan)).toBe(false)
    expect(existsSync(live)).toBe(true)
  })
})
