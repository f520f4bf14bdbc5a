/**
 * Issue 14 items 3–6: what sits at a store path.
 * - 3: a refused file stays byte-identical in every journal mode, a hot rollback
 *   `-journal` included (the refusal probe must not roll it back);
 * - 4: a dangling symlink and every unusual file type is a `CleoStoreError`; a
 *   symlink to a regular file is followed (resolved to its target, beside which the
 *   WAL and the backups live);
 * - 5: read-only storage (an immutable file, an immutable directory, a read-only
 *   bind mount) is `READ_ONLY` at open, for every store;
 * - 6: a refused `CleoWorkspace.open` creates nothing.
 */
import { execFileSync } from 'node:child_process'
import {
  copyFileSync,
  existsSync,
  lstatSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  realpathSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs'
import { join } from 'node:path'
import { DatabaseSync } from 'node:sqlite'

import { describe, expect, it } from 'vitest'

import {
  BrainRepository,
  CleoWorkspace,
  ConduitRepository,
  NexusRepository,
  SignaldockRepository,
  STORE_FILES,
  TasksRepository,
  TelemetryRepository,
} from '../../src/index.js'
import type { CleoStoreErrorCode } from '../../src/sqlite/errors.js'
import { afterThisTest, canRun, chattrWorks, expectCode, immutable, tempDir } from '../helpers.js'

type Opener = (path: string) => Promise<{ close(): Promise<void> }>

const STORES: Record<'tasks' | 'brain' | 'conduit' | 'signaldock' | 'nexus' | 'telemetry', Opener> = {
  tasks: (p) => TasksRepository.open(p),
  brain: (p) => BrainRepository.open(p),
  conduit: (p) => ConduitRepository.open(p),
  signaldock: (p) => SignaldockRepository.open(p),
  nexus: (p) => NexusRepository.open(p),
  telemetry: (p) => TelemetryRepository.open(p),
}

/** Every file under `dir` with its bytes (recursively), to compare before and after. */
function snapshot(dir: string): Record<string, string> {
  const out: Record<string, string> = {}
  for (const name of readdirSync(dir, { recursive: true }) as string[]) {
    const path = join(dir, name)
    const stat = lstatSync(path)
    out[name] = stat.isFile() ? readFileSync(path).toString('base64') : stat.isSymbolicLink() ? 'symlink' : 'dir'
  }
  return out
}

const isRoot = process.getuid?.() === 0

/** A real store of each kind in `dir`, closed. */
async function realStores(dir: string): Promise<Record<keyof typeof STORES, string>> {
  const files = {} as Record<keyof typeof STORES, string>
  for (const [name, open] of Object.entries(STORES) as Array<[keyof typeof STORES, Opener]>) {
    const file = join(dir, `${name}.db`)
    await (await open(file)).close()
    files[name] = file
  }
  return files
}

/**
 * A rollback-journal database of another application, copied while a writer was in
 * the middle of a transaction that had already spilled pages into the main file:
 * what a crash of that application leaves (a hot `-journal`).
 */
function hotJournalDatabase(dir: string): string {
  const source = join(dir, 'app.db')
  const db = new DatabaseSync(source)
  db.exec('PRAGMA journal_mode = DELETE; PRAGMA application_id = 4242; CREATE TABLE t (x TEXT)')
  db.exec("INSERT INTO t SELECT hex(randomblob(200)) FROM (WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 500) SELECT i FROM n)")
  db.exec('PRAGMA cache_size = 2')
  db.exec('BEGIN')
  db.exec('UPDATE t SET x = lower(x)')
  const file = join(dir, 'crashed.db')
  copyFileSync(source, file)
  copyFileSync(`${source}-journal`, `${file}-journal`)
  db.exec('ROLLBACK')
  db.close()
  return file
}

describe('item 3: a refused file stays byte-identical in every journal mode', () => {
  it('a database of another application with a hot -journal → WRONG_STORE; file and journal untouched', async () => {
    const dir = tempDir()
    const file = hotJournalDatabase(dir)
    const journal = readFileSync(`${file}-journal`)
    expect(journal.length).toBeGreaterThan(512)
    // The copy really is mid-transaction: SQLite would roll the journal back on a read-write open.
    const main = readFileSync(file)
    expect(main.equals(readFileSync(join(dir, 'app.db'))), 'the crashed copy differs from the rolled-back original').toBe(false)
    for (const open of Object.values(STORES)) {
      await expectCode(open(file), 'WRONG_STORE')
      expect(readFileSync(file).equals(main), 'the database file changed').toBe(true)
      expect(existsSync(`${file}-journal`), 'the journal was rolled back').toBe(true)
      expect(readFileSync(`${file}-journal`).equals(journal), 'the journal changed').toBe(true)
    }
    expect(readdirSync(dir).sort()).toEqual(['app.db', 'crashed.db', 'crashed.db-journal'])
  })

  it('a workspace whose tasks.db is such a file → WRONG_STORE; nothing changed, nothing created', async () => {
    const project = tempDir()
    const cleo = join(project, '.cleo')
    mkdirSync(cleo)
    const file = hotJournalDatabase(tempDir())
    copyFileSync(file, join(cleo, STORE_FILES.tasks))
    copyFileSync(`${file}-journal`, join(cleo, `${STORE_FILES.tasks}-journal`))
    const before = snapshot(project)
    const globalDir = join(tempDir(), 'global')
    await expectCode(CleoWorkspace.open(project, { globalDir }), 'WRONG_STORE')
    expect(snapshot(project)).toEqual(before)
    expect(existsSync(globalDir)).toBe(false)
  })
})

describe('item 4: unusual file types at a store path', () => {
  it('a dangling symlink → NOT_FOUND (a CleoStoreError), for every store; nothing created through it', async () => {
    const dir = tempDir()
    for (const [name, open] of Object.entries(STORES)) {
      const link = join(dir, `${name}.db`)
      const target = join(dir, `missing-${name}.db`)
      symlinkSync(target, link)
      const error = await expectCode(open(link), 'NOT_FOUND')
      expect(error.details).toMatchObject({ reason: 'dangling-symlink' })
      expect(existsSync(target)).toBe(false)
    }
  })

  it('CleoWorkspace.open with a dangling .cleo/tasks.db → NOT_FOUND; nothing created', async () => {
    const project = tempDir()
    mkdirSync(join(project, '.cleo'))
    symlinkSync(join(project, 'nowhere.db'), join(project, '.cleo', STORE_FILES.tasks))
    const globalDir = join(tempDir(), 'global')
    const before = snapshot(project)
    await expectCode(CleoWorkspace.open(project, { globalDir }), 'NOT_FOUND')
    expect(snapshot(project)).toEqual(before)
    expect(existsSync(globalDir)).toBe(false)
  })

  const odd: Array<[string, (path: string, dir: string) => void, CleoStoreErrorCode]> = [
    ['a directory', (p) => mkdirSync(p), 'WRONG_STORE'],
    ['a FIFO', (p) => execFileSync('mkfifo', [p]), 'WRONG_STORE'],
    ['a symlink to a directory', (p, d) => (mkdirSync(join(d, 'a-dir')), symlinkSync(join(d, 'a-dir'), p)), 'WRONG_STORE'],
    ['a symlink loop', (p, d) => (symlinkSync(join(d, 'loop-b'), p), symlinkSync(p, join(d, 'loop-b'))), 'WRONG_STORE'],
  ]
  for (const [what, make, code] of odd) {
    it(`${what} → ${code}, for every store, left as it was`, async () => {
      for (const [name, open] of Object.entries(STORES)) {
        const dir = tempDir()
        const path = join(dir, `${name}.db`)
        make(path, dir)
        const before = snapshot(dir)
        const error = await expectCode(open(path), code)
        expect(error.store).toBe(name)
        expect(snapshot(dir)).toEqual(before)
      }
    })
  }

  it('a symlink to a store file is followed: the WAL lives beside the target, data goes to the target', async () => {
    const dir = tempDir()
    const realDir = join(dir, 'real')
    mkdirSync(realDir)
    const target = join(realDir, 'tasks.db')
    await (await TasksRepository.open(target)).close()
    const link = join(dir, 'tasks.db')
    symlinkSync(target, link)
    const repo = await TasksRepository.open(link)
    try {
      expect(repo.path).toBe(realpathSync(target))
      await repo.create({ title: 'through the link' })
      expect(existsSync(`${target}-wal`)).toBe(true)
      expect(existsSync(`${link}-wal`)).toBe(false)
    } finally {
      await repo.close()
    }
    expect(lstatSync(link).isSymbolicLink()).toBe(true)
  })
})

describe('item 5: read-only storage is READ_ONLY at open, for every store', () => {
  it.skipIf(!chattrWorks())('an immutable store file (chattr +i) → READ_ONLY at open; untouched', async () => {
    const dir = tempDir()
    const files = await realStores(dir)
    for (const [name, file] of Object.entries(files)) {
      const before = snapshot(dir)
      immutable(file)
      const error = await expectCode(STORES[name as keyof typeof STORES](file), 'READ_ONLY')
      expect(error.file).toBe(file)
      expect(snapshot(dir)).toEqual(before)
    }
  })

  it.skipIf(!chattrWorks())('a store in an immutable directory (chattr +i) → READ_ONLY at open', async () => {
    const dir = tempDir()
    const files = await realStores(dir)
    const before = snapshot(dir)
    immutable(dir)
    for (const [name, file] of Object.entries(files)) {
      await expectCode(STORES[name as keyof typeof STORES](file), 'READ_ONLY')
      // and a new store in that directory cannot be created
      await expectCode(STORES[name as keyof typeof STORES](join(dir, `new-${name}.db`)), 'READ_ONLY')
    }
    expect(snapshot(dir)).toEqual(before)
  })

  const mountWorks = isRoot && canRun('mount', ['--version'])
  it.skipIf(!mountWorks)('a read-only bind mount (EROFS) → READ_ONLY at open, for every store and the workspace', async () => {
    const dir = tempDir()
    const files = await realStores(dir)
    const view = tempDir()
    try {
      execFileSync('mount', ['--bind', dir, view])
    } catch {
      return // no mount permission here: covered by the chattr tests above
    }
    afterThisTest(() => execFileSync('umount', [view]))
    execFileSync('mount', ['-o', 'remount,ro,bind', view])
    const before = snapshot(dir)
    for (const name of Object.keys(files) as Array<keyof typeof STORES>) {
      await expectCode(STORES[name](join(view, `${name}.db`)), 'READ_ONLY')
      await expectCode(STORES[name](join(view, `fresh-${name}.db`)), 'READ_ONLY')
    }
    expect(snapshot(dir)).toEqual(before)
    // A workspace whose project directory is on the read-only mount.
    await expectCode(CleoWorkspace.open(view, { globalDir: join(tempDir(), 'g') }), 'READ_ONLY')
  })
})

describe('item 6: a failed CleoWorkspace.open creates nothing', () => {
  it('garbage .cleo/tasks.db → CORRUPT; no other store file, no global directory is created', async () => {
    const project = tempDir()
    mkdirSync(join(project, '.cleo'))
    writeFileSync(join(project, '.cleo', STORE_FILES.tasks), 'not a database at all, just some text\n'.repeat(20))
    const globalDir = join(tempDir(), 'global')
    const before = snapshot(project)
    await expectCode(CleoWorkspace.open(project, { globalDir }), 'CORRUPT')
    expect(snapshot(project)).toEqual(before)
    expect(existsSync(globalDir)).toBe(false)
  })

  it('a foreign signaldock.db in the global directory → WRONG_STORE; no .cleo directory, no other file', async () => {
    const project = tempDir()
    const globalDir = tempDir()
    const db = new DatabaseSync(join(globalDir, STORE_FILES.signaldock))
    db.exec('PRAGMA application_id = 77; CREATE TABLE mine (x)')
    db.close()
    const beforeGlobal = snapshot(globalDir)
    await expectCode(CleoWorkspace.open(project, { globalDir }), 'WRONG_STORE')
    expect(readdirSync(project)).toEqual([])
    expect(snapshot(globalDir)).toEqual(beforeGlobal)
  })

  it('a newer nexus.db → SCHEMA_TOO_NEW; the project tier is not created', async () => {
    const project = tempDir()
    const globalDir = tempDir()
    const nexus = join(globalDir, STORE_FILES.nexus)
    await (await NexusRepository.open(nexus)).close()
    const db = new DatabaseSync(nexus)
    db.exec("INSERT INTO kysely_migration (name, timestamp) VALUES ('9999_from_the_future', '2030-01-01T00:00:00.000Z')")
    db.close()
    const beforeGlobal = snapshot(globalDir)
    await expectCode(CleoWorkspace.open(project, { globalDir }), 'SCHEMA_TOO_NEW')
    expect(readdirSync(project)).toEqual([])
    expect(snapshot(globalDir)).toEqual(beforeGlobal)
  })

  it('after the bad file is removed the same open succeeds (the refusal left no state behind)', async () => {
    const project = tempDir()
    mkdirSync(join(project, '.cleo'))
    const bad = join(project, '.cleo', STORE_FILES.brain)
    writeFileSync(bad, 'garbage')
    const globalDir = join(tempDir(), 'global')
    await expectCode(CleoWorkspace.open(project, { globalDir }), 'CORRUPT')
    execFileSync('rm', [bad])
    const ws = await CleoWorkspace.open(project, { globalDir })
    await ws.close()
  })
})
