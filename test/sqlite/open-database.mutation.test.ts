/**
 * Issue 14 item 14: what the engine-open mutation run (stryker.config.mjs, `engine-open`)
 * found the other open tests do not check — each refusal's message, `details` and
 * `cause`, the path classification of every file type, the header checks' boundaries,
 * `probeStoreFile` on its own, the options an open passes on, and the connection an
 * open that fails late leaves closed.
 */
import { execFileSync } from 'node:child_process'
import {
  chmodSync,
  closeSync,
  copyFileSync,
  existsSync,
  mkdirSync,
  openSync,
  readdirSync,
  readFileSync,
  realpathSync,
  rmSync,
  statSync,
  symlinkSync,
  truncateSync,
  writeFileSync,
  writeSync,
} from 'node:fs'
import { createRequire, syncBuiltinESMExports } from 'node:module'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { join, relative } from 'node:path'
import { DatabaseSync } from 'node:sqlite'

import type { Kysely } from 'kysely'
import { sql } from 'kysely'
import type { Migration } from 'kysely/migration'
import { describe, expect, it } from 'vitest'

import { rawQuery } from '../../src/sqlite/database.js'
import { CleoStoreError } from '../../src/sqlite/errors.js'
import { inspectStorePath, JOURNAL_SIZE_LIMIT, openDatabase, probeStoreFile } from '../../src/sqlite/open-database.js'
import type { StoreDefinition } from '../../src/sqlite/store-definition.js'
import { APPLICATION_IDS } from '../../src/sqlite/store-definition.js'
import { sqliteVecStatus, sqliteVecUnavailableReason } from '../../src/sqlite/sqlite-vec.js'
import { afterThisTest, canRun, canRunAsNobody, chattrWorks, expectCode, immutable, runFixtureAsNobody, tempDir } from '../helpers.js'

const m1: Migration = {
  async up(db: Kysely<any>) {
    await sql`CREATE TABLE item (id INTEGER PRIMARY KEY, name TEXT)`.execute(db)
  },
}
const store: StoreDefinition = { name: 'tasks', migrations: { '0001_item': m1 } }
const ctx = (file: string) => ({ store: 'tasks', file })
/** An error's message without the `CODE: ` prefix every CleoStoreError's message starts with. */
const text = (error: CleoStoreError) => {
  expect(error.message.startsWith(`${error.code}: `)).toBe(true)
  return error.message.slice(error.code.length + 2)
}

const isRoot = process.getuid?.() === 0

/** A store of one migration that counts how often its `up` runs (its SQL is checksummed by running it too). */
function countedStore(): { store: StoreDefinition; runs: () => number } {
  let runs = 0
  const store: StoreDefinition = {
    name: 'tasks',
    migrations: {
      '0001_counted': {
        async up(db: Kysely<any>) {
          runs++
          await sql`CREATE TABLE counted (id INTEGER PRIMARY KEY)`.execute(db)
        },
      },
    },
  }
  return { store, runs: () => runs }
}

/** A closed store file of `store` with one row. */
async function storeFile(dir: string, name = 'a.db'): Promise<string> {
  const file = join(dir, name)
  const db = await openDatabase(file, { store })
  db.run(rawQuery("INSERT INTO item (name) VALUES ('x')"))
  await db.close()
  return file
}

/** Writes `bytes` at `offset` of `file`. */
function patch(file: string, offset: number, bytes: Buffer): void {
  const fd = openSync(file, 'r+')
  try {
    writeSync(fd, bytes, 0, bytes.length, offset)
  } finally {
    closeSync(fd)
  }
}
const u32 = (n: number) => {
  const b = Buffer.alloc(4)
  b.writeUInt32BE(n >>> 0)
  return b
}

/** `dir/tasks.db` and a live `-wal` beside it, written by `setup` on a WAL connection that never checkpoints. */
function withLiveWal(dir: string, setup: (db: DatabaseSync) => void, name = 'tasks.db'): string {
  const source = join(tempDir(), 'source.db')
  const writer = new DatabaseSync(source)
  writer.exec('PRAGMA journal_mode = WAL; PRAGMA wal_autocheckpoint = 0')
  setup(writer)
  const file = join(dir, name)
  copyFileSync(source, file)
  copyFileSync(`${source}-wal`, `${file}-wal`)
  writer.close()
  return file
}

