import { cpSync, mkdirSync, renameSync, rmSync } from 'node:fs'
import { join } from 'node:path'

import { describe, expect, it } from 'vitest'

import { CleoWorkspace, NexusRepository, PROJECT_ID_META_KEY, resolveProjectPath } from '../../src/index.js'
import { runFixture, startGate, tempDir } from '../helpers.js'

async function projectIdIn(ws: CleoWorkspace): Promise<string | undefined> {
  const row = await ws.tasks.kysely.selectFrom('schema_meta').select('value').where('key', '=', PROJECT_ID_META_KEY).executeTakeFirst()
  return row?.value
}

describe('CleoWorkspace.open registers the project in nexus', () => {
  it('is idempotent: one row, one id (kept in tasks.db), registered once, seen again', async () => {
    const project = tempDir()
    const globalDir = join(tempDir(), 'global')
    const first = await CleoWorkspace.open(project, { globalDir })
    const id = first.projectId
    expect(await projectIdIn(first)).toBe(id)
    const row = await first.nexus.projects.get(id)
    expect(row).toMatchObject({ path: resolveProjectPath(project), health: 'unknown' })
    await first.close()
    for (let i = 0; i < 3; i++) {
      const again = await CleoWorkspace.open(project, { globalDir })
      expect(again.projectId).toBe(id)
      expect(await again.nexus.projects.count()).toBe(1)
      expect((await again.nexus.projects.get(id)).registeredAt).toBe(row.registeredAt)
      await again.close()
    }
    const nexus = await NexusRepository.open(join(globalDir, 'nexus.db'))
    expect((await nexus.audit.list()).items.map((a) => a.action)).toEqual(['project.registered'])
    await nexus.close()
  })

  it('survives a moved project by id', async () => {
    const root = tempDir()
    const globalDir = join(tempDir(), 'global')
    const before = join(root, 'app')
    mkdirSync(before)
    const ws = await CleoWorkspace.open(before, { globalDir })
    const id = ws.projectId
    await ws.close()
    const after = join(root, 'renamed-app')
    renameSync(before, after)
    const moved = await CleoWorkspace.open(after, { globalDir })
    expect(moved.projectId).toBe(id)
    const projects = await moved.nexus.projects.list()
    expect(projects).toHaveLength(1)
    expect(projects[0]).toMatchObject({ id, name: 'app', path: resolveProjectPath(after) })
    expect((await moved.nexus.audit.list({ action: 'project.moved' })).items[0]?.details).toMatchObject({ to: resolveProjectPath(after) })
    expect((await moved.check()).ok).toBe(true)
    await moved.close()
  })

  it('gives a copied project its own id, leaving the original alone', async () => {
    const root = tempDir()
    const globalDir = join(tempDir(), 'global')
    const original = join(root, 'app')
    mkdirSync(original)
    const ws = await CleoWorkspace.open(original, { globalDir })
    const id = ws.projectId
    await ws.close()
    const copy = join(root, 'app-copy')
    cpSync(original, copy, { recursive: true })
    const copied = await CleoWorkspace.open(copy, { globalDir })
    expect(copied.projectId).not.toBe(id)
    expect(await projectIdIn(copied)).toBe(copied.projectId)
    expect((await copied.nexus.projects.get(id)).path).toBe(resolveProjectPath(original))
    expect((await copied.nexus.projects.list()).map((p) => p.path).sort()).toEqual([original, copy].map(resolveProjectPath).sort())
    await copied.close()
    const again = await CleoWorkspace.open(original, { globalDir })
    expect(again.projectId).toBe(id)
    expect(await again.nexus.projects.count()).toBe(2)
    await again.close()
  })

  it('reuses the registered id when tasks.db was recreated at the same path', async () => {
    const project = tempDir()
    const globalDir = join(tempDir(), 'global')
    const ws = await CleoWorkspace.open(project, { globalDir })
    const id = ws.projectId
    await ws.close()
    rmSync(join(project, '.cleo'), { recursive: true })
    const fresh = await CleoWorkspace.open(project, { globalDir })
    expect(fresh.projectId).toBe(id)
    expect(await fresh.nexus.projects.count()).toBe(1)
    await fresh.close()
  })

  it('registers in-memory workspaces in their in-memory nexus', async () => {
    const project = tempDir()
    await using ws = await CleoWorkspace.open(project, { inMemory: true })
    expect(ws.nexus.path).toBe(':memory:')
    expect(await ws.nexus.projects.get(ws.projectId)).toMatchObject({ path: resolveProjectPath(project) })
    expect(await projectIdIn(ws)).toBe(ws.projectId)
  })

  it('gives concurrent first opens from several processes one id and one row', async () => {
    const project = tempDir()
    const globalDir = join(tempDir(), 'global')
    const gate = startGate(3)
    const results = await Promise.all(
      [0, 1, 2].map(() => runFixture('open-workspace.ts', [project, globalDir, gate]).then((r) => JSON.parse(r.stdout))),
    )
    expect(results.every((r) => r.ok)).toBe(true)
    const ws = await CleoWorkspace.open(project, { globalDir })
    expect(await ws.nexus.projects.count()).toBe(1)
    expect((await ws.nexus.projects.list())[0]?.id).toBe(ws.projectId)
    await ws.close()
  })
})
