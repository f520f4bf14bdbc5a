/**
 * nexus keeps CLEO's registry columns (issue 16 item 9): `tasks_db_path`,
 * `brain_db_path`, `last_indexed`, `last_sync`, filled by the workspace at
 * open/registration; nexus audit rows keep `gateway`.
 */
import { realpathSync } from 'node:fs'
import { join } from 'node:path'

import { describe, expect, it } from 'vitest'

import { CleoWorkspace } from '../../src/index.js'
import { manualClock } from '../../src/sqlite/clock.js'
import { expectCode, tempDir } from '../helpers.js'
import { NEXUS_ENGINES, openNexus } from './open-nexus.js'

const T0 = Date.UTC(2026, 0, 1)

describe('nexus registry columns', () => {
  it('a workspace fills tasks_db_path, brain_db_path, last_indexed and last_sync at open, and refreshes them', async () => {
    const project = realpathSync(tempDir())
    const globalDir = join(tempDir(), 'global')
    const clock = manualClock(T0)
    const ws = await CleoWorkspace.open(project, { globalDir, clock })
    const row = await ws.nexus.projects.get(ws.projectId)
    expect(row).toMatchObject({
      tasksDbPath: join(project, '.cleo', 'tasks.db'),
      brainDbPath: join(project, '.cleo', 'brain.db'),
      lastIndexed: new Date(T0).toISOString(),
      lastSync: new Date(T0).toISOString(),
      taskCount: 0,
    })
    await ws.tasks.create({ title: 'one' })
    await ws.close()

    clock.advance(10 * 60_000)
    const again = await CleoWorkspace.open(project, { globalDir, clock })
    expect(await again.nexus.projects.get(again.projectId)).toMatchObject({
      taskCount: 1,
      lastIndexed: new Date(T0 + 10 * 60_000).toISOString(),
      lastSync: new Date(T0 + 10 * 60_000).toISOString(),
    })
    const raw = await again.nexus.kysely
      .selectFrom('project_registry')
      .select(['tasks_db_path', 'brain_db_path', 'last_indexed', 'last_sync'])
      .executeTakeFirstOrThrow()
    expect(raw).toEqual({
      tasks_db_path: join(project, '.cleo', 'tasks.db'),
      brain_db_path: join(project, '.cleo', 'brain.db'),
      last_indexed: T0 + 10 * 60_000,
      last_sync: T0 + 10 * 60_000,
    })
    await again.close()
  })

  it('an in-memory workspace records no database paths', async () => {
    await using ws = await CleoWorkspace.open(tempDir(), { inMemory: true })
    expect(await ws.nexus.projects.get(ws.projectId)).toMatchObject({ tasksDbPath: null, brainDbPath: null })
    expect((await ws.nexus.projects.get(ws.projectId)).lastSync).not.toBeNull()
  })
})

describe.each(NEXUS_ENGINES)('nexus registry columns, on the repository (%s)', (engine) => {
  it('register takes the columns directly (time as Date, epoch ms or ISO) and validates them', async () => {
    const nexus = await openNexus(engine)
    const { project } = await nexus.projects.register({
      projectId: 'p1',
      path: '/nowhere/p1',
      tasksDbPath: '/nowhere/p1/.cleo/tasks.db',
      lastIndexed: new Date(T0),
      lastSync: '2026-01-02T00:00:00Z',
    })
    expect(project).toMatchObject({ tasksDbPath: '/nowhere/p1/.cleo/tasks.db', brainDbPath: null, lastIndexed: '2026-01-01T00:00:00.000Z', lastSync: '2026-01-02T00:00:00.000Z' })
    await expectCode(nexus.projects.register({ projectId: 'p2', path: '/nowhere/p2', lastSync: 'yesterday' }), 'VALIDATION')
    await expectCode(nexus.projects.register({ projectId: 'p2', path: '/nowhere/p2', tasksDbPath: '' }), 'VALIDATION')
  })

  it('nexus audit rows keep gateway', async () => {
    const nexus = await openNexus(engine)
    const entry = await nexus.audit.append({ action: 'route.sent', source: 'harness', gateway: 'mcp', domain: 'nexus', operation: 'route' })
    expect(entry).toMatchObject({ source: 'harness', gateway: 'mcp' })
    expect((await nexus.audit.list({ action: 'route.sent' })).items[0]).toMatchObject({ gateway: 'mcp' })
    expect((await nexus.audit.append({ action: 'x' })).gateway).toBeNull()
  })
})