describe('inspectStorePath classifies what sits at a path', () => {
  it('a regular file, nothing, a path under a regular file', () => {
    const dir = tempDir()
    const file = join(dir, 'f.db')
    writeFileSync(file, '')
    expect(inspectStorePath(file, ctx(file))).toEqual({ path: file, exists: true })
    expect(inspectStorePath(join(dir, 'none.db'), ctx(file))).toEqual({ path: join(dir, 'none.db'), exists: false })
    expect(inspectStorePath(join(file, 'x.db'), ctx(file))).toEqual({ path: join(file, 'x.db'), exists: false })
  })

  it('a path that cannot be looked up is the file-system error, with the context', async () => {
    const dir = tempDir()
    const long = join(dir, 'x'.repeat(300))
    const error = await expectCode(() => inspectStorePath(long, ctx(long)), 'IO')
    expect((error.cause as NodeJS.ErrnoException).code).toBe('ENAMETOOLONG')
    expect(error.file).toBe(long)
  })

  it('each kind of non-file is WRONG_STORE naming its kind, reason not-a-file', async () => {
    const dir = tempDir()
    const directory = join(dir, 'dir.db')
    mkdirSync(directory)
    const fifo = join(dir, 'fifo.db')
    execFileSync('mkfifo', [fifo])
    const socket = join(dir, 'socket.db')
    const server = createServer()
    await new Promise<void>((done) => server.listen(socket, done))
    try {
      const cases: Array<[string, string]> = [
        [directory, `${directory} is a directory, not a database file; it was left untouched`],
        [fifo, `${fifo} is a FIFO, not a database file; it was left untouched`],
        [socket, `${socket} is a socket, not a database file; it was left untouched`],
        ['/dev/null', '/dev/null is a device, not a database file; it was left untouched'],
      ]
      for (const [path, message] of cases) {
        const error = await expectCode(() => inspectStorePath(path, ctx(path)), 'WRONG_STORE')
        expect(text(error)).toBe(message)
        expect(error.details).toEqual({ reason: 'not-a-file' })
        expect(error.file).toBe(path)
        expect(error.store).toBe('tasks')
      }
    } finally {
      await new Promise((done) => server.close(done))
    }
  })

  it('a symlink to a non-file names the kind of its target and the target', async () => {
    const dir = tempDir()
    const target = join(dir, 'target-dir')
    mkdirSync(target)
    const cases: Array<[string, string, string]> = [
      [target, 'a directory', realpathSync(target)],
      ['/dev/null', 'a device', '/dev/null'],
    ]
    for (const [to, kind, real] of cases) {
      const link = join(dir, `link-${kind.replace(' ', '-')}.db`)
      symlinkSync(to, link)
      const error = await expectCode(() => inspectStorePath(link, ctx(link)), 'WRONG_STORE')
      expect(text(error)).toBe(`${link} is a symlink to ${kind}, not a database file; it was left untouched`)
      expect(error.details).toEqual({ reason: 'not-a-file', target: real })
    }
  })

  it('a symlink loop and a dangling symlink: their messages, reasons and causes', async () => {
    const dir = tempDir()
    const loop = join(dir, 'loop.db')
    symlinkSync(join(dir, 'loop-b'), loop)
    symlinkSync(loop, join(dir, 'loop-b'))
    const looped = await expectCode(() => inspectStorePath(loop, ctx(loop)), 'WRONG_STORE')
    expect(text(looped)).toBe(`${loop} is a symlink loop, not a database file; it was left untouched`)
    expect(looped.details).toEqual({ reason: 'not-a-file' })
    expect((looped.cause as NodeJS.ErrnoException).code).toBe('ELOOP')

    const dangling = join(dir, 'dangling.db')
    symlinkSync(join(dir, 'missing.db'), dangling)
    const missing = await expectCode(() => inspectStorePath(dangling, ctx(dangling)), 'NOT_FOUND')
    expect(text(missing)).toBe(`${dangling} is a symlink to a missing file; nothing is created through a link`)
    expect(missing.details).toEqual({ reason: 'dangling-symlink' })
    expect((missing.cause as NodeJS.ErrnoException).code).toBe('ENOENT')

    // A link whose target's parent is a regular file: ENOTDIR, also dangling.
    writeFileSync(join(dir, 'plain'), '')
    const underFile = join(dir, 'under-file.db')
    symlinkSync(join(dir, 'plain', 'x.db'), underFile)
    const notDir = await expectCode(() => inspectStorePath(underFile, ctx(underFile)), 'NOT_FOUND')
    expect(notDir.details).toEqual({ reason: 'dangling-symlink' })
    expect((notDir.cause as NodeJS.ErrnoException).code).toBe('ENOTDIR')
  })

  it('a symlink whose target cannot be resolved for another reason is that file-system error', async () => {
    const dir = tempDir()
    const link = join(dir, 'long.db')
    symlinkSync(join(dir, 'y'.repeat(300)), link)
    const error = await expectCode(() => inspectStorePath(link, ctx(link)), 'IO')
    expect((error.cause as NodeJS.ErrnoException).code).toBe('ENAMETOOLONG')
    expect(error.file).toBe(link)
  })

  it('a symlink to a regular file resolves to the real path of its target', () => {
    const dir = tempDir()
    const target = join(dir, 'real.db')
    writeFileSync(target, '')
    const link = join(dir, 'link.db')
    symlinkSync(target, link)
    expect(inspectStorePath(link, ctx(link))).toEqual({ path: realpathSync(target), exists: true })
  })
})

describe('openDatabase creates only a file, in a directory that exists', () => {
  it('a missing directory: NOT_FOUND naming it, with the cause', async () => {
    const dir = tempDir()
    const file = join(dir, 'missing', 'a.db')
    const error = await expectCode(openDatabase(file, { store }), 'NOT_FOUND')
    expect(text(error)).toBe(`cannot create ${file}: the directory ${join(dir, 'missing')} does not exist (create it first)`)
    expect((error.cause as NodeJS.ErrnoException).code).toBe('ENOENT')
    expect(error.file).toBe(file)
    expect(readdirSync(dir)).toEqual([])
  })

  it('a parent path that is a regular file, directly or further up: NOT_FOUND, not a directory', async () => {
    const dir = tempDir()
    const blocker = join(dir, 'blocker')
    writeFileSync(blocker, 'x')
    const direct = join(blocker, 'a.db')
    const first = await expectCode(openDatabase(direct, { store }), 'NOT_FOUND')
    expect(text(first)).toBe(`cannot create ${direct}: a parent path is not a directory`)
    const deeper = join(blocker, 'sub', 'a.db')
    const second = await expectCode(openDatabase(deeper, { store }), 'NOT_FOUND')
    expect(text(second)).toBe(`cannot create ${deeper}: a parent path is not a directory`)
    expect((second.cause as NodeJS.ErrnoException).code).toBe('ENOTDIR')
    expect(readFileSync(blocker, 'utf8')).toBe('x')
  })
})

