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
