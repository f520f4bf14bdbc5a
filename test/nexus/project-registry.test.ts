import { mkdirSync, renameSync, symlinkSync } from 'node:fs'
import { join } from 'node:path'

import { sql } from 'kysely'
import { describe, expect, it } from 'vitest'

import { manualClock, projectPathHash, resolveProjectPath } from '../../src/index.js'
import { expectCode, tempDir } from '../helpers.js'
import type { NexusEngineName } from './open-nexus.js'
import { execSql, NEXUS_ENGINES, openNexus, T0 } from './open-nexus.js'

async function openOn(engine: NexusEngineName) {
  const clock = manualClock(T0)
  return { nexus: await openNexus(engine, { clock }), clock }
}

describe.each(NEXUS_ENGINES)('nexus.projects.register (%s)', (engine) => {
  const open = () => openOn(engine)

  it('registers once and refreshes afterwards (idempotent), auditing only the first registration', async () => {
    const { nexus, clock } = await open()
    const dir = tempDir()
    const first = await nexus.projects.register({ projectId: 'p1', path: dir })
    expect(first.outcome).toBe('registered')
    expect(first.project).toMatchObject({ id: 'p1', path: resolveProjectPath(dir), health: 'unknown', permissions: 'read' })
    expect(first.project.hash).toBe(projectPathHash(resolveProjectPath(dir)))
    expect(first.project.hash).toMatch(/^[0-9a-f]{64}$/)
    clock.advance(60_000)
    const again = await nexus.projects.register({ projectId: 'p1', path: dir })
    expect(again.outcome).toBe('refreshed')
    expect(again.project.registeredAt).toBe(first.project.registeredAt)
    expect(Date.parse(again.project.lastSeenAt) - Date.parse(first.project.lastSeenAt)).toBe(60_000)
    expect(await nexus.projects.count()).toBe(1)
    const audit = await nexus.audit.list({ projectId: 'p1' })
    expect(audit.items.map((a) => a.action)).toEqual(['project.registered'])
    await nexus.close()
  })

  it('writes nothing for a refresh within a minute of the last one', async () => {
    const { nexus, clock } = await open()
    const dir = tempDir()
    const first = await nexus.projects.register({ projectId: 'p1', path: dir })
    clock.advance(59_000)
    const soon = await nexus.projects.register({ projectId: 'p1', path: dir })
    expect(soon.outcome).toBe('refreshed')
    expect(soon.project.lastSeenAt).toBe(first.project.lastSeenAt)
    // …unless something else changed.
    const renamed = await nexus.projects.register({ projectId: 'p1', path: dir, taskCount: 3 })
    expect(renamed.project).toMatchObject({ taskCount: 3, lastSeenAt: new Date(clock()).toISOString() })
    await nexus.close()
  })

  it('follows a project that moved: same id, new path and hash, one row, audited', async () => {
    const { nexus } = await open()
    const root = tempDir()
    const before = join(root, 'before')
    mkdirSync(before)
    const { project } = await nexus.projects.register({ projectId: 'p1', path: before, name: 'app' })
    const after = join(root, 'after')
    renameSync(before, after)
    const moved = await nexus.projects.register({ projectId: 'p1', path: after })
    expect(moved.outcome).toBe('moved')
    expect(moved.previousPath).toBe(project.path)
    expect(moved.project).toMatchObject({ id: 'p1', name: 'app', path: resolveProjectPath(after) })
    expect(moved.project.hash).not.toBe(project.hash)
    expect(await nexus.projects.findByPath(after)).toMatchObject({ id: 'p1' })
    expect(await nexus.projects.findByHash(project.hash)).toBeNull()
    expect(await nexus.projects.count()).toBe(1)
    const { items: [entry] } = await nexus.audit.list({ action: 'project.moved' })
    expect(entry?.details).toEqual({ from: project.path, to: resolveProjectPath(after) })
    await nexus.close()
  })

  it('gives a path to one project only: a new id at a registered path evicts the old row', async () => {
    const { nexus } = await open()
    const dir = tempDir()
    await nexus.projects.register({ projectId: 'old', path: dir })
    const result = await nexus.projects.register({ projectId: 'new', path: dir })
    expect(result.outcome).toBe('registered')
    expect(result.evicted).toEqual(['old'])
    expect((await nexus.projects.list()).map((p) => p.id)).toEqual(['new'])
    expect((await nexus.audit.list({ action: 'project.evicted' })).items[0]?.projectId).toBe('old')
    await nexus.close()
  })

  it('resolves symlinks: two spellings of one directory are one project', async () => {
    const { nexus } = await open()
    const real = tempDir()
    const link = join(tempDir(), 'link')
    symlinkSync(real, link)
    await nexus.projects.register({ projectId: 'p1', path: link })
    expect((await nexus.projects.findByPath(real))?.id).toBe('p1')
    expect((await nexus.projects.register({ projectId: 'p1', path: real })).outcome).toBe('refreshed')
    await nexus.close()
  })

  it('lets names repeat and finds them, most recently seen first', async () => {
    const { nexus, clock } = await open()
    await nexus.projects.register({ projectId: 'a', path: tempDir(), name: 'app' })
    clock.advance(1000)
    await nexus.projects.register({ projectId: 'b', path: tempDir(), name: 'app' })
    await nexus.projects.register({ projectId: 'c', path: tempDir(), name: 'lib' })
    expect((await nexus.projects.findByName('app')).map((p) => p.id)).toEqual(['b', 'a'])
    expect(await nexus.projects.findByName('none')).toEqual([])
    await nexus.close()
  })

  it('refuses bad input before writing', async () => {
    const { nexus } = await open()
    const error = await expectCode(nexus.projects.register({ projectId: '', path: tempDir() }), 'VALIDATION')
    expect(error.details?.['path']).toEqual(['projectId'])
    await expectCode(nexus.projects.register({ projectId: 'x', path: tempDir(), extra: 1 } as never), 'VALIDATION')
    await expectCode(nexus.projects.register({ projectId: 'x y', path: tempDir() }), 'VALIDATION')
    expect(await nexus.projects.count()).toBe(0)
    await nexus.close()
  })
})