describe('read-only storage is refused before anything is written', () => {
  it.skipIf(!chattrWorks())('an immutable file: READ_ONLY naming the file, EPERM, not-writable', async () => {
    const dir = tempDir()
    const file = await storeFile(dir)
    const before = readFileSync(file)
    immutable(file)
    const error = await expectCode(openDatabase(file, { store }), 'READ_ONLY')
    expect(text(error)).toBe(`cannot write ${file} (EPERM); it was left untouched`)
    expect(error.details).toEqual({ reason: 'not-writable', path: file })
    expect((error.cause as NodeJS.ErrnoException).code).toBe('EPERM')
    expect(readFileSync(file).equals(before)).toBe(true)
  })

  it.skipIf(!chattrWorks())('an immutable directory: READ_ONLY naming the directory, for a file in it or under a missing subdirectory', async () => {
    const dir = tempDir()
    const locked = join(dir, 'locked')
    mkdirSync(locked)
    const file = await storeFile(locked)
    immutable(locked)
    for (const path of [file, join(locked, 'new.db'), join(locked, 'no', 'such', 'new.db')]) {
      const error = await expectCode(openDatabase(path, { store }), 'READ_ONLY')
      expect(text(error)).toBe(`cannot write the directory ${locked} (EPERM); it was left untouched`)
      expect(error.details).toEqual({ reason: 'not-writable', path: locked })
    }
    expect(readdirSync(locked)).toEqual(['a.db'])
  })

  it.skipIf(!(isRoot && canRun('mount', ['--version'])))('a read-only mount: READ_ONLY, EROFS, read-only-file-system', async () => {
    const dir = tempDir()
    const file = await storeFile(dir)
    const view = tempDir()
    try {
      execFileSync('mount', ['--bind', dir, view])
    } catch {
      return // no mount permission here
    }
    afterThisTest(() => execFileSync('umount', [view]))
    execFileSync('mount', ['-o', 'remount,ro,bind', view])
    const error = await expectCode(openDatabase(join(view, 'a.db'), { store }), 'READ_ONLY')
    expect(error.details).toEqual({ reason: 'read-only-file-system', path: join(view, 'a.db') })
    expect(error.message).toContain('(EROFS)')
    const fresh = await expectCode(openDatabase(join(view, 'fresh.db'), { store }), 'READ_ONLY')
    expect(fresh.details).toEqual({ reason: 'read-only-file-system', path: view })
    expect(readFileSync(file).length).toBeGreaterThan(0)
  })
})

describe('the header checks', () => {
  it('a file shorter than a header that starts like SQLite: CORRUPT, not a SQLite database', async () => {
    const file = join(tempDir(), 'short.db')
    writeFileSync(file, Buffer.concat([Buffer.from('SQLite format 3\0', 'latin1'), Buffer.alloc(60)]))
    const error = await expectCode(openDatabase(file, { store }), 'CORRUPT')
    expect(text(error)).toBe(`${file} is not a SQLite database; it was left untouched`)
    expect(error.details).toBeUndefined()
  })

  it('a truncated file: the message and details name its size, pages and page size', async () => {
    const dir = tempDir()
    const file = await storeFile(dir)
    const pages = readFileSync(file).readUInt32BE(28)
    truncateSync(file, 4096 * (pages - 1))
    const error = await expectCode(openDatabase(file, { store }), 'CORRUPT')
    const size = 4096 * (pages - 1)
    expect(text(error)).toBe(`${file} is truncated: ${size} bytes, but its header records ${pages} pages of 4096 bytes; it was left untouched`)
    expect(error.details).toEqual({ size, pages, pageSize: 4096 })
  })

  it('a page size of 65536 is read from its encoding (1)', async () => {
    const file = join(tempDir(), 'big-pages.db')
    const raw = new DatabaseSync(file)
    raw.exec('PRAGMA page_size = 65536; PRAGMA journal_mode = DELETE; CREATE TABLE t (x); CREATE TABLE u (y)')
    raw.close()
    expect(readFileSync(file).readUInt16BE(16)).toBe(1)
    const pages = readFileSync(file).readUInt32BE(28)
    truncateSync(file, 65536 * pages - 1)
    const error = await expectCode(openDatabase(file, { store }), 'CORRUPT')
    expect(error.details).toEqual({ size: 65536 * pages - 1, pages, pageSize: 65536 })
  })

  it('an in-header size that is not valid for the last change is not trusted', async () => {
    const dir = tempDir()
    const file = await storeFile(dir)
    const header = readFileSync(file)
    const counter = header.readUInt32BE(24)
    // Claim far more pages than the file has, but written by another change.
    patch(file, 28, u32(header.readUInt32BE(28) + 50))
    patch(file, 92, u32(counter + 1))
    const db = await openDatabase(file, { store })
    expect(db.all(rawQuery('SELECT name FROM item'))).toEqual([{ name: 'x' }])
    await db.close()
  })
})

