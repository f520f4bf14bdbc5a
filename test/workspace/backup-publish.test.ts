/**
 * Publishing a backup: the folder appears under its final name only once its manifest
 * is written and synced. A failure while writing the manifest (disk full, I/O error)
 * or while publishing leaves no backup folder at all; a temporary folder left by a
 * backup that died before it could clean up (a crash) is never listed, and the next
 * backup's rotation removes it once it is stale.
 *
 * The failures are injected into `node:fs` as the backup module sees it.
 */
import * as realFs from 'node:fs'
import { mkdirSync, readdirSync, utimesSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'

import { afterEach, describe, expect, it, vi } from 'vitest'

import { CleoWorkspace, listWorkspaceBackups } from '../../src/index.js'
import { tempDir } from '../helpers.js'

type Fault = 'manifest-write' | 'manifest-sync' | 'publish' | null
const faults = vi.hoisted(() => ({ fault: null as 'manifest-write' | 'manifest-sync' | 'publish' | null, crash: false }))

vi.mock('node:fs', async (importOriginal) => {
  const actual = await importOriginal<typeof import('node:fs')>()
  const isManifest = (path: unknown) => String(path).endsWith('manifest.json')
  const fail = (code: string, syscall: string) => Object.assign(new Error(`${code}: injected failure, ${syscall}`), { code, syscall })
  const mocked = {
    ...actual,
    writeFileSync: ((...args: Parameters<typeof actual.writeFileSync>) => {
      if (faults.fault === 'manifest-write' && isManifest(args[0])) {
        // Half the manifest reaches the disk, then the disk is full.
        actual.writeFileSync(args[0], String(args[1]).slice(0, 40))
        throw fail('ENOSPC', 'write')
      }
      return actual.writeFileSync(...args)
    }) as typeof actual.writeFileSync,
    openSync: ((...args: Parameters<typeof actual.openSync>) => {
      if (faults.fault === 'manifest-sync' && isManifest(args[0]) && args[1] === 'r+') throw fail('ENOSPC', 'open')
      return actual.openSync(...args)
    }) as typeof actual.openSync,
    renameSync: ((...args: Parameters<typeof actual.renameSync>) => {
      if (faults.fault === 'publish' && String(args[0]).includes('.tmp-')) throw fail('ENOSPC', 'rename')
      return actual.renameSync(...args)
    }) as typeof actual.renameSync,
    rmSync: ((...args: Parameters<typeof actual.rmSync>) => {
      // A crash: the process dies before it can remove its temporary folder.
      if (faults.crash && String(args[0]).includes('.tmp-')) return
      return actual.rmSync(...args)
    }) as typeof actual.rmSync,
  }
  return { ...mocked, default: mocked }
})

afterEach(() => {
  faults.fault = null
  faults.crash = false
})

async function setup() {
  const project = tempDir()
  const ws = await CleoWorkspace.open(project, { globalDir: join(tempDir(), 'global') })
  return { ws, backups: join(tempDir(), 'backups') }
}

/** The entries of the backup directory a user (or `ls`) sees: hidden temporaries aside. */
const visible = (dir: string) => readdirSync(dir).filter((name) => !name.startsWith('.'))

describe('publishing a backup', () => {
  it.each<[Fault, string]>([
    ['manifest-write', 'STORAGE_FULL'],
    ['manifest-sync', 'STORAGE_FULL'],
    ['publish', 'STORAGE_FULL'],
  ])('a failure at %s publishes nothing, and the next backup is whole', async (fault, code) => {
    const { ws, backups } = await setup()
    try {
      await ws.tasks.create({ title: 'kept' })
      faults.fault = fault
      await expect(ws.backup(backups)).rejects.toMatchObject({ code })
      faults.fault = null
      expect(readdirSync(backups), 'no folder, not even a temporary one').toEqual([])
      expect(await listWorkspaceBackups(backups)).toEqual([])
      const backup = await ws.backup(backups)
      expect(visible(backups)).toEqual([backup.path.split('/').at(-1)])
      expect(readdirSync(backup.path)).toContain('manifest.json')
      expect(await listWorkspaceBackups(backups)).toEqual([{ path: backup.path, manifest: backup.manifest }])
    } finally {
      await ws.close()
    }
  })

  it('a backup that died mid-manifest leaves only a hidden temporary folder, never listed, removed by rotation once stale', async () => {
    const { ws, backups } = await setup()
    try {
      faults.fault = 'manifest-write'
      faults.crash = true
      await expect(ws.backup(backups)).rejects.toMatchObject({ code: 'STORAGE_FULL' })
      faults.fault = null
      faults.crash = false
      const [leftover, ...more] = readdirSync(backups)
      expect(more).toEqual([])
      expect(leftover).toMatch(/^\.tmp-/)
      expect(visible(backups)).toEqual([])
      expect(await listWorkspaceBackups(backups)).toEqual([])
      // A fresh temporary folder may be another process's backup in progress: kept.
      const first = await ws.backup(backups, { keep: 1 })
      expect(readdirSync(backups).sort()).toEqual([leftover, first.path.split('/').at(-1)].sort())
      // A day old: a dead backup's leftover, removed by the next rotation.
      const dayAgo = (Date.now() - 25 * 60 * 60 * 1000) / 1000
      utimesSync(join(backups, leftover!), dayAgo, dayAgo)
      // Someone else's folder without a manifest is not ours: never listed, never removed.
      mkdirSync(join(backups, 'notes'))
      writeFileSync(join(backups, 'notes', 'todo.txt'), 'mine')
      const second = await ws.backup(backups, { keep: 1 })
      expect(readdirSync(backups).sort()).toEqual(['notes', second.path.split('/').at(-1)].sort())
      expect(realFs.readFileSync(join(backups, 'notes', 'todo.txt'), 'utf8')).toBe('mine')
      expect((await listWorkspaceBackups(backups)).map((b) => b.path)).toEqual([second.path])
    } finally {
      await ws.close()
    }
  })
})
