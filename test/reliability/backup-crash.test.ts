/**
 * A backup killed half-way (SIGKILL of the process taking it): the live workspace is
 * untouched and intact, no partial backup is ever listed, and the newest listed
 * backup restores to a consistent workspace.
 */
import { spawn } from 'node:child_process'
import { join } from 'node:path'

import { describe, expect, it } from 'vitest'

import { CleoWorkspace, listWorkspaceBackups } from '../../src/index.js'
import { REPO_ROOT, tempDir } from '../helpers.js'

const HEAVY = process.env['CLEO_RELIABILITY_HEAVY'] === '1'
const KILLS = HEAVY ? 20 : 4

describe('SIGKILL during a backup', () => {
  it(`never lists a partial backup, and restores the newest one (${KILLS} kills)`, { timeout: 300_000 }, async () => {
    const projectDir = tempDir()
    const globalDir = join(tempDir(), 'global')
    const backupDir = join(tempDir(), 'backups')
    const ws = await CleoWorkspace.open(projectDir, { globalDir })
    for (let i = 0; i < 300; i++) await ws.tasks.create({ title: `task ${i}` })
    await ws.close()

    let completed = 0
    for (let round = 0; round < KILLS; round++) {
      const child = spawn(process.execPath, ['--import', 'tsx', join(REPO_ROOT, 'test/fixtures/backup-loop.ts'), projectDir, globalDir, backupDir], {
        cwd: REPO_ROOT,
        stdio: ['ignore', 'pipe', 'pipe'],
      })
      let output = ''
      // Round r kills after the child reported r % 3 finished backups (a handshake, so
      // round 1 certainly completed one, however busy the machine), then at a random
      // moment of the next one.
      const wanted = round % 3
      const killPoint = new Promise<void>((resolve) =>
        child.stdout!.on('data', (d: Buffer) => {
          output += d.toString()
          if (output.includes('ready') && (output.match(/^backup /gm) ?? []).length >= wanted) resolve()
        }),
      )
      const exited = new Promise<void>((resolve) => child.on('exit', () => resolve()))
      await killPoint
      await new Promise((r) => setTimeout(r, Math.random() * 300))
      child.kill('SIGKILL')
      await exited
      completed += (output.match(/^backup /gm) ?? []).length
      // Every listed backup is whole: its manifest parses and its files verify on restore below.
      for (const entry of await listWorkspaceBackups(backupDir)) expect(entry.manifest.stores.length).toBeGreaterThan(0)
      const live = await CleoWorkspace.open(projectDir, { globalDir })
      expect((await live.check({ full: true })).ok).toBe(true)
      expect((await live.tasks.list({ limit: 1 })).items.length).toBe(1)
      await live.close()
    }
    expect(completed, 'no backup completed before a kill').toBeGreaterThan(0)
    const [newest] = await listWorkspaceBackups(backupDir)
    expect(newest).toBeDefined()
    const target = tempDir()
    await CleoWorkspace.restore(newest!.path, target, { globalDir: join(tempDir(), 'restored-global') })
    const restored = await CleoWorkspace.open(target, { globalDir: join(tempDir(), 'restored-global') })
    try {
      expect((await restored.check({ full: true })).ok).toBe(true)
      expect((await restored.tasks.get('T300')).title).toBe('task 299')
    } finally {
      await restored.close()
    }
  })
})