describe('refusing a database of another store or application', () => {
  it('another application: application_id in hex (unsigned), details with the table count', async () => {
    const dir = tempDir()
    for (const [id, hex] of [
      [0x1234, '0x1234'],
      [-2, '0xfffffffe'],
    ] as const) {
      const file = join(dir, `app${hex}.db`)
      const raw = new DatabaseSync(file)
      raw.exec(`PRAGMA journal_mode = DELETE; PRAGMA application_id = ${id}; CREATE TABLE a (x); CREATE VIEW v AS SELECT 1`)
      raw.close()
      const error = await expectCode(openDatabase(file, { store }), 'WRONG_STORE')
      expect(text(error)).toBe(
        `${file} is a SQLite database of another application (application_id ${hex}), not a tasks store; it was left untouched`,
      )
      expect(error.details).toEqual({ applicationId: id, tables: 2 })
    }
  })

  it('an application_id of 0 with tables: counted in the message', async () => {
    const file = join(tempDir(), 'zero.db')
    const raw = new DatabaseSync(file)
    raw.exec('PRAGMA journal_mode = DELETE; CREATE TABLE a (x); CREATE TABLE b (y); CREATE TABLE c (z)')
    raw.close()
    const error = await expectCode(openDatabase(file, { store }), 'WRONG_STORE')
    expect(text(error)).toBe(`${file} is a SQLite database of another application (3 tables), not a tasks store; it was left untouched`)
    expect(error.details).toEqual({ applicationId: 0, tables: 3 })
  })

  it('another cleo-store store: named in the message', async () => {
    const dir = tempDir()
    const file = join(dir, 'brain.db')
    await (await openDatabase(file, { store: { name: 'brain', migrations: store.migrations } })).close()
    const error = await expectCode(openDatabase(file, { store }), 'WRONG_STORE')
    expect(text(error)).toBe(`${file} is the cleo-store brain database, not a tasks store; it was left untouched`)
    expect(error.details).toMatchObject({ applicationId: APPLICATION_IDS.brain })
  })

  /** A database with CLEO's tasks.db markers (application_id 0). */
  function cleoTables(db: DatabaseSync): void {
    for (const table of ['__drizzle_migrations', 'tasks', 'task_dependencies', 'task_relations', 'sessions', 'schema_meta', 'lifecycle_pipelines']) {
      db.exec(`CREATE TABLE ${table} (id INTEGER PRIMARY KEY, v TEXT)`)
    }
  }

  it("CLEO's own tasks.db: cleo-legacy, naming the CLEO store and the table count", async () => {
    const file = join(tempDir(), 'brain.db')
    const raw = new DatabaseSync(file)
    raw.exec('PRAGMA journal_mode = DELETE')
    cleoTables(raw)
    raw.close()
    const before = readFileSync(file)
    const error = await expectCode(openDatabase(file, { store }), 'WRONG_STORE')
    expect(error.details).toEqual({ reason: 'cleo-legacy', cleoStore: 'tasks', applicationId: 0, tables: 7 })
    expect(text(error)).toBe(
      `${file} is CLEO's own tasks.db (CLEO's format, recognised by its tables), not a cleo-store tasks store; ` +
        `it was left untouched. cleo-store does not open CLEO's files in place: import the project with ` +
        `CleoWorkspace.importFromCleo(projectDir) (see docs/cleo-import.md)`,
    )
    expect(readFileSync(file).equals(before)).toBe(true)
  })

  it("CLEO's tasks.db with a live WAL: recognised on a private copy; file, WAL and directory untouched", async () => {
    const dir = tempDir()
    const file = withLiveWal(dir, (db) => {
      cleoTables(db)
      db.exec("INSERT INTO tasks (v) VALUES ('in the wal')")
    })
    const main = readFileSync(file)
    const wal = readFileSync(`${file}-wal`)
    expect(wal.length).toBeGreaterThan(0)
    const error = await expectCode(probeStoreFile(file, { store }, { probe: 'sidecars' }), 'WRONG_STORE')
    expect(error.details).toMatchObject({ reason: 'cleo-legacy', cleoStore: 'tasks', tables: 7 })
    expect(readFileSync(file).equals(main)).toBe(true)
    expect(readFileSync(`${file}-wal`).equals(wal)).toBe(true)
    expect(readdirSync(dir).sort()).toEqual(['tasks.db', 'tasks.db-wal'])
  })

  it('a foreign database with a live WAL that is not CLEO’s: refused by the read-only probe as another application', async () => {
    const file = withLiveWal(tempDir(), (db) => db.exec('CREATE TABLE mine (x)'))
    const error = await expectCode(probeStoreFile(file, { store }, { probe: 'sidecars' }), 'WRONG_STORE')
    expect(error.details).toEqual({ applicationId: 0, tables: 1 })
  })
})

describe('the private copy of a WAL database', () => {
  const cleoTables = ['__drizzle_migrations', 'tasks', 'task_dependencies', 'task_relations', 'sessions', 'schema_meta', 'lifecycle_pipelines']

  it('CLEO\'s tables under another application_id are another application, not cleo-legacy', async () => {
    const dir = tempDir()
    const file = withLiveWal(dir, (db) => {
      db.exec('PRAGMA application_id = 77')
      for (const table of cleoTables) db.exec(`CREATE TABLE ${table} (id INTEGER PRIMARY KEY)`)
    })
    const error = await expectCode(probeStoreFile(file, { store }, { probe: 'sidecars' }), 'WRONG_STORE')
    expect(error.details).toEqual({ applicationId: 77, tables: 7 })
  })

  it('leaves no temporary folder behind, refused or not', async () => {
    const probes = () => readdirSync(tmpdir()).filter((name) => name.startsWith('cleo-store-probe-')).length
    const before = probes()
    const dir = tempDir()
    const cleo = withLiveWal(dir, (db) => {
      for (const table of cleoTables) db.exec(`CREATE TABLE ${table} (id INTEGER PRIMARY KEY)`)
    })
    await expectCode(probeStoreFile(cleo, { store }, { probe: 'sidecars' }), 'WRONG_STORE')
    const other = withLiveWal(tempDir(), (db) => db.exec('CREATE TABLE mine (x)'))
    await expectCode(probeStoreFile(other, { store }, { probe: 'sidecars' }), 'WRONG_STORE')
    expect(probes()).toBe(before)
  })
})

/** Descriptors open in this process. */
const openDescriptors = () => readdirSync('/proc/self/fd').length

describe('no descriptor is left open', () => {
  it.skipIf(!existsSync('/proc/self/fd'))('opening and closing existing files, with and without a WAL, leaks no descriptor', async () => {
    const dir = tempDir()
    const file = await storeFile(dir)
    const foreign = withLiveWal(dir, (db) => db.exec('PRAGMA application_id = 5; CREATE TABLE mine (x)'), 'foreign.db')
    const round = async () => {
      await (await openDatabase(file, { store })).close()
      await expectCode(probeStoreFile(foreign, { store }, { probe: 'always' }), 'WRONG_STORE')
    }
    await round() // anything opened once per process (modules, the sqlite-vec probe) is open now
    const before = openDescriptors()
    for (let i = 0; i < 8; i++) await round()
    expect(openDescriptors() - before).toBeLessThan(8)
  })
})

