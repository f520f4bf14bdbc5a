/**
 * More exact behaviour of `src/workspace/backup.ts` (issue 14, item 14: the survivors of its
 * mutation run): the name of the restore-replaced folder and two restores in one millisecond,
 * the snapshot released after each copy, the listing, the staged check, the sweep of the lock's
 * journal, the key files on restore. Real files in temporary directories; the wall clock is
 * stubbed where the folder's name depends on it; no timing.
 */
import { statSync } from 'node:fs'
import { join } from 'node:path'
import { DatabaseSync } from 'node:sqlite'

import { afterEach, describe, expect, it, vi } from 'vitest'

import { CleoWorkspace } from '../../src/index.js'
import { tempDir } from '../helpers.js'

/** 2026-01-02T03:04:05.006Z, as the restore-replaced folder names it. */
const NOW = Date.UTC(2026, 0, 2, 3, 4, 5, 6)
const LABEL = '20260102T030405006Z'

afterEach(() => {
  vi.restoreAllMocks()
})

async function backedUp() {
  const project = tempDir()
  const globalDir = join(tempDir(), 'global')
  const ws = await CleoWorkspace.open(project, { globalDir })
  const backup = await ws.backup(join(tempDir(), 'backups'))
  return { ws, project, globalDir, cleo: join(project, '.cleo'), ...backup }
}

/** A value of the tasks store that the backup does not hold. */
async function markTasks(ws: CleoWorkspace, key: string): Promise<void> {
  await ws.tasks.kysely.insertInto('schema_meta').values({ key, value: 'x', updated_at: 0 } as never).execute()
}

function hasMark(file: string, key: string): boolean {
  const db = new DatabaseSync(file, { readOnly: true })
  try {
    return (db.prepare('SELECT count(*) AS n FROM schema_meta WHERE key = ?').get(key) as { n: number }).n === 1
  } finally {
    db.close()
  }
}

describe('the restore-replaced folder', () => {
  it('is named restore-replaced-<compact ISO time of the restore>', async () => {
    const { ws, project, globalDir, cleo, path } = await backedUp()
    await ws.close()
    vi.spyOn(Date, 'now').mockReturnValue(NOW)
    const result = await CleoWorkspace.restore(path, project, { globalDir })
    expect(result.replacedDirs).toEqual([join(cleo, `restore-replaced-${LABEL}`), join(globalDir, `restore-replaced-${LABEL}`)])
  })

  it('two restores in the same millisecond keep their replaced files apart: the first one’s are not overwritten', async () => {
    const { ws, project, globalDir, cleo, path } = await backedUp()
    await markTasks(ws, 'after-backup')
    await ws.close()
    vi.spyOn(Date, 'now').mockReturnValue(NOW)
    const first = await CleoWorkspace.restore(path, project, { globalDir, stores: ['tasks'] })
    const second = await CleoWorkspace.restore(path, project, { globalDir, stores: ['tasks'] })
    expect(first.replacedDirs).toEqual([join(cleo, `restore-replaced-${LABEL}`)])
    expect(second.replacedDirs).toHaveLength(1)
    const [again] = second.replacedDirs
    expect(again).not.toBe(first.replacedDirs[0])
    expect(again!.startsWith(join(cleo, `restore-replaced-${LABEL}`))).toBe(true)
    expect(statSync(again!).mode & 0o777).toBe(0o700)
    // The workspace as it was before the first restore is still kept, with the row written after the backup.
    const kept = join(first.replacedDirs[0]!, 'tasks.db')
    expect(hasMark(kept, 'after-backup')).toBe(true)
    // The second restore kept what the first one had restored.
    expect(hasMark(join(again!, 'tasks.db'), 'after-backup')).toBe(false)
  })
})
