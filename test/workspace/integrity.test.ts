import { mkdirSync, rmSync } from 'node:fs'
import { join } from 'node:path'
import { DatabaseSync } from 'node:sqlite'

import { describe, expect, it } from 'vitest'

import type { WorkspaceCheck, WorkspaceFinding } from '../../src/index.js'
import { CleoWorkspace, PROJECT_ID_META_KEY, projectPathHash, WORKSPACE_CHECKS } from '../../src/index.js'
import { expectCode, tempDir } from '../helpers.js'

async function openWorkspace() {
  const project = tempDir()
  const globalDir = join(tempDir(), 'global')
  return { project, globalDir, ws: await CleoWorkspace.open(project, { globalDir }) }
}

/** Writes through a second connection with foreign keys off, as a buggy tool would. */
function rawWrite(file: string, fn: (db: DatabaseSync) => void): void {
  const db = new DatabaseSync(file, { enableForeignKeyConstraints: false, timeout: 5000, defensive: false })
  try {
    fn(db)
  } finally {
    db.close()
  }
}

describe('ws.check() and ws.repair()', () => {
  it('finds nothing in a clean workspace, and repair says there is nothing to repair', async () => {
    const { ws } = await openWorkspace()
    const report = await ws.check()
    expect(report).toMatchObject({ ok: true, mode: 'quick', findings: [] })
    expect(report.checks).toEqual(WORKSPACE_CHECKS.map((c) => c.name))
    expect(Object.keys(report.stores).sort()).toEqual(['brain', 'conduit', 'nexus', 'signaldock', 'tasks'])
    expect(Object.values(report.stores).every((s) => s?.ok)).toBe(true)
    expect((await ws.check({ full: true })).mode).toBe('full')
    const repair = await ws.repair()
    expect(repair).toMatchObject({ summary: 'nothing to repair', actions: [], remaining: [] })
    await ws.close()
  })

  it('reports a seeded dangling foreign key per store, and leaves it (not safe to repair)', async () => {
    const { ws, globalDir } = await openWorkspace()
    rawWrite(join(globalDir, 'nexus.db'), (db) => {
      db.prepare(
        `INSERT INTO warp_chain_instances (id, chain_id, current_stage, created_at, updated_at)
         VALUES ('01900000-0000-7000-8000-000000000001', '01900000-0000-7000-8000-00000000dead', 'plan', 0, 0)`,
      ).run()
    })
    const report = await ws.check()
    expect(report.ok).toBe(false)
    expect(report.stores.nexus?.ok).toBe(false)
    expect(report.stores.tasks?.ok).toBe(true)
    const [finding] = report.findings
    expect(finding).toMatchObject({ check: 'sqlite.integrity', store: 'nexus', code: 'foreign-key', severity: 'error', repairable: false })
    expect(finding?.message).toContain('warp_chain_instances → warp_chains')
    const repair = await ws.repair()
    expect(repair.actions).toEqual([])
    expect(repair.summary).toMatch(/nothing repairable: 1 finding/)
    expect(repair.remaining).toHaveLength(1)
    await ws.close()
  })

  it('finds a seeded broken index in a full check and rebuilds it (REINDEX)', async () => {
    const { ws, project, globalDir } = await openWorkspace()
    await ws.close()
    const file = join(globalDir, 'nexus.db')
    // Make the index skip new rows for a while, add a row, then put the definition back:
    // the index now misses that row — what a torn write or a buggy tool leaves behind.
    const original = 'CREATE INDEX project_registry_name ON project_registry (name)'
    const setIndexSql = (text: string) =>
      rawWrite(file, (db) => {
        db.exec('PRAGMA writable_schema = ON')
        db.prepare("UPDATE sqlite_schema SET sql = ? WHERE name = 'project_registry_name'").run(text)
        db.exec('PRAGMA writable_schema = OFF')
      })
    setIndexSql(`${original} WHERE 0`)
    const elsewhere = join(tempDir(), 'other')
    mkdirSync(elsewhere)
    rawWrite(file, (db) => {
      db.prepare(
        `INSERT INTO project_registry (project_id, project_hash, project_path, name, registered_at, last_seen_at, updated_at)
         VALUES ('other', ?, ?, 'other', 0, 0, 0)`,
      ).run(projectPathHash(elsewhere), elsewhere)
    })
    setIndexSql(original)

    const reopened = await CleoWorkspace.open(project, { globalDir })
    const full = await reopened.check({ full: true })
    const finding = full.findings.find((f) => f.code === 'integrity')
    expect(finding).toMatchObject({ store: 'nexus', repairable: true })
    expect(finding?.message).toMatch(/missing from index project_registry_name/)
    const repair = await reopened.repair()
    expect(repair.actions).toEqual([expect.objectContaining({ check: 'sqlite.integrity', store: 'nexus', ok: true, action: expect.stringMatching(/REINDEX/) })])
    expect(repair.after.ok).toBe(true)
    expect(repair.remaining).toEqual([])
    expect((await reopened.nexus.projects.findByName('other')).map((p) => p.id)).toEqual(['other'])
    await reopened.close()
  })

  it('marks registered projects whose directory vanished unreachable', async () => {
    const { ws, globalDir } = await openWorkspace()
    const gone = tempDir()
    const other = await CleoWorkspace.open(gone, { globalDir })
    const goneId = other.projectId
    await other.close()
    rmSync(gone, { recursive: true })
    const report = await ws.check()
    expect(report.ok).toBe(true) // a warning, not an error
    expect(report.findings).toEqual([
      expect.objectContaining({ check: 'nexus.project-paths', code: 'project-path-missing', severity: 'warning', repairable: true }),
    ])
    const repair = await ws.repair()
    expect(repair.actions).toEqual([expect.objectContaining({ action: `marked project ${goneId} unreachable`, ok: true })])
    expect(repair.remaining).toEqual([])
    expect(await ws.nexus.projects.get(goneId)).toMatchObject({ health: 'unreachable' })
    expect(await ws.nexus.projects.count()).toBe(2) // never removed
    await ws.close()
  })

  it('re-registers a project whose registry row or stored id went missing', async () => {
    const { ws } = await openWorkspace()
    const id = ws.projectId
    await ws.nexus.projects.remove(id)
    const report = await ws.check()
    expect(report.findings.map((f) => f.code)).toEqual(['project-unregistered'])
    expect((await ws.repair()).after.findings).toEqual([])
    expect((await ws.nexus.projects.get(id)).id).toBe(id)

    await ws.tasks.kysely.deleteFrom('schema_meta').where('key', '=', PROJECT_ID_META_KEY).execute()
    expect((await ws.check()).findings.map((f) => f.code)).toEqual(['project-id-missing'])
    const repair = await ws.repair()
    expect(repair.remaining).toEqual([])
    const stored = await ws.tasks.kysely.selectFrom('schema_meta').select('value').where('key', '=', PROJECT_ID_META_KEY).executeTakeFirst()
    expect(stored?.value).toBe(id) // the registered id came back, not a new one
    await ws.close()
  })

  it('takes pluggable checks: extra checks run and repair, a failing check is reported, names are unique', async () => {
    await using ws = await CleoWorkspace.open(tempDir(), { inMemory: true })
    let stale = 3
    const ftsLike: WorkspaceCheck = {
      name: 'test.fts',
      description: 'a derived index is in step with its rows',
      async run() {
        return stale === 0
          ? []
          : [{ check: 'test.fts', store: 'brain', severity: 'warning', code: 'fts-stale', message: `${stale} rows not indexed`, repairable: true }]
      },
      async repair(_target, findings: readonly WorkspaceFinding[]) {
        const changes = stale
        stale = 0
        return findings.map((f) => ({ check: f.check, store: f.store, action: 'rebuilt the FTS index', changes, ok: true }))
      },
    }
    const broken: WorkspaceCheck = {
      name: 'test.broken',
      description: 'throws',
      async run() {
        throw new Error('boom')
      },
    }
    const report = await ws.check({ extraChecks: [ftsLike, broken] })
    expect(report.checks).toEqual([...WORKSPACE_CHECKS.map((c) => c.name), 'test.fts', 'test.broken'])
    expect(report.stores.brain?.findings.map((f) => f.code)).toEqual(['fts-stale'])
    expect(report.findings.find((f) => f.check === 'test.broken')).toMatchObject({ code: 'check-failed', severity: 'error', store: 'workspace' })
    expect(report.ok).toBe(false)
    const repair = await ws.repair({ checks: [ftsLike] })
    expect(repair.actions).toEqual([{ check: 'test.fts', store: 'brain', action: 'rebuilt the FTS index', changes: 3, ok: true }])
    expect(repair.summary).toBe('1 repair(s) done; 0 finding(s) left')
    await expectCode(ws.check({ extraChecks: [WORKSPACE_CHECKS[0]!] }), 'VALIDATION')
  })

  it('refuses to run on a closed workspace', async () => {
    const { ws } = await openWorkspace()
    await ws.close()
    await expectCode(ws.check(), 'CLOSED')
    await expectCode(ws.repair(), 'CLOSED')
    await expectCode(ws.backup(tempDir()), 'CLOSED')
  })
})