describe('probeStoreFile', () => {
  it('a missing file: its path, not existing, nothing created', async () => {
    const dir = tempDir()
    const file = join(dir, 'a.db')
    expect(await probeStoreFile(file, { store }, { probe: 'always' })).toEqual({ path: file, exists: false })
    expect(readdirSync(dir)).toEqual([])
  })

  it('an empty file exists and is not probed', async () => {
    const dir = tempDir()
    const file = join(dir, 'a.db')
    writeFileSync(file, '')
    expect(await probeStoreFile(file, { store }, { probe: 'always' })).toEqual({ path: file, exists: true })
    expect(readdirSync(dir)).toEqual(['a.db'])
  })

  it("'always' probes a file without sidecars; 'sidecars' leaves it to the open", async () => {
    const dir = tempDir()
    const file = join(dir, 'other.db')
    const raw = new DatabaseSync(file)
    raw.exec('PRAGMA journal_mode = DELETE; PRAGMA application_id = 99; CREATE TABLE t (x)')
    raw.close()
    const refused = await expectCode(probeStoreFile(file, { store }, { probe: 'always' }), 'WRONG_STORE')
    expect(refused.file).toBe(file)
    expect(refused.store).toBe('tasks')
    expect(await probeStoreFile(file, { store }, { probe: 'sidecars' })).toEqual({ path: file, exists: true })
    // An empty -journal is no sidecar; a non-empty one is.
    writeFileSync(`${file}-journal`, '')
    expect(await probeStoreFile(file, { store }, { probe: 'sidecars' })).toEqual({ path: file, exists: true })
    writeFileSync(`${file}-journal`, Buffer.alloc(512))
    await expectCode(probeStoreFile(file, { store }, { probe: 'sidecars' }), 'WRONG_STORE')
    expect(readdirSync(dir).sort()).toEqual(['other.db', 'other.db-journal'])
  })

  it('an empty -wal is no sidecar; a relative path is resolved; a store file of this store passes', async () => {
    const dir = tempDir()
    const file = await storeFile(dir)
    writeFileSync(`${file}-wal`, '')
    const other = join(dir, 'other.db')
    const raw = new DatabaseSync(other)
    raw.exec('PRAGMA journal_mode = DELETE; PRAGMA application_id = 99; CREATE TABLE t (x)')
    raw.close()
    writeFileSync(`${other}-wal`, '')
    expect(await probeStoreFile(other, { store }, { probe: 'sidecars' })).toEqual({ path: other, exists: true })
    expect(await probeStoreFile(relative(process.cwd(), file), { store }, { probe: 'always' })).toEqual({ path: file, exists: true })
  })

  it('a symlink: the target is checked and returned', async () => {
    const dir = tempDir()
    const file = await storeFile(dir)
    const link = join(tempDir(), 'link.db')
    symlinkSync(file, link)
    expect(await probeStoreFile(link, { store }, { probe: 'always' })).toEqual({ path: realpathSync(file), exists: true })
  })

  it('refuses with the file’s context: store and resolved path', async () => {
    const dir = tempDir()
    const file = join(dir, 'junk.db')
    writeFileSync(file, 'not a database, but long enough to have a header of a hundred bytes '.repeat(3))
    const error = await expectCode(probeStoreFile(file, { store }, { probe: 'sidecars' }), 'CORRUPT')
    expect(error.file).toBe(file)
    expect(error.store).toBe('tasks')
  })
})

describe('the options an open applies', () => {
  it('busyTimeoutMs: a non-integer is refused with its path; 0 and values under the slice are SQLite’s timeout', async () => {
    for (const bad of [1.5, -1]) {
      const error = await expectCode(openDatabase(':memory:', { store, busyTimeoutMs: bad }), 'VALIDATION')
      expect(text(error)).toBe(`busyTimeoutMs must be a non-negative integer (got ${bad})`)
      expect(error.details).toEqual({ operation: 'open', path: ['busyTimeoutMs'] })
      expect(error.file).toBe(':memory:')
    }
    const dir = tempDir()
    const zero = await openDatabase(join(dir, 'a.db'), { store, busyTimeoutMs: 0 })
    expect(zero.pragma('busy_timeout')).toBe(0)
    expect(zero.busyRetry.timeoutMs).toBe(0)
    await zero.close()
    const short = await openDatabase(join(dir, 'a.db'), { store, busyTimeoutMs: 7 })
    expect(short.pragma('busy_timeout')).toBe(7)
    await short.close()
  })

  it('the busy retry policy: the busy timeout, then the caller’s fields', async () => {
    const db = await openDatabase(':memory:', { store, busyTimeoutMs: 1234, busyRetry: { maxDelayMs: 9 } })
    expect(db.busyRetry).toEqual({ timeoutMs: 1234, baseDelayMs: 2, maxDelayMs: 9 })
    await db.close()
    const other = await openDatabase(':memory:', { store, busyTimeoutMs: 1234, busyRetry: { timeoutMs: 50 } })
    expect(other.busyRetry.timeoutMs).toBe(50)
    await other.close()
  })

  it('statementCacheSize bounds the cache', async () => {
    const db = await openDatabase(':memory:', { store, statementCacheSize: 2 })
    for (let i = 0; i < 6; i++) db.get(rawQuery(`SELECT ${i} AS n`))
    expect(db.statements.size).toBeLessThanOrEqual(2)
    await db.close()
  })

  it('journal_size_limit, application_id, WAL and foreign keys on a file; a :memory: store stays in memory mode', async () => {
    const file = join(tempDir(), 'a.db')
    const db = await openDatabase(file, { store })
    expect(db.pragma('journal_size_limit')).toBe(JOURNAL_SIZE_LIMIT)
    expect(db.pragma('application_id')).toBe(APPLICATION_IDS.tasks)
    expect(db.pragma('journal_mode')).toBe('wal')
    await db.close()
    const memory = await openDatabase(':memory:', { store: { name: 'conduit', migrations: store.migrations } })
    expect(memory.pragma('journal_mode')).toBe('memory')
    expect(memory.pragma('application_id')).toBe(APPLICATION_IDS.conduit)
    expect(memory.pragma('journal_size_limit')).toBe(JOURNAL_SIZE_LIMIT)
    expect(memory.path).toBe(':memory:')
    await memory.close()
  })

  it('a relative path is resolved against the working directory', async () => {
    const file = join(tempDir(), 'rel.db')
    const db = await openDatabase(relative(process.cwd(), file), { store })
    expect(db.path).toBe(file)
    await db.close()
    expect(existsSync(file)).toBe(true)
  })
})