describe.each(NEXUS_ENGINES)('nexus.projects queries and updates (%s)', (engine) => {
  const open = () => openOn(engine)

  it('lists by name or last seen, filters by health, pages', async () => {
    const { nexus, clock } = await open()
    for (const [id, name] of [
      ['1', 'charlie'],
      ['2', 'alpha'],
      ['3', 'bravo'],
    ] as const) {
      clock.advance(1000)
      await nexus.projects.register({ projectId: id, path: tempDir(), name })
    }
    expect((await nexus.projects.list()).map((p) => p.name)).toEqual(['alpha', 'bravo', 'charlie'])
    expect((await nexus.projects.list({ orderBy: 'lastSeen' })).map((p) => p.id)).toEqual(['3', '2', '1'])
    expect((await nexus.projects.list({ limit: 1, offset: 1 })).map((p) => p.name)).toEqual(['bravo'])
    await nexus.projects.updateHealth('2', { status: 'degraded', reason: 'brain.db quick_check failed' })
    const degraded = await nexus.projects.list({ health: 'degraded' })
    expect(degraded.map((p) => p.id)).toEqual(['2'])
    expect(degraded[0]).toMatchObject({ healthReason: 'brain.db quick_check failed' })
    expect(degraded[0]?.healthCheckedAt).toBe(new Date(clock()).toISOString())
    await expectCode(nexus.projects.list({ health: 'sick' as never }), 'VALIDATION')
    await nexus.close()
  })

  it('orders by name byte-wise on either engine, whatever the server collation (upper case first, accents last)', async () => {
    const { nexus } = await open()
    const names = ['beta', 'Beta', 'alpha', '_tools', 'Zeta', 'äpfel', 'app 2', 'app10']
    for (const [i, name] of names.entries()) await nexus.projects.register({ projectId: `p${i}`, path: `/nowhere/${i}`, name })
    const byteOrder = [...names].sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b)))
    expect(byteOrder).toEqual(['Beta', 'Zeta', '_tools', 'alpha', 'app 2', 'app10', 'beta', 'äpfel'])
    expect((await nexus.projects.list()).map((p) => p.name)).toEqual(byteOrder)
    expect((await nexus.projects.list({ limit: 3, offset: 3 })).map((p) => p.name)).toEqual(byteOrder.slice(3, 6))
    expect(await nexus.projects.allPaths()).toEqual(names.map((_, i) => `/nowhere/${i}`).sort())
  })

  it('updates permissions, labels and counts, and refuses unknown ids', async () => {
    const { nexus } = await open()
    await nexus.projects.register({ projectId: 'p', path: tempDir(), labels: ['x'] })
    const updated = await nexus.projects.update('p', { permissions: 'write', labels: ['a', 'b'], taskCount: 7, stats: { memories: 3 } })
    expect(updated).toMatchObject({ permissions: 'write', labels: ['a', 'b'], taskCount: 7, stats: { memories: 3 } })
    expect(await nexus.projects.get('p')).toEqual(updated)
    await expectCode(nexus.projects.update('p', { permissions: 'admin' as never }), 'VALIDATION')
    await expectCode(nexus.projects.update('p', { taskCount: -1 }), 'VALIDATION')
    await expectCode(nexus.projects.update('nope', { name: 'x' }), 'NOT_FOUND')
    await expectCode(nexus.projects.updateHealth('nope', { status: 'healthy' }), 'NOT_FOUND')
    await expectCode(nexus.projects.get('nope'), 'NOT_FOUND')
    await nexus.close()
  })

  it('marks an unreachable project reachable again when it is registered (seen) again', async () => {
    const { nexus } = await open()
    const dir = tempDir()
    await nexus.projects.register({ projectId: 'p', path: dir })
    await nexus.projects.updateHealth('p', { status: 'unreachable', reason: 'gone' })
    const { project } = await nexus.projects.register({ projectId: 'p', path: dir })
    expect(project).toMatchObject({ health: 'unknown', healthReason: null })
    await nexus.close()
  })

  it('removes a project and audits it', async () => {
    const { nexus } = await open()
    await nexus.projects.register({ projectId: 'p', path: tempDir() })
    expect(await nexus.projects.remove('p')).toBe(true)
    expect(await nexus.projects.remove('p')).toBe(false)
    expect(await nexus.projects.count()).toBe(0)
    expect((await nexus.audit.list()).items.map((a) => a.action)).toEqual(['project.removed', 'project.registered'])
    await nexus.close()
  })

  it('enforces the enums, the hash shape and unique paths in SQL too', async () => {
    const { nexus } = await open()
    const { project } = await nexus.projects.register({ projectId: 'p', path: tempDir() })
    const k = nexus.kysely
    await expectCode(k.updateTable('project_registry').set({ health_status: 'sick' as never }).execute(), 'INVARIANT')
    await expectCode(k.updateTable('project_registry').set({ permissions: 'root' as never }).execute(), 'INVARIANT')
    await expectCode(k.updateTable('project_registry').set({ project_hash: 'XYZ' }).execute(), 'INVARIANT')
    await expectCode(k.updateTable('project_registry').set({ labels_json: '{}' }).execute(), 'INVARIANT')
    await expectCode(
      execSql(
        nexus,
        sql`INSERT INTO project_registry (project_id, project_hash, project_path, name, registered_at, last_seen_at, updated_at)
          VALUES ('q', ${'0'.repeat(64)}, ${project.path}, 'dup', 0, 0, 0)`,
      ),
      'CONFLICT',
    )
    await nexus.close()
  })
})
