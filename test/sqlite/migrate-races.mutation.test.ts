/**
 * Pre-migration backups racing with other processes (issue 14 item 14, from the mutation
 * run of `src/sqlite/migrate.ts`): two processes that upgrade the same file both back it
 * up before one of them takes the write lock, so each may find that the other already
 * removed an old backup or an orphaned temporary file it is about to remove. That is not
 * an error. And a backup that fails before its temporary file exists reports the
 * backup's failure.
 *
 * No timing: the other process's removal is made at the exact step it would race with,
 * by a hook on `statSync` (the rotation's listing) or on `process.kill` (the orphan
 * sweep's liveness check).
 */
import { spawnSync } from 'node:child_process'
import { existsSync, rmSync, utimesSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'

import { afterEach, describe, expect, it, vi } from 'vitest'

import { CleoStoreError } from '../../src/sqlite/errors.js'
import { backupBeside } from '../../src/sqlite/migrate.js'
import { openDatabase } from '../../src/sqlite/open-database.js'
import { expectCode, tempDir } from '../helpers.js'
import { storeV1, storeV2, backups, fileAtV1 } from './migration-store.js'

const hooks = vi.hoisted(() => ({ afterStat: null as null | ((path: string) => void) }))

vi.mock('node:fs', async (importOriginal) => {
  const actual = await importOriginal<typeof import('node:fs')>()
  const statSync = ((path: Parameters<typeof actual.statSync>[0], options?: Parameters<typeof actual.statSync>[1]) => {
    const stats = actual.statSync(path, options)
    hooks.afterStat?.(String(path))
    return stats
  }) as typeof actual.statSync
  return { ...actual, default: { ...actual, statSync }, statSync }
})

afterEach(() => {
  hooks.afterStat = null
  vi.restoreAllMocks()
})

describe('backup rotation', () => {
  it('an old backup another process removed after this one listed it is not an error', async () => {
    const dir = tempDir()
    const file = await fileAtV1(dir)
    // three older backups, the oldest first
    for (const [i, label] of ['old-a', 'old-b', 'old-c'].entries()) {
      writeFileSync(`${file}.bak-${label}`, 'x')
      utimesSync(`${file}.bak-${label}`, 1_000_000 + i, 1_000_000 + i)
    }
    const oldest = `${file}.bak-old-a`
    let raced = 0
    hooks.afterStat = (path) => {
      if (path === oldest && existsSync(oldest)) {
        rmSync(oldest) // the other process's rotation, between this one's listing and its removal
        raced++
      }
    }
    const db = await openDatabase(file, { store: storeV2 }) // keeps 3: the new one, old-c, old-b
    await db.close()
    expect(raced).toBe(1)
    expect(backups(dir)).toEqual(['data.db.bak-0001_item', 'data.db.bak-old-b', 'data.db.bak-old-c'])
  })
})

describe('the orphan sweep', () => {
  it('an orphan another process removed after this one found it is not an error', async () => {
    const dir = tempDir()
    const file = await fileAtV1(dir)
    const deadPid = spawnSync(process.execPath, ['-e', '0']).pid!
    const orphan = join(dir, `data.db.bak-0001_item.tmp-${deadPid}-abcd1234`)
    writeFileSync(orphan, 'x')
    const kill = process.kill.bind(process)
    const checked: number[] = []
    vi.spyOn(process, 'kill').mockImplementation((pid, signal) => {
      if (pid === deadPid) {
        checked.push(pid)
        rmSync(orphan) // the other process's sweep, between this one's listing and its removal
      }
      return kill(pid, signal)
    })
    const db = await openDatabase(file, { store: storeV2 })
    await db.close()
    expect(checked).toEqual([deadPid])
    expect(backups(dir)).toEqual(['data.db.bak-0001_item'])
  })
})

describe('a backup that fails before its temporary file exists', () => {
  it('reports the backup’s failure, as a CleoStoreError naming the file', async () => {
    const dir = tempDir()
    const file = await fileAtV1(dir)
    const db = await openDatabase(file, { store: storeV1 })
    try {
      // a label naming a directory that does not exist: the temporary file cannot be created
      const error = await expectCode(backupBeside(db, 'missing/0001_item', 3), 'IO')
      expect(error).toBeInstanceOf(CleoStoreError)
      expect(error.file).toBe(file)
      expect(backups(dir)).toEqual([])
    } finally {
      await db.close()
    }
  })
})