describe('in memory and extensions', () => {
  it('a :memory: store creates no file (not even one named :memory:)', async () => {
    const stray = join(process.cwd(), ':memory:')
    try {
      await (await openDatabase(':memory:', { store })).close()
      expect(existsSync(stray)).toBe(false)
    } finally {
      rmSync(stray, { force: true })
    }
  })

  it('extension loading is off for every store: the C API refuses too (vector stores once sqlite-vec is in)', async () => {
    const plain = await openDatabase(':memory:', { store })
    expect(() => plain.connection.loadExtension('/nonexistent/ext')).toThrow(/not allowed/)
    await plain.close()
    const vectors = await openDatabase(':memory:', { store: { name: 'brain', migrations: store.migrations, vectors: true } })
    expect(() => vectors.connection.loadExtension('/nonexistent/ext')).toThrow(/not allowed/)
    await vectors.close()
  })

  it('the migrations of an in-memory store run once per process: later opens copy the template', async () => {
    const { store: counted, runs } = countedStore()
    const afterFirst: number[] = []
    for (let i = 0; i < 3; i++) {
      const db = await openDatabase(':memory:', { store: counted })
      expect(db.all(rawQuery("SELECT name FROM sqlite_schema WHERE name = 'counted'"))).toEqual([{ name: 'counted' }])
      await db.close()
      afterFirst.push(runs())
    }
    // The first open runs `up` (and once more to checksum its SQL); the later ones not at all —
    // where node:sqlite can copy a database image (Node 24); the Node 22 floor migrates each one.
    expect(afterFirst[0]).toBeGreaterThan(0)
    const copies = typeof (DatabaseSync.prototype as { deserialize?: unknown }).deserialize === 'function'
    if (copies) expect(afterFirst).toEqual([afterFirst[0], afterFirst[0], afterFirst[0]])
    else expect(afterFirst[2]! > afterFirst[1]! && afterFirst[1]! > afterFirst[0]!).toBe(true)
  })
})

describe('a file whose first page is damaged', () => {
  it('is CORRUPT (SQLite cannot read its schema), not another application', async () => {
    const dir = tempDir()
    const file = await storeFile(dir)
    patch(file, 100, Buffer.alloc(400, 0xee)) // page 1's b-tree header and cell pointers, after the file header
    const error = await expectCode(openDatabase(file, { store }), 'CORRUPT')
    expect(error.file).toBe(file)
  })
})

describe('an open that fails after connecting', () => {
  it('closes its connection: the failed migration leaves no WAL and no lock behind', async () => {
    const dir = tempDir()
    const file = await storeFile(dir)
    const failing: Migration = {
      async up(db: Kysely<any>) {
        await sql`INSERT INTO no_such_table VALUES (1)`.execute(db)
      },
    }
    const error = await expectCode(openDatabase(file, { store: { name: 'tasks', migrations: { ...store.migrations, '0002_fail': failing } } }), 'MIGRATION_FAILED')
    expect(error.file).toBe(file)
    // The last connection to close checkpoints and deletes the WAL; an open one keeps it.
    expect(existsSync(`${file}-wal`)).toBe(false)
    const other = new DatabaseSync(file, { timeout: 0 })
    other.exec('PRAGMA locking_mode = EXCLUSIVE; BEGIN EXCLUSIVE; COMMIT')
    other.close()
  })

  it('a file that is refused after connecting is reported as a CleoStoreError with the context', async () => {
    const file = join(tempDir(), 'a.db')
    const error = await expectCode(
      openDatabase(file, {
        store: {
          name: 'tasks',
          migrations: {
            '0001_throws': {
              up() {
                throw new Error('plain failure')
              },
            },
          },
        },
      }),
      'MIGRATION_FAILED',
    )
    expect(error).toBeInstanceOf(CleoStoreError)
    expect(error.store).toBe('tasks')
    expect(error.file).toBe(file)
  })

})

/** node:fs's exports object (its ESM named exports are synced from it). */
const fs = createRequire(import.meta.url)('node:fs') as typeof import('node:fs')

/**
 * Replaces `fs[name]` for the module under test (its named imports of node:fs follow the
 * builtin's exports after `syncBuiltinESMExports`) until the end of the current test.
 */
function hookFs<K extends 'statSync' | 'mkdtempSync'>(name: K, replacement: (real: (typeof fs)[K]) => (typeof fs)[K]): void {
  const real = fs[name]
  fs[name] = replacement(real)
  syncBuiltinESMExports()
  afterThisTest(() => {
    fs[name] = real
    syncBuiltinESMExports()
  })
}

