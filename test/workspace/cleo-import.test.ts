/**
 * Issue 18 item 2 and the "done when": `CleoWorkspace.importFromCleo` on a CLEO project
 * built from the reference column lists (test/fixtures/cleo-legacy): dry run writes
 * nothing and reports the same; the import moves CLEO's originals aside byte-identical
 * and the project opens as a workspace whose ready work, search and ADR relations give
 * the answers CLEO's data implies; a second run is a no-op.
 */
import { createHash } from 'node:crypto'
import { spawnSync } from 'node:child_process'
import { existsSync, lstatSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs'
import { basename, join, relative } from 'node:path'

import { sql } from 'kysely'
import { DatabaseSync } from 'node:sqlite'

import { describe, expect, it } from 'vitest'

import type { CleoImportReport } from '../../src/index.js'
import { CleoWorkspace } from '../../src/index.js'
import { buildCleoInstallation, writeCleoProjectFiles } from '../fixtures/cleo-legacy/index.js'
import { tempDir } from '../helpers.js'

/** Every file under `root`: relative path → sha256 (directories as 'dir'). */
function snapshot(root: string): Map<string, string> {
  const result = new Map<string, string>()
  const walk = (dir: string) => {
    for (const name of readdirSync(dir)) {
      const path = join(dir, name)
      if (lstatSync(path).isDirectory()) {
        result.set(relative(root, path), 'dir')
        walk(path)
      } else {
        result.set(relative(root, path), createHash('sha256').update(readFileSync(path)).digest('hex'))
      }
    }
  }
  walk(root)
  return result
}

function setup(options: { leaveWal?: boolean } = {}) {
  const root = tempDir()
  const project = join(root, 'app')
  const globalDir = join(root, 'global')
  const written = buildCleoInstallation(project, globalDir, options)
  const files = writeCleoProjectFiles(join(project, '.cleo'))
  return { root, project, globalDir, written, files }
}

function table(report: CleoImportReport, store: string, source: string) {
  const found = report.stores.find((s) => s.store === store)?.tables.find((t) => t.source === source)
  if (!found) throw new Error(`no report for ${store}.${source}`)
  return found
}

describe('CleoWorkspace.importFromCleo', () => {
  it('dryRun writes nothing, not even a sidecar, and reports what the import will do', async () => {
    const { root, project, globalDir } = setup({ leaveWal: true })
    const before = snapshot(root)
    const report = await CleoWorkspace.importFromCleo(project, { globalDir, dryRun: true })
    expect(snapshot(root)).toEqual(before)
    expect(report.dryRun).toBe(true)
    expect(report.movedAside).toEqual([])
    expect(report.stores.map((s) => [s.store, s.mode])).toEqual([
      ['tasks', 'replace'],
      ['brain', 'replace'],
      ['conduit', 'replace'],
      ['nexus', 'replace'],
      ['signaldock', 'replace'],
    ])
    expect(table(report, 'tasks', 'tasks')).toMatchObject({ read: 3, imported: 3, skipped: 0 })
    for (const store of report.stores) {
      for (const t of store.tables) expect(t.read, `${store.store}.${t.source}`).toBe(t.imported + t.skipped)
    }
  })

  it('imports, moves the originals aside byte-identical, and the project opens with the answers CLEO implies', async () => {
    const { root, project, globalDir, written } = setup({ leaveWal: true })
    const cleoDir = join(project, '.cleo')
    const originals = new Map<string, string>()
    for (const result of Object.values(written)) {
      for (const file of result.files) originals.set(file, createHash('sha256').update(readFileSync(file)).digest('hex'))
    }
    const dry = await CleoWorkspace.importFromCleo(project, { globalDir, dryRun: true })
    const report = await CleoWorkspace.importFromCleo(project, { globalDir })
    expect(report.dryRun).toBe(false)
    // The dry run reported exactly what the import did.
    expect(report.stores).toEqual(dry.stores)

    // Originals: every CLEO file (db, -wal, -shm) is in a cleo-legacy folder, byte-identical.
    expect(report.movedAside.map((m) => m.from).sort()).toEqual([...originals.keys()].sort())
    for (const { from, to } of report.movedAside) {
      expect(basename(to)).toBe(basename(from))
      expect(to).toMatch(/cleo-legacy-\d{8}T\d+Z/)
      expect(createHash('sha256').update(readFileSync(to)).digest('hex'), to).toBe(originals.get(from))
    }
    expect(report.legacyDirs).toHaveLength(2)
    // No staging folder is left behind.
    expect(readdirSync(cleoDir).filter((n) => n.startsWith('.cleo-import-'))).toEqual([])
    expect(readdirSync(globalDir).filter((n) => n.startsWith('.cleo-import-'))).toEqual([])

    const ws = await CleoWorkspace.open(project, { globalDir })
    try {
      // Tasks keep CLEO's ids; T003 (pending, its dependency T002 done) is the ready work;
      // T001 (an epic with an open child) is not.
      expect((await ws.tasks.get('T001')).title).toBe('Epic: storage')
      expect((await ws.tasks.get('T002')).status).toBe('done')
      expect((await ws.tasks.dependencies.ready()).items.map((t) => t.id)).toEqual(['T003'])
      expect((await ws.tasks.list({ text: 'crash' })).items.map((t) => t.id)).toEqual(['T003'])
      // The next task continues CLEO's numbering.
      expect((await ws.tasks.create({ title: 'Next one', parentId: 'T001' })).id).toBe('T004')
      // ADR relations: ADR-002 supersedes ADR-001 (tasks.db), ADR-003 amends ADR-002 (file only).
      expect(await ws.tasks.adrs.get('ADR-001')).toMatchObject({ status: 'superseded', supersededById: 'ADR-002' })
      expect(await ws.tasks.adrs.get('ADR-003')).toMatchObject({ status: 'accepted', amendsId: 'ADR-002', title: 'Keep task ids' })
      expect((await ws.tasks.adrs.taskLinks('ADR-003')).map((l) => l.taskId).sort()).toEqual(['T001', 'T003'])
      // Brain: memories keep their ids and are found by full-text search.
      const hits = await ws.brain.search('WAL', { limit: 10 })
      expect(hits.map((h) => h.id)).toContain('D001')
      // CLEO's ids pass the workspace's cross-store guards: a new link to T001, a missing T099 refused.
      await ws.brain.links.add({ memoryId: 'D001', taskId: 'T001', linkType: 'informed_by' })
      await expect(ws.brain.links.add({ memoryId: 'D001', taskId: 'T099', linkType: 'informed_by' })).rejects.toMatchObject({ code: 'NOT_FOUND' })
      const queued = await sql<{ n: number }>`SELECT count(*) AS n FROM brain_embedding_queue`.execute(ws.brain.kysely)
      expect(Number(queued.rows[0]!.n)).toBe(5)
    } finally {
      await ws.close()
    }

    // A second run finds no CLEO store: a no-op.
    const again = await CleoWorkspace.importFromCleo(project, { globalDir })
    expect(again).toEqual({ projectDir: project, dryRun: false, stores: [], movedAside: [], legacyDirs: [] })
    expect(existsSync(join(root, 'app', '.cleo', 'tasks.db'))).toBe(true)
  })

  it('ADR files and manifest lines: malformed ones are reported and skipped, never fatal', async () => {
    const { project, globalDir } = setup()
    const report = await CleoWorkspace.importFromCleo(project, { globalDir, dryRun: true })
    const adrs = table(report, 'tasks', 'adrs/*.md')
    expect(adrs).toMatchObject({ read: 5, imported: 1, skipped: 4 })
    expect(adrs.reasons.map((r) => r.key).sort()).toEqual(['ADR-002-wal.md', 'ADR-004-broken.md', 'ADR-005-bad-status.md', 'notes.md'])
    const manifest = table(report, 'tasks', 'agent-outputs/MANIFEST.jsonl')
    expect(manifest).toMatchObject({ read: 4, imported: 2, skipped: 2 })
    expect(manifest.reasons.map((r) => r.reason)).toEqual(['not JSON', 'no "id"'])
  })

  it('a store that cannot be built fails the import before anything is moved: originals untouched, no staging left', async () => {
    const { root, project, globalDir } = setup()
    // CLEO's conduit.db gets a column whose every read fails (malformed JSON in a generated column).
    const conduit = new DatabaseSync(join(project, '.cleo', 'conduit.db'))
    conduit.exec("ALTER TABLE project_agent_refs ADD COLUMN boom TEXT AS (json(role)) VIRTUAL")
    conduit.close()
    const before = snapshot(root)
    await expect(CleoWorkspace.importFromCleo(project, { globalDir })).rejects.toMatchObject({
      code: 'CORRUPT',
      store: 'conduit',
      file: join(project, '.cleo', 'conduit.db'),
    })
    expect(snapshot(root)).toEqual(before)
    // The workspace still refuses CLEO's files: nothing was half-imported.
    await expect(CleoWorkspace.open(project, { globalDir })).rejects.toMatchObject({
      code: 'WRONG_STORE',
      details: { reason: 'cleo-legacy' },
      message: expect.stringContaining('CleoWorkspace.importFromCleo(projectDir)'),
    })
  })

  it('global stores: CLEO\'s in another directory merge into existing cleo-store stores, rows present skipped; CLEO\'s files stay', async () => {
    const root = tempDir()
    const project = join(root, 'app')
    const cleoGlobal = join(root, 'cleo-home')
    const globalDir = join(root, 'store-home')
    buildCleoInstallation(project, cleoGlobal)
    // Another project opened first: cleo-store's global stores exist, with its registration.
    mkdirSync(join(root, 'other'))
    const other = await CleoWorkspace.open(join(root, 'other'), { globalDir })
    await other.close()
    const cleoBefore = snapshot(cleoGlobal)
    const report = await CleoWorkspace.importFromCleo(project, { globalDir, cleoGlobalDir: cleoGlobal })
    expect(report.stores.map((s) => [s.store, s.mode])).toEqual([
      ['tasks', 'replace'],
      ['brain', 'replace'],
      ['conduit', 'replace'],
      ['nexus', 'merge'],
      ['signaldock', 'merge'],
    ])
    expect(table(report, 'nexus', 'project_registry')).toMatchObject({ read: 1, imported: 1, skipped: 0 })
    expect(table(report, 'signaldock', 'agents')).toMatchObject({ read: 2, imported: 2, skipped: 0 })
    expect(snapshot(cleoGlobal)).toEqual(cleoBefore)
    expect(report.movedAside.every((m) => m.from.startsWith(join(project, '.cleo')))).toBe(true)
    const ws = await CleoWorkspace.open(project, { globalDir })
    try {
      // The project keeps the id CLEO registered it under.
      expect(ws.projectId).toBe('11111111-2222-4333-8444-555555555555')
      expect((await ws.signaldock.agents.get('cleo-prime'))?.requiresReauth).toBe(true)
      expect((await ws.nexus.projects.list()).map((p) => p.path).sort()).toEqual([join(root, 'app'), join(root, 'other')].sort())
    } finally {
      await ws.close()
    }
    // Again: the project stores are cleo-store's now; CLEO's global rows are all present already.
    const again = await CleoWorkspace.importFromCleo(project, { globalDir, cleoGlobalDir: cleoGlobal })
    expect(again.stores.map((s) => s.store)).toEqual(['nexus', 'signaldock'])
    for (const store of again.stores) for (const t of store.tables) expect(t.imported, `${store.store}.${t.source}`).toBe(0)
  })

  it('a second import while one runs is CONFLICT before it touches anything; a dead holder\'s lock is taken over', async () => {
    const { root, project, globalDir } = setup()
    const lock = join(project, '.cleo', '.cleo-import.lock')
    // This process stands for the running import (alive by construction).
    writeFileSync(lock, String(process.pid))
    const before = snapshot(root)
    await expect(CleoWorkspace.importFromCleo(project, { globalDir })).rejects.toMatchObject({ code: 'CONFLICT', details: { holder: String(process.pid) } })
    expect(snapshot(root)).toEqual(before)
    // A holder that exited: a child process that has ended by the time we read its pid.
    const dead = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' })
    writeFileSync(lock, dead.stdout)
    const report = await CleoWorkspace.importFromCleo(project, { globalDir })
    expect(report.stores).toHaveLength(5)
    expect(existsSync(lock)).toBe(false)
  })

  it('options are strict and a missing project is NOT_FOUND', async () => {
    const { project, globalDir } = setup()
    await expect(CleoWorkspace.importFromCleo(project, { globalDir, dryrun: true } as never)).rejects.toMatchObject({ code: 'VALIDATION' })
    await expect(CleoWorkspace.importFromCleo(join(project, 'nope'), { globalDir })).rejects.toMatchObject({ code: 'NOT_FOUND' })
  })
})
