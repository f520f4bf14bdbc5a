import { createHash } from 'node:crypto'
import { existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { DatabaseSync } from 'node:sqlite'

import { describe, expect, it } from 'vitest'

import type { WorkspaceBackupProgress } from '../../src/index.js'
import { CleoWorkspace, listWorkspaceBackups } from '../../src/index.js'
import { WorkspaceBackupManifestSchema } from '../../src/schemas.js'
import { expectCode, tempDir } from '../helpers.js'
import { startFixture } from './children.js'

const sha = (file: string) => createHash('sha256').update(readFileSync(file)).digest('hex')
const PROJECT_FILES = ['tasks.db', 'brain.db', 'conduit.db']

async function setup() {
  const project = tempDir()
  const globalDir = join(tempDir(), 'global')
  const ws = await CleoWorkspace.open(project, { globalDir })
  return { project, globalDir, ws, backups: join(tempDir(), 'backups') }
}

function snapshotFiles(dir: string, names: string[]): Record<string, string> {
  return Object.fromEntries(names.filter((n) => existsSync(join(dir, n))).map((n) => [n, sha(join(dir, n))]))
}

async function seqRows(ws: CleoWorkspace): Promise<{ tasks: number[]; nexus: number[] }> {
  const meta = await ws.tasks.kysely.selectFrom('schema_meta').select('key').where('key', 'like', 'seq-%').execute()
  const audit = await ws.nexus.audit.list({ action: 'seq', limit: 10_000, order: 'asc' })
  return {
    tasks: meta.map((r) => Number(r.key.slice(4))).sort((a, b) => a - b),
    nexus: audit.items.map((e) => Number(e.details?.['n'])).sort((a, b) => a - b),
  }
}

describe('ws.backup', () => {
  it('writes a complete, self-contained, checksummed snapshot of every open store, reporting progress', async () => {
    const { ws, backups } = await setup()
    await ws.nexus.chains.define({ name: 'c', definition: { stages: [{ id: 'a' }], entryPoint: 'a', exitPoints: ['a'] } })
    const progress: WorkspaceBackupProgress[] = []
    const backup = await ws.backup(backups, { label: 'before upgrade', onProgress: (p) => progress.push(p) })
    const manifest = WorkspaceBackupManifestSchema.parse(JSON.parse(readFileSync(join(backup.path, 'manifest.json'), 'utf8')))
    expect(manifest).toEqual(backup.manifest)
    expect(manifest).toMatchObject({ label: 'before upgrade', projectDir: ws.projectDir, globalDir: ws.globalDir, projectId: ws.projectId })
    expect(manifest.stores.map((s) => s.store)).toEqual(['tasks', 'brain', 'conduit', 'signaldock', 'nexus'])
    for (const entry of manifest.stores) {
      const file = join(backup.path, entry.file)
      expect(sha(file)).toBe(entry.sha256)
      expect(statSync(file).size).toBe(entry.bytes)
      expect(statSync(file).mode & 0o777).toBe(0o600)
      expect(entry.schemaVersion).toBe(ws[entry.store as 'tasks'].schemaVersion)
    }
    expect(readdirSync(backup.path).sort()).toEqual([...manifest.stores.map((s) => s.file), 'manifest.json'].sort())
    expect(statSync(backup.path).mode & 0o777).toBe(0o700)
    // Progress: per store, copying → verifying → done, in store order.
    const phases = progress.map((p) => `${p.storeIndex}:${p.phase}`)
    for (let i = 0; i < 5; i++) {
      const mine = phases.filter((p) => p.startsWith(`${i}:`))
      expect(mine[0]).toBe(`${i}:copying`)
      expect(mine.slice(-2)).toEqual([`${i}:verifying`, `${i}:done`])
    }
    expect(progress.every((p) => p.storeCount === 5 && p.remainingPages <= p.totalPages)).toBe(true)
    expect(await listWorkspaceBackups(backups)).toEqual([{ path: backup.path, manifest }])
    await ws.close()
  })

  it('rotates old backups of the same project only, never touching other folders', async () => {
    const { ws, backups, globalDir } = await setup()
    const other = await CleoWorkspace.open(tempDir(), { globalDir })
    const theirs = await other.backup(backups)
    await other.close()
    mkdirSync(join(backups, 'my-notes'))
    const made = []
    for (let i = 0; i < 4; i++) made.push(await ws.backup(backups, { keep: 2 }))
    expect(made[2]!.removed).toEqual([made[0]!.path])
    expect(made[3]!.removed).toEqual([made[1]!.path])
    const listed = await listWorkspaceBackups(backups)
    expect(listed.map((b) => b.path)).toEqual([made[3]!.path, made[2]!.path, theirs.path])
    expect(existsSync(join(backups, 'my-notes'))).toBe(true)
    await expectCode(ws.backup(backups, { keep: -1 }), 'VALIDATION')
    await expectCode(ws.backup(backups, { stores: ['telemetry'] }), 'VALIDATION')
    await ws.close()
  })

  it('abandons the backup when onProgress throws, leaving no partial folder', async () => {
    const { ws, backups } = await setup()
    const boom = new Error('stop')
    await expect(
      ws.backup(backups, {
        onProgress: (p) => {
          if (p.store === 'conduit') throw boom
        },
      }),
    ).rejects.toThrow('stop')
    expect(readdirSync(backups)).toEqual([])
    await ws.close()
  })

  it('backs up an in-memory workspace, which restores to disk', async () => {
    const project = tempDir()
    const ws = await CleoWorkspace.open(project, { inMemory: true })
    await ws.nexus.audit.append({ action: 'fixture.seeded' })
    const { path, manifest } = await ws.backup(join(tempDir(), 'b'), { stores: ['tasks', 'nexus'] })
    expect(manifest.globalDir).toBeNull()
    expect(manifest.stores.map((s) => s.store)).toEqual(['tasks', 'nexus'])
    await ws.close()
    const target = tempDir()
    const globalDir = join(tempDir(), 'g')
    await CleoWorkspace.restore(path, target, { globalDir })
    const restored = await CleoWorkspace.open(target, { globalDir })
    expect((await restored.nexus.audit.list({ action: 'fixture.seeded' })).items.length).toBe(1)
    expect((await restored.check({ full: true })).ok).toBe(true)
    await restored.close()
  })
})

describe('CleoWorkspace.restore', () => {
  it('restores every store of a backup into the closed workspace, keeping the replaced files aside', async () => {
    const { ws, project, globalDir, backups } = await setup()
    const id = ws.projectId
    await ws.tasks.kysely.insertInto('schema_meta').values({ key: 'marker', value: 'before', updated_at: 1 }).execute()
    const { path } = await ws.backup(backups)
    await ws.tasks.kysely.updateTable('schema_meta').set({ value: 'after' }).where('key', '=', 'marker').execute()
    await ws.nexus.audit.append({ action: 'after.backup' })
    await ws.close()

    const result = await CleoWorkspace.restore(path, project, { globalDir })
    expect(result.restored.map((r) => r.store)).toEqual(['tasks', 'brain', 'conduit', 'signaldock', 'nexus'])
    expect(result.damaged).toEqual([])
    expect(result.replacedDirs).toHaveLength(2)
    expect(readdirSync(result.replacedDirs[0]!)).toEqual(expect.arrayContaining(PROJECT_FILES))
    for (const dir of [join(project, '.cleo'), globalDir]) {
      expect(readdirSync(dir).filter((n) => /-(wal|shm|journal)$/.test(n) || n.includes('.restore-'))).toEqual([])
    }

    const back = await CleoWorkspace.open(project, { globalDir })
    expect(back.projectId).toBe(id)
    const marker = await back.tasks.kysely.selectFrom('schema_meta').select('value').where('key', '=', 'marker').executeTakeFirst()
    expect(marker?.value).toBe('before')
    expect((await back.nexus.audit.list({ action: 'after.backup' })).items).toEqual([])
    expect((await back.check({ full: true })).ok).toBe(true)
    await back.close()
  })

  it('refuses while the workspace is open in this process, touching nothing', async () => {
    const { ws, project, globalDir, backups } = await setup()
    const { path } = await ws.backup(backups)
    const cleo = join(project, '.cleo')
    const before = snapshotFiles(cleo, PROJECT_FILES)
    const error = await expectCode(CleoWorkspace.restore(path, project, { globalDir }), 'BUSY')
    expect(error.details?.['reason']).toBe('open-in-process')
    expect(snapshotFiles(cleo, PROJECT_FILES)).toEqual(before)
    // Another project of this process holds the global stores: the global tier is refused too…
    const other = await CleoWorkspace.open(tempDir(), { globalDir })
    await ws.close()
    await expectCode(CleoWorkspace.restore(path, project, { globalDir }), 'BUSY')
    // …but the project tier alone may be restored.
    const partial = await CleoWorkspace.restore(path, project, { globalDir, stores: ['tasks', 'brain', 'conduit'], keepReplaced: false })
    expect(partial.restored.map((r) => r.store)).toEqual(['tasks', 'brain', 'conduit'])
    expect(partial.replacedDirs).toEqual([])
    expect(readdirSync(cleo).filter((n) => n.startsWith('restore-replaced'))).toEqual([])
    await other.close()
  })

  it('refuses while another process holds the workspace, and succeeds once it closed', async () => {
    const { ws, project, globalDir, backups } = await setup()
    const { path } = await ws.backup(backups)
    await ws.close()
    const holder = startFixture('workspace-holder.ts', [project, globalDir])
    await holder.waitFor(/^open$/)
    const cleo = join(project, '.cleo')
    const before = snapshotFiles(cleo, PROJECT_FILES)
    const error = await expectCode(CleoWorkspace.restore(path, project, { globalDir }), 'BUSY')
    expect(error.details?.['reason']).toBe('locked')
    expect(snapshotFiles(cleo, PROJECT_FILES)).toEqual(before)
    expect(readdirSync(cleo).filter((n) => n.includes('.restore-'))).toEqual([]) // staged copies cleaned up
    await holder.finish()
    const result = await CleoWorkspace.restore(path, project, { globalDir })
    expect(result.restored).toHaveLength(5)
  })

  it('verifies the backup before touching anything', async () => {
    const { ws, project, globalDir, backups } = await setup()
    const { path, manifest } = await ws.backup(backups)
    await ws.close()
    const cleo = join(project, '.cleo')
    const before = snapshotFiles(cleo, PROJECT_FILES)

    // A flipped byte in one store: CORRUPT, nothing restored (not even the good stores).
    const brain = join(path, 'brain.db')
    const original = readFileSync(brain)
    const tampered = Buffer.from(original)
    tampered[tampered.length - 1] = tampered[tampered.length - 1]! ^ 0xff
    writeFileSync(brain, tampered)
    const corrupt = await expectCode(CleoWorkspace.restore(path, project, { globalDir }), 'CORRUPT')
    expect(corrupt.store).toBe('brain')
    expect(snapshotFiles(cleo, PROJECT_FILES)).toEqual(before)
    writeFileSync(brain, original)

    // A store written by a newer cleo-store: SCHEMA_TOO_NEW.
    const manifestFile = join(path, 'manifest.json')
    const future = structuredClone(manifest)
    future.stores[0]!.migrations.push('9999_from_the_future')
    writeFileSync(manifestFile, JSON.stringify(future))
    await expectCode(CleoWorkspace.restore(path, project, { globalDir }), 'SCHEMA_TOO_NEW')
    writeFileSync(manifestFile, 'not json')
    await expectCode(CleoWorkspace.restore(path, project, { globalDir }), 'CORRUPT')
    await expectCode(CleoWorkspace.restore(tempDir(), project, { globalDir }), 'NOT_FOUND')
    writeFileSync(manifestFile, JSON.stringify(manifest))
    await expectCode(CleoWorkspace.restore(path, project, { globalDir, stores: ['telemetry'] }), 'NOT_FOUND')
    await expectCode(CleoWorkspace.restore(path, join(project, 'missing'), { globalDir }), 'NOT_FOUND')
    expect(snapshotFiles(cleo, PROJECT_FILES)).toEqual(before)
  })

  it('replaces a damaged store file (the reason to restore), keeping the damaged one aside', async () => {
    const { ws, project, globalDir, backups } = await setup()
    const { path } = await ws.backup(backups)
    await ws.close()
    const tasks = join(project, '.cleo', 'tasks.db')
    writeFileSync(tasks, 'this is not a database, but it once was')
    await expectCode(CleoWorkspace.open(project, { globalDir }), 'CORRUPT')
    writeFileSync(`${tasks}-wal`, 'stale wal')
    const result = await CleoWorkspace.restore(path, project, { globalDir, stores: ['tasks'] })
    expect(result.damaged).toEqual(['tasks'])
    const kept = readdirSync(result.replacedDirs[0]!).sort()
    expect(kept).toEqual(['tasks.db', 'tasks.db-wal'])
    expect(existsSync(`${tasks}-wal`)).toBe(false)
    const back = await CleoWorkspace.open(project, { globalDir })
    expect((await back.check({ full: true })).ok).toBe(true)
    await back.close()
  })

  it('restores a backup taken while another process wrote continuously to a consistent workspace', async () => {
    const { ws, project, globalDir, backups } = await setup()
    const writer = startFixture('workspace-writer.ts', [project, globalDir])
    await writer.waitFor(/^ready$/)
    const before = await seqRows(ws)
    // The writes overlap the backup by construction: at its first progress report the
    // backup waits (synchronously: it cannot go on meanwhile) until the writer process
    // has committed another row, however the scheduler runs the two processes.
    const probe = new DatabaseSync(join(project, '.cleo', 'tasks.db'), { readOnly: true })
    const count = () => (probe.prepare("SELECT count(*) AS n FROM schema_meta WHERE key LIKE 'seq-%'").get() as { n: number }).n
    const pause = new Int32Array(new SharedArrayBuffer(4))
    let waited = false
    const { path } = await ws.backup(backups, {
      onProgress: () => {
        if (waited) return
        waited = true
        const start = count()
        while (count() === start) Atomics.wait(pause, 0, 0, 5)
      },
    })
    probe.close()
    const after = await seqRows(ws)
    const { written } = JSON.parse((await writer.finish()).trim().split('\n').pop()!) as { written: number }
    await ws.close()
    expect(after.tasks.length).toBeGreaterThan(before.tasks.length) // writes really overlapped the backup
    expect(written).toBeGreaterThanOrEqual(after.tasks.length)

    const target = tempDir()
    const targetGlobal = join(tempDir(), 'global')
    await CleoWorkspace.restore(path, target, { globalDir: targetGlobal })
    const restored = await CleoWorkspace.open(target, { globalDir: targetGlobal })
    const report = await restored.check({ full: true })
    expect(report.findings.filter((f) => f.check === 'sqlite.integrity')).toEqual([])
    const rows = await seqRows(restored)
    for (const [store, got] of Object.entries(rows) as Array<['tasks' | 'nexus', number[]]>) {
      // Every row committed before the backup began is there, with no hole: a prefix.
      expect(got.length, store).toBeGreaterThanOrEqual(before[store].length)
      expect(got.length, store).toBeLessThanOrEqual(after[store].length)
      expect(got, store).toEqual(Array.from({ length: got.length }, (_, i) => i + 1))
    }
    await restored.close()
  })
})
