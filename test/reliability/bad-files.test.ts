/**
 * Bad files: each gives its typed error naming the file, and the file is
 * byte-identical afterwards (no "repair", no journal-mode switch, no backup written).
 */
import { chmodSync, copyFileSync, mkdirSync, readdirSync, readFileSync, truncateSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { DatabaseSync } from 'node:sqlite'

import { describe, expect, it } from 'vitest'

import { CleoWorkspace, TasksRepository } from '../../src/index.js'
import type { CleoStoreErrorCode } from '../../src/sqlite/errors.js'
import { expectCode, runFixtureAsNobody, tempDir } from '../helpers.js'

async function expectUntouched(file: string, code: CleoStoreErrorCode): Promise<void> {
  const before = readFileSync(file)
  const siblings = readdirSync(join(file, '..')).sort()
  const error = await expectCode(TasksRepository.open(file), code)
  expect(error.file).toBe(file)
  expect(error.store).toBe('tasks')
  expect(readFileSync(file).equals(before), 'the file changed').toBe(true)
  expect(readdirSync(join(file, '..')).sort()).toEqual(siblings)
}

/** A real tasks.db with data on several pages, checkpointed into the main file. */
async function realStore(dir: string): Promise<string> {
  const file = join(dir, 'tasks.db')
  const repo = await TasksRepository.open(file)
  await repo.kysely
    .insertInto('schema_meta')
    .values(Array.from({ length: 200 }, (_, i) => ({ key: `k${i}`, value: 'v'.repeat(200), updated_at: i })))
    .execute()
  await repo.close()
  return file
}

describe('bad files', () => {
  it('a truncated database → CORRUPT, untouched', async () => {
    const dir = tempDir()
    const source = await realStore(dir)
    const file = join(dir, 'truncated.db')
    copyFileSync(source, file)
    const size = readFileSync(file).length
    expect(size).toBeGreaterThan(4 * 4096)
    truncateSync(file, Math.floor(size / 2))
    await expectUntouched(file, 'CORRUPT')
  })

  it('a header-only stub → CORRUPT, untouched', async () => {
    const dir = tempDir()
    const file = join(dir, 'stub.db')
    writeFileSync(file, readFileSync(await realStore(dir)).subarray(0, 60))
    await expectUntouched(file, 'CORRUPT')
  })

  it('random bytes → CORRUPT, untouched', async () => {
    const file = join(tempDir(), 'random.db')
    writeFileSync(file, Buffer.from(Array.from({ length: 10_000 }, (_, i) => (i * 7919) % 251)))
    await expectUntouched(file, 'CORRUPT')
  })

  it('a text file → CORRUPT, untouched', async () => {
    const file = join(tempDir(), 'notes.db')
    writeFileSync(file, 'these are my notes, not a database\n')
    await expectUntouched(file, 'CORRUPT')
  })

  it('a database of another application → WRONG_STORE, untouched', async () => {
    const file = join(tempDir(), 'app.db')
    const db = new DatabaseSync(file)
    db.exec("PRAGMA application_id = 1234; CREATE TABLE t (x); INSERT INTO t VALUES ('y')")
    db.close()
    await expectUntouched(file, 'WRONG_STORE')
  })

  it('a database with a newer schema → SCHEMA_TOO_NEW, untouched', async () => {
    const dir = tempDir()
    const file = await realStore(dir)
    const db = new DatabaseSync(file)
    db.exec("INSERT INTO kysely_migration (name, timestamp) VALUES ('9999_from_the_future', '2030-01-01T00:00:00.000Z')")
    db.close()
    await expectUntouched(file, 'SCHEMA_TOO_NEW')
  })

  it('a missing project directory → NOT_FOUND naming it, nothing created', async () => {
    const root = tempDir()
    const missing = join(root, 'no', 'such', 'project')
    const error = await expectCode(CleoWorkspace.open(missing, { globalDir: join(root, 'g') }), 'NOT_FOUND')
    expect(error.file).toBe(missing)
    expect(readdirSync(root)).toEqual([])
  })

  it('a directory the process may not write → READ_ONLY naming the file', async () => {
    const dir = tempDir()
    const locked = join(dir, 'locked')
    mkdirSync(locked)
    chmodSync(dir, 0o755)
    chmodSync(locked, 0o555)
    const file = join(locked, 'tasks.db')
    if (process.getuid?.() === 0) {
      // root writes anywhere: open the store as an unprivileged user in a child process.
      expect(runFixtureAsNobody('open-tasks.ts', [file])).toEqual({ ok: false, code: 'READ_ONLY', file })
    } else {
      const error = await expectCode(TasksRepository.open(file), 'READ_ONLY')
      expect(error.file).toBe(file)
    }
    expect(readdirSync(locked)).toEqual([])
  })
})

describe('bad files with a live WAL beside them', () => {
  it('a newer schema whose WAL holds commits → SCHEMA_TOO_NEW; file and WAL byte-identical', async () => {
    const dir = tempDir()
    const source = await realStore(dir)
    // Copy the database and its WAL while a writer holds uncheckpointed commits in it.
    const writer = new DatabaseSync(source)
    writer.exec('PRAGMA wal_autocheckpoint = 0')
    writer.exec("INSERT INTO kysely_migration (name, timestamp) VALUES ('9999_from_the_future', '2030-01-01T00:00:00.000Z')")
    writer.exec("INSERT INTO schema_meta (key, value, updated_at) VALUES ('only-in-wal', 'x', 1)")
    const file = join(dir, 'copy.db')
    copyFileSync(source, file)
    copyFileSync(`${source}-wal`, `${file}-wal`)
    writer.close()
    const db = readFileSync(file)
    const wal = readFileSync(`${file}-wal`)
    expect(wal.length).toBeGreaterThan(0)
    await expectCode(TasksRepository.open(file), 'SCHEMA_TOO_NEW')
    expect(readFileSync(file).equals(db), 'the database file changed').toBe(true)
    expect(readFileSync(`${file}-wal`).equals(wal), 'the WAL changed or vanished').toBe(true)
  })
})

describe('a crash in the middle of a checkpoint', () => {
  it('opens a main file shorter than its header says when the WAL beside it holds the pages', async () => {
    const dir = tempDir()
    const source = await realStore(dir)
    // Grow the database inside the WAL only, then copy: the copied main file is the
    // old, short one while page 1 in the WAL (and, mid-checkpoint, in the file) says more.
    const writer = new DatabaseSync(source)
    writer.exec('PRAGMA wal_autocheckpoint = 0')
    writer.exec(
      "INSERT INTO schema_meta (key, value, updated_at) WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 400) SELECT 'grow-' || i, hex(randomblob(300)), 1 FROM n",
    )
    const file = join(dir, 'mid-checkpoint.db')
    copyFileSync(`${source}-wal`, `${file}-wal`)
    // Simulate "page 1 written, the rest not yet": the WAL's newest page 1 over a short main file.
    const main = readFileSync(source)
    const wal = readFileSync(`${file}-wal`)
    const pageSize = main.readUInt16BE(16)
    let page1: Buffer | undefined
    for (let offset = 32; offset + 24 + pageSize <= wal.length; offset += 24 + pageSize) {
      if (wal.readUInt32BE(offset) === 1) page1 = wal.subarray(offset + 24, offset + 24 + pageSize)
    }
    writer.close()
    expect(page1, 'the WAL holds a page 1').toBeDefined()
    const short = Buffer.from(main)
    page1!.copy(short, 0)
    writeFileSync(file, short)
    expect(short.length).toBeLessThan(page1!.readUInt32BE(28) * pageSize)
    const repo = await TasksRepository.open(file)
    expect((await repo.integrityCheck()).ok).toBe(true)
    const grown = await repo.kysely.selectFrom('schema_meta').select('key').where('key', 'like', 'grow-%').execute()
    expect(grown).toHaveLength(400)
    await repo.close()
  })
})
