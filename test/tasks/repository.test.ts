/**
 * The repository as a whole: the aggregates it exposes, persistence across
 * reopening, its place in a workspace, and the closed state.
 */
import { mkdirSync } from 'node:fs'
import { join } from 'node:path'

import { describe, expect, it } from 'vitest'

import { CleoWorkspace } from '../../src/workspace/workspace.js'
import { TaskDependencies, TaskSessions, TasksRepository } from '../../src/tasks/index.js'
import { expectCode, tempDir } from '../helpers.js'
import { POSTGRES_URL } from '../postgres/pg-test-schemas.js'
import { openTasks, TASKS_ENGINES } from './open-tasks.js'

describe('TasksRepository', () => {
  it('exposes one property per aggregate', async () => {
    const tasks = await TasksRepository.open(':memory:')
    try {
      for (const name of ['dependencies', 'relations', 'claims', 'sessions', 'lifecycle', 'manifests', 'releases', 'adrs', 'audit', 'tokens', 'externalLinks', 'agentInstances', 'statuses'] as const) {
        expect(tasks[name], name).toBeTypeOf('object')
      }
      expect(tasks.dependencies).toBeInstanceOf(TaskDependencies)
      expect(tasks.sessions).toBeInstanceOf(TaskSessions)
    } finally {
      await tasks.close()
    }
  })

  it('persists across reopening a file, and refuses use after close', async () => {
    const dir = join(tempDir(), '.cleo')
    mkdirSync(dir)
    const file = join(dir, 'tasks.db')
    const first = await TasksRepository.open(file, { actor: 'first' })
    const epic = await first.create({ title: 'epic', type: 'epic' })
    await first.create({ title: 'task', parentId: epic.id })
    await first.close()
    await expectCode(first.get(epic.id), 'CLOSED')
    const second = await TasksRepository.open(file)
    try {
      expect((await second.descendants(epic.id)).map((t) => t.title)).toEqual(['task'])
      expect((await second.get(epic.id)).createdBy).toBe('first')
      expect((await second.integrityCheck()).ok).toBe(true)
    } finally {
      await second.close()
    }
  })

  it('validates its options', async () => {
    await expectCode(TasksRepository.open(':memory:', { actor: '' }), 'VALIDATION')
    await expectCode(TasksRepository.open(':memory:', { maxDepth: 1.5 }), 'VALIDATION')
  })

  it('is the workspace’s tasks store', async () => {
    const ws = await CleoWorkspace.open(tempDir(), { inMemory: true })
    try {
      const task = await ws.tasks.create({ title: 'from the workspace' })
      expect((await ws.tasks.dependencies.ready()).items.map((t) => t.id)).toEqual([task.id])
    } finally {
      await ws.close()
    }
  })
})

describe.each(TASKS_ENGINES)('TasksRepository on %s', (engine) => {
  it('says its dialect, and keeps its settings (actor, maxDepth) on either engine', async () => {
    const { tasks } = await openTasks({ actor: 'planner', maxDepth: 2 }, engine)
    expect(tasks.dialect).toBe(engine)
    const task = await tasks.create({ title: 'root' })
    expect(task.createdBy).toBe('planner')
    const child = await tasks.create({ title: 'child', parentId: task.id })
    await expectCode(tasks.create({ title: 'too deep', parentId: child.id }), 'INVARIANT')
  })
})

describe('TasksRepository.openPostgres options', () => {
  it('refuses unknown options, SQLite-only options and bad settings with VALIDATION, before connecting', async () => {
    // An unreachable target: VALIDATION must come first.
    const target = 'postgres://nobody@127.0.0.1:1/x'
    await expectCode(TasksRepository.openPostgres(target, { nope: 1 } as never), 'VALIDATION')
    await expectCode(TasksRepository.openPostgres(target, { synchronous: 'FULL' } as never), 'VALIDATION')
    await expectCode(TasksRepository.openPostgres(target, { maxDepth: 0 }), 'VALIDATION')
    await expectCode(TasksRepository.openPostgres(target, { actor: '' }), 'VALIDATION')
    await expectCode(TasksRepository.openPostgres(target, { enforceClaims: 'yes' } as never), 'VALIDATION')
  })

  it.skipIf(POSTGRES_URL === null)('a repository on a server has no SQLite file to reach', async () => {
    const { tasks } = await openTasks({}, 'postgres')
    expect(tasks.path).toMatch(/^postgres:\/\//)
  })
})