describe('a short file is waited for only while a checkpoint may still extend it', () => {
  /** A truncated store file and its full bytes; `grow` is called before each header check (its `-wal` stat). */
  async function truncated(grow: (check: number, restore: () => void) => void): Promise<string> {
    const file = await storeFile(tempDir())
    const full = readFileSync(file)
    truncateSync(file, full.length - 4096)
    let checks = 0
    hookFs('statSync', (real) => ((path: string, options?: object) => {
      if (path === `${file}-wal`) grow(++checks, () => writeFileSync(file, full))
      return real(path, options as never)
    }) as typeof fs.statSync)
    return file
  }

  it('a file that reaches its recorded size by the fourth check opens; one still short then is CORRUPT', async () => {
    const second = await truncated((check, restore) => check === 2 && restore())
    expect(await probeStoreFile(second, { store }, { probe: 'always' })).toEqual({ path: second, exists: true })
    const fourth = await truncated((check, restore) => check === 4 && restore())
    expect(await probeStoreFile(fourth, { store }, { probe: 'always' })).toEqual({ path: fourth, exists: true })
    const fifth = await truncated((check, restore) => check === 5 && restore())
    const error = await expectCode(probeStoreFile(fifth, { store }, { probe: 'always' }), 'CORRUPT')
    expect(error.details).toMatchObject({ pageSize: 4096 })
  })

  it('a file that is not SQLite is refused at once, not waited for', async () => {
    const file = join(tempDir(), 'junk.db')
    writeFileSync(file, Buffer.alloc(200, 0x41))
    const good = await storeFile(tempDir())
    let checks = 0
    hookFs('statSync', (real) => ((path: string, options?: object) => {
      // Were it checked a second time, it would be a store file by then.
      if (path === `${file}-wal` && ++checks === 2) copyFileSync(good, file)
      return real(path, options as never)
    }) as typeof fs.statSync)
    const error = await expectCode(probeStoreFile(file, { store }, { probe: 'always' }), 'CORRUPT')
    expect(text(error)).toBe(`${file} is not a SQLite database; it was left untouched`)
  })
})

describe('the private copy is made only for a file that may be CLEO’s', () => {
  /** The folders made with mkdtempSync during the current test, but for this test's own temporary directories. */
  function folders(): string[] {
    const made: string[] = []
    hookFs('mkdtempSync', (real) => ((prefix: string, options?: object) => {
      if (prefix !== join(tmpdir(), 'cleo-test-')) made.push(prefix)
      return real(prefix, options as never)
    }) as typeof fs.mkdtempSync)
    return made
  }

  it('a store of this kind with a live WAL is probed in place; a foreign one is copied into a cleo-store-probe- folder', async () => {
    const made = folders()
    const dir = tempDir()
    const file = join(dir, 'a.db')
    const db = await openDatabase(file, { store })
    try {
      db.run(rawQuery("INSERT INTO item (name) VALUES ('in the wal')"))
      expect(statSync(`${file}-wal`).size).toBeGreaterThan(0)
      expect(await probeStoreFile(file, { store }, { probe: 'always' })).toEqual({ path: file, exists: true })
      expect(made).toEqual([])
    } finally {
      await db.close()
    }
    const foreign = withLiveWal(tempDir(), (raw) => raw.exec('CREATE TABLE mine (x)'))
    await expectCode(probeStoreFile(foreign, { store }, { probe: 'always' }), 'WRONG_STORE')
    expect(made).toEqual([join(tmpdir(), 'cleo-store-probe-')])
  })

  it('no private copy possible (no temporary directory): the read-only probe still refuses', async () => {
    const foreign = withLiveWal(tempDir(), (raw) => raw.exec('CREATE TABLE mine (x)'))
    const saved = process.env['TMPDIR']
    process.env['TMPDIR'] = join(tempDir(), 'missing')
    try {
      const error = await expectCode(probeStoreFile(foreign, { store }, { probe: 'always' }), 'WRONG_STORE')
      expect(error.details).toEqual({ applicationId: 0, tables: 1 })
    } finally {
      if (saved === undefined) delete process.env['TMPDIR']
      else process.env['TMPDIR'] = saved
    }
  })
})

describe('more refusals and what an open leaves alone', () => {
  it('another application_id without any table is still another application', async () => {
    const file = join(tempDir(), 'empty-app.db')
    const raw = new DatabaseSync(file)
    raw.exec('PRAGMA journal_mode = DELETE; PRAGMA application_id = 4660')
    raw.close()
    const error = await expectCode(openDatabase(file, { store }), 'WRONG_STORE')
    expect(error.details).toEqual({ applicationId: 4660, tables: 0 })
  })

  it('a file store’s image is never the in-memory template: the next in-memory open migrates', async () => {
    const { store: counted, runs } = countedStore()
    await (await openDatabase(join(tempDir(), 'a.db'), { store: counted })).close()
    const afterFile = runs()
    const memory = await openDatabase(':memory:', { store: counted })
    expect(runs()).toBeGreaterThan(afterFile)
    expect(memory.pragma('journal_mode')).toBe('memory')
    await memory.close()
  })

  it('foreign keys are enforced on a file store and on first and later (templated) in-memory stores', async () => {
    const parent: StoreDefinition = {
      name: 'tasks',
      migrations: {
        '0001_fk': {
          async up(db: Kysely<any>) {
            await sql`CREATE TABLE p (id INTEGER PRIMARY KEY)`.execute(db)
            await sql`CREATE TABLE c (id INTEGER PRIMARY KEY, p INTEGER NOT NULL REFERENCES p (id))`.execute(db)
          },
        },
      },
    }
    for (const path of [join(tempDir(), 'fk.db'), ':memory:', ':memory:']) {
      const db = await openDatabase(path, { store: parent })
      expect(db.pragma('foreign_keys')).toBe(1)
      expect(() => db.run(rawQuery('INSERT INTO c (id, p) VALUES (1, 42)'))).toThrow()
      await db.close()
    }
  })

  it('sqlite-vec is asked for only by vector stores', async () => {
    const plain = await openDatabase(':memory:', { store })
    expect(sqliteVecUnavailableReason(plain)).toBeNull()
    await plain.close()
    const status = await sqliteVecStatus()
    const vectors = await openDatabase(':memory:', { store: { name: 'brain', migrations: store.migrations, vectors: true } })
    expect(sqliteVecUnavailableReason(vectors)).toBe(status.available ? null : status.reason)
    await vectors.close()
  })
})

describe('an open leaves an up-to-date store as it is', () => {
  it('reopening writes nothing: the WAL stays empty and the closed file is byte-identical', async () => {
    const file = await storeFile(tempDir())
    const before = readFileSync(file)
    const db = await openDatabase(file, { store })
    expect(statSync(`${file}-wal`).size).toBe(0)
    await db.close()
    expect(readFileSync(file).equals(before)).toBe(true)
  })
})

