/**
 * Backup and restore when a file-system call fails at a chosen step (issue 14, item 14):
 * a failed fsync of a copy, a key file or a staged store refuses the operation with its typed
 * code and leaves nothing half-written; a directory that cannot be synced does not; a file
 * system without hard links still keeps the replaced files; a failed swap leaves the
 * targets as they were and unlocked; the restore holds its lock on a target through the
 * swap. The failures are injected into `node:fs` as the backup module sees it.
 */
import { existsSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs'
import { basename, dirname, join } from 'node:path'
import { DatabaseSync } from 'node:sqlite'

import { afterEach, describe, expect, it, vi } from 'vitest'

import { CleoWorkspace, ensureKeyFile, listWorkspaceBackups } from '../../src/index.js'
import { expectCode, tempDir } from '../helpers.js'

type Hook = (...args: unknown[]) => (() => void) | undefined | void
/** Called before the real call, with its arguments: throw to fail the call, return a step to run after it. */
const hooks = vi.hoisted(() => ({}) as Partial<Record<'openSync' | 'renameSync' | 'linkSync' | 'copyFileSync' | 'existsSync', Hook>>)

vi.mock('node:fs', async (importOriginal) => {
  const actual = await importOriginal<typeof import('node:fs')>()
  const wrap = <K extends 'openSync' | 'renameSync' | 'linkSync' | 'copyFileSync' | 'existsSync'>(name: K) =>
    ((...args: unknown[]) => {
      const after = hooks[name]?.(...args)
      const result = (actual[name] as (...a: unknown[]) => unknown)(...args)
      after?.()
      return result
    }) as (typeof actual)[K]
  const mocked = {
    ...actual,
    openSync: wrap('openSync'),
    renameSync: wrap('renameSync'),
    linkSync: wrap('linkSync'),
    copyFileSync: wrap('copyFileSync'),
    existsSync: wrap('existsSync'),
  }
  return { ...mocked, default: mocked }
})

afterEach(() => {
  for (const key of Object.keys(hooks)) delete hooks[key as keyof typeof hooks]
})

const fail = (code: string, syscall: string, path: unknown) =>
  Object.assign(new Error(`${code}: injected failure, ${syscall} '${String(path)}'`), { code, syscall, path: String(path) })

async function setup(keys = false) {
  const project = tempDir()
  const globalDir = join(tempDir(), 'global')
  const ws = await CleoWorkspace.open(project, { globalDir })
  if (keys) for (const name of ['machine-key', 'global-salt']) ensureKeyFile(join(globalDir, name))
  return { project, globalDir, ws, cleo: join(project, '.cleo'), backups: join(tempDir(), 'backups') }
}

async function backedUp() {
  const { ws, ...rest } = await setup()
  const backup = await ws.backup(rest.backups)
  await ws.close()
  return { ...rest, ...backup }
}

/** The files of `dir` with their bytes, to show that nothing changed. */
function contents(dir: string): Record<string, string> {
  return Object.fromEntries(
    readdirSync(dir)
      .sort()
      .filter((name) => statSync(join(dir, name)).isFile())
      .map((name) => [name, readFileSync(join(dir, name)).toString('base64')]),
  )
}

describe('a backup when a sync fails', () => {
  it('a directory that cannot be opened for fsync does not fail the backup (not every platform can)', async () => {
    const { ws, backups } = await setup()
    const opened: string[] = []
    hooks.openSync = (path) => {
      if (path === backups) {
        opened.push(String(path))
        throw fail('EISDIR', 'open', path)
      }
    }
    const made = await ws.backup(backups)
    expect(opened).toEqual([backups])
    expect((await listWorkspaceBackups(backups)).map((e) => e.path)).toEqual([made.path])
    await ws.close()
  })

  it('a store copy that cannot be synced fails the backup with its code: nothing published, snapshots released', async () => {
    const { ws, backups, cleo } = await setup()
    hooks.openSync = (path) => {
      if (basename(String(path)) === 'brain.db' && dirname(String(path)).startsWith(join(backups, '.tmp-'))) {
        throw fail('EIO', 'open', path)
      }
    }
    const error = await expectCode(ws.backup(backups), 'IO')
    expect(error.file).toBe(backups)
    expect(readdirSync(backups)).toEqual([])
    await ws.close()
    // No snapshot is left pinned: a checkpoint of each store completes.
    for (const name of ['tasks.db', 'brain.db']) {
      const raw = new DatabaseSync(join(cleo, name))
      expect(raw.prepare('PRAGMA wal_checkpoint(TRUNCATE)').get()).toMatchObject({ busy: 0 })
      raw.close()
    }
  })

  it('a key file that cannot be synced fails the backup: nothing published', async () => {
    const { ws, backups } = await setup(true)
    hooks.openSync = (path) => {
      if (basename(String(path)) === 'global-salt' && String(path).startsWith(backups)) throw fail('EIO', 'open', path)
    }
    await expectCode(ws.backup(backups, { includeKeys: true }), 'IO')
    expect(readdirSync(backups)).toEqual([])
    delete hooks.openSync
    const made = await ws.backup(backups, { includeKeys: true })
    expect(made.manifest.keys?.map((k) => k.name)).toEqual(['machine-key', 'global-salt'])
    await ws.close()
  })
})

describe('a restore when a step fails', () => {
  it('a staged copy that cannot be synced: IO naming the backup folder, the targets untouched, no staged file left', async () => {
    const { project, globalDir, cleo, path } = await backedUp()
    const before = contents(cleo)
    hooks.openSync = (file) => {
      if (String(file).startsWith(join(cleo, 'brain.db.restore-'))) throw fail('EIO', 'open', file)
    }
    const error = await expectCode(CleoWorkspace.restore(path, project, { globalDir }), 'IO')
    expect(error.file).toBe(path)
    expect(contents(cleo)).toEqual(before)
    expect(readdirSync(globalDir).filter((n) => n.includes('.restore-'))).toEqual([])
  })

  it('a staging copy that fails for a full disk is STORAGE_FULL, nothing touched', async () => {
    const { project, globalDir, cleo, path } = await backedUp()
    const before = contents(cleo)
    hooks.copyFileSync = (from, to) => {
      if (String(to).startsWith(join(globalDir, 'nexus.db.restore-'))) throw fail('ENOSPC', 'copyfile', to)
    }
    const error = await expectCode(CleoWorkspace.restore(path, project, { globalDir }), 'STORAGE_FULL')
    expect(error.file).toBe(path)
    expect(contents(cleo)).toEqual(before)
    expect(readdirSync(globalDir).filter((n) => n.includes('.restore-'))).toEqual([])
  })

  it('a directory that cannot be opened for fsync does not fail the restore', async () => {
    const { project, globalDir, cleo, path, manifest } = await backedUp()
    const refused: string[] = []
    hooks.openSync = (file) => {
      if (file === cleo || file === globalDir) {
        refused.push(String(file))
        throw fail('EACCES', 'open', file)
      }
    }
    const result = await CleoWorkspace.restore(path, project, { globalDir })
    expect(refused).toEqual([cleo, globalDir])
    expect(result.restored.map((r) => r.store)).toEqual(manifest.stores.map((s) => s.store))
  })

  it('without hard links (EPERM) the replaced file is copied into the restore-replaced folder', async () => {
    const { project, globalDir, cleo, path } = await backedUp()
    const linked: string[] = []
    hooks.linkSync = (from) => {
      linked.push(basename(String(from)))
      throw fail('EPERM', 'link', from)
    }
    const original = new DatabaseSync(join(cleo, 'tasks.db'))
    original.exec("CREATE TABLE after_backup (x); INSERT INTO after_backup VALUES ('kept')")
    original.close()
    const result = await CleoWorkspace.restore(path, project, { globalDir, stores: ['tasks'] })
    expect(linked).toEqual(['tasks.db'])
    const kept = new DatabaseSync(join(result.replacedDirs[0]!, 'tasks.db'), { readOnly: true })
    expect(kept.prepare('SELECT x FROM after_backup').all()).toEqual([{ x: 'kept' }])
    kept.close()
    const restored = new DatabaseSync(join(cleo, 'tasks.db'), { readOnly: true })
    expect(restored.prepare("SELECT count(*) AS n FROM sqlite_schema WHERE name = 'after_backup'").get()).toEqual({ n: 0 })
    restored.close()
  })

  it('holds its exclusive lock on each existing target through the swap: no other connection can write it', async () => {
    const { project, globalDir, cleo, path } = await backedUp()
    const target = join(cleo, 'tasks.db')
    const attempts: string[] = []
    hooks.renameSync = (from, to) => {
      if (to !== target || !String(from).includes('.restore-')) return
      const other = new DatabaseSync(target, { timeout: 0 })
      try {
        other.exec('BEGIN IMMEDIATE')
        other.exec('ROLLBACK')
        attempts.push('wrote')
      } catch (error) {
        attempts.push(String((error as { errstr?: string }).errstr))
      } finally {
        other.close()
      }
    }
    await CleoWorkspace.restore(path, project, { globalDir, stores: ['tasks'] })
    expect(attempts).toEqual(['database is locked'])
  })

  it('a swap that fails leaves that target as it was, removes the staged copies and releases every lock', async () => {
    const { project, globalDir, cleo, path } = await backedUp()
    const target = join(cleo, 'tasks.db')
    hooks.renameSync = (from, to) => {
      if (to === target && String(from).includes('.restore-')) throw fail('EIO', 'rename', from)
    }
    const original = new DatabaseSync(target)
    original.exec("CREATE TABLE after_backup (x); INSERT INTO after_backup VALUES ('kept')")
    original.close()
    const error = await expectCode(CleoWorkspace.restore(path, project, { globalDir, stores: ['tasks', 'brain'] }), 'IO')
    expect(error.file).toBe(path)
    // The target is still the workspace's own database (the switch out of WAL kept its content).
    const kept = new DatabaseSync(target, { readOnly: true })
    expect(kept.prepare('SELECT x FROM after_backup').all()).toEqual([{ x: 'kept' }])
    kept.close()
    expect(readdirSync(cleo).filter((n) => n.includes('.restore-'))).toEqual([])
    // Unlocked: the workspace opens and writes.
    delete hooks.renameSync
    const ws = await CleoWorkspace.open(project, { globalDir })
    await ws.tasks.kysely.insertInto('schema_meta').values({ key: 'after-failed-restore', value: 'x', updated_at: 0 } as never).execute()
    await ws.close()
    expect(existsSync(target)).toBe(true)
  })
})


describe('a rollback journal found beside a restored store once the locks are released', () => {
  const ZEROED = Buffer.alloc(512)
  const HOT = Buffer.concat([Buffer.from('d9d505f920a163d7', 'hex'), Buffer.alloc(504, 7)])

  /**
   * Leaves `bytes` as `<target>-journal` once the restore closed its lock on the replaced file, as SQLite
   * may (here its close deletes the lock's journal): at the first look for that journal after the swap.
   */
  function leaveJournal(target: string, bytes: Buffer): void {
    let swapped = false
    hooks.renameSync = (from, to) => {
      if (to === target && String(from).includes('.restore-')) swapped = true
    }
    hooks.existsSync = (file) => {
      if (swapped && file === `${target}-journal`) {
        swapped = false
        writeFileSync(file, bytes)
      }
    }
  }

  it('a zeroed one (nobody needs it) is moved into the restore-replaced folder as <file>-journal.closed', async () => {
    const { project, globalDir, cleo, path } = await backedUp()
    const target = join(cleo, 'tasks.db')
    leaveJournal(target, ZEROED)
    const result = await CleoWorkspace.restore(path, project, { globalDir, stores: ['tasks', 'brain'] })
    expect(existsSync(`${target}-journal`)).toBe(false)
    const kept = result.replacedDirs[0]!
    // brain.db-journal, tasks.db-journal: the zeroed journals of the restore's own locks, moved at the swap.
    expect(readdirSync(kept).sort()).toEqual(['brain.db', 'brain.db-journal', 'tasks.db', 'tasks.db-journal', 'tasks.db-journal.closed'])
    expect(readFileSync(join(kept, 'tasks.db-journal.closed')).equals(ZEROED)).toBe(true)
  })

  it('with keepReplaced: false a zeroed one is deleted', async () => {
    const { project, globalDir, cleo, path } = await backedUp()
    const target = join(cleo, 'brain.db')
    leaveJournal(target, ZEROED)
    const result = await CleoWorkspace.restore(path, project, { globalDir, stores: ['tasks', 'brain'], keepReplaced: false })
    expect(result.replacedDirs).toEqual([])
    expect(readdirSync(cleo).sort()).toEqual(['brain.db', 'conduit.db', 'tasks.db'])
  })

  it('a hot one (its header intact) is never moved nor deleted', async () => {
    const { project, globalDir, cleo, path } = await backedUp()
    const target = join(cleo, 'tasks.db')
    leaveJournal(target, HOT)
    const result = await CleoWorkspace.restore(path, project, { globalDir, stores: ['tasks'] })
    expect(readFileSync(`${target}-journal`).equals(HOT)).toBe(true)
    expect(readdirSync(result.replacedDirs[0]!).sort()).toEqual(['tasks.db', 'tasks.db-journal'])
  })
})