describe('the read-only probe waits for a locked file', () => {
  it('retried (even with busyTimeoutMs 0) until the lock is released, then refuses as usual', async () => {
    const file = join(tempDir(), 'locked.db')
    const holder = new DatabaseSync(file)
    holder.exec('PRAGMA journal_mode = DELETE; PRAGMA application_id = 5; CREATE TABLE t (x)')
    holder.exec('PRAGMA journal_mode = WAL; PRAGMA wal_autocheckpoint = 0; PRAGMA locking_mode = EXCLUSIVE')
    holder.exec('INSERT INTO t VALUES (1)') // takes the exclusive lock, kept until closed
    // The handshake: the first statement SQLite refuses as locked releases the lock.
    const prepare = DatabaseSync.prototype.prepare
    let locked = 0
    DatabaseSync.prototype.prepare = function (this: DatabaseSync, sqlText: string) {
      try {
        return prepare.call(this, sqlText)
      } catch (error) {
        if (locked++ === 0) holder.close()
        throw error
      }
    } as typeof prepare
    afterThisTest(() => {
      DatabaseSync.prototype.prepare = prepare
      if (holder.isOpen) holder.close()
    })
    const error = await expectCode(probeStoreFile(file, { store, busyTimeoutMs: 0 }, { probe: 'sidecars' }), 'WRONG_STORE')
    expect(locked).toBe(1)
    expect(error.details).toEqual({ applicationId: 5, tables: 1 })
  })
})

describe('a sqlite-vec binary that cannot be loaded', () => {
  it('the vector store opens without it, says why, and extension loading is off', async () => {
    const loadExtension = DatabaseSync.prototype.loadExtension
    DatabaseSync.prototype.loadExtension = function () {
      throw new Error('invalid ELF header')
    }
    afterThisTest(() => {
      DatabaseSync.prototype.loadExtension = loadExtension
    })
    const db = await openDatabase(':memory:', { store: { name: 'brain', migrations: store.migrations, vectors: true } })
    DatabaseSync.prototype.loadExtension = loadExtension
    const status = await sqliteVecStatus()
    expect(sqliteVecUnavailableReason(db)).toBe(status.available ? `the sqlite-vec binary ${status.path} could not be loaded: invalid ELF header` : status.reason)
    expect(() => db.connection.loadExtension('/nonexistent/ext')).toThrow(/not allowed/)
    await db.close()
  })
})

describe('a journal mode SQLite keeps silently', () => {
  it('is retried as BUSY (even with busyTimeoutMs 0) until WAL is granted', async () => {
    const file = join(tempDir(), 'a.db')
    // SQLite keeps the old journal mode without an error while another process holds the
    // file; the first switch to WAL here reports the old mode, as it does then.
    const prepare = DatabaseSync.prototype.prepare
    let refusals = 0
    DatabaseSync.prototype.prepare = function (this: DatabaseSync, sqlText: string) {
      if (sqlText === 'PRAGMA journal_mode = WAL' && refusals === 0) {
        refusals++
        return prepare.call(this, 'PRAGMA journal_mode')
      }
      return prepare.call(this, sqlText)
    } as typeof prepare
    afterThisTest(() => {
      DatabaseSync.prototype.prepare = prepare
    })
    const db = await openDatabase(file, { store, busyTimeoutMs: 0 })
    DatabaseSync.prototype.prepare = prepare
    expect(refusals).toBe(1)
    expect(db.pragma('journal_mode')).toBe('wal')
    await db.close()
  })
})

describe('a file the process may not write (an unprivileged user: root writes anywhere)', () => {
  const runStoreFixture = (mode: 'probe' | 'open', file: string) => runFixtureAsNobody('open-store-unprivileged.ts', [mode, file])

  it.skipIf(!canRunAsNobody())('no write permission: READ_ONLY, EACCES, not-writable, for the file and for its directory', async () => {
    // In this process too (root): an immutable file's refusal takes the same path.
    if (chattrWorks()) {
      const file = await storeFile(tempDir())
      immutable(file)
      expect((await expectCode(probeStoreFile(file, { store }, { probe: 'always' }), 'READ_ONLY')).details).toEqual({ reason: 'not-writable', path: file })
    }
    const dir = tempDir()
    chmodSync(dir, 0o755)
    const file = await storeFile(dir)
    chmodSync(file, 0o444)
    expect(runStoreFixture('probe', file)).toEqual({
      ok: false,
      code: 'READ_ONLY',
      message: `READ_ONLY: cannot write ${file} (EACCES); it was left untouched`,
      file,
      details: { reason: 'not-writable', path: file },
      cause: 'EACCES',
    })
    chmodSync(file, 0o666)
    chmodSync(dir, 0o555)
    afterThisTest(() => chmodSync(dir, 0o755))
    for (const [mode, path] of [['probe', file], ['open', join(dir, 'new.db')]] as const) {
      expect(runStoreFixture(mode, path)).toEqual({
        ok: false,
        code: 'READ_ONLY',
        message: `READ_ONLY: cannot write the directory ${dir} (EACCES); it was left untouched`,
        file: path,
        details: { reason: 'not-writable', path: dir },
        cause: 'EACCES',
      })
    }
    expect(readdirSync(dir)).toEqual(['a.db'])
  })

  it.skipIf(!canRunAsNobody())('a file that may be written but not read: a CleoStoreError naming it (EACCES), not the raw fs error', async () => {
    const dir = tempDir()
    chmodSync(dir, 0o777)
    const file = await storeFile(dir)
    chmodSync(file, 0o222)
    for (const mode of ['probe', 'open'] as const) {
      expect(runStoreFixture(mode, file)).toMatchObject({ ok: false, code: 'READ_ONLY', file, cause: 'EACCES' })
    }
  })
})
