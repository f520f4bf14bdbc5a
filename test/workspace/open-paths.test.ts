import { existsSync, readdirSync } from 'node:fs'
import { join } from 'node:path'

import { describe, expect, it } from 'vitest'

import { CleoWorkspace, TasksRepository } from '../../src/index.js'
import { tempDir } from '../helpers.js'

describe('where opening may create files (docs/workspace.md, "What opening creates")', () => {
  it('a repository opened on its own does not create missing directories: NOT_FOUND naming the directory, nothing created', async () => {
    const root = tempDir()
    const missing = join(root, 'nope', 'nope')
    const file = join(missing, 'tasks.db')
    const error = await TasksRepository.open(file).then(
      () => null,
      (caught: unknown) => caught,
    )
    expect(error).toMatchObject({ code: 'NOT_FOUND' })
    expect((error as Error).message).toContain(missing)
    expect(existsSync(join(root, 'nope'))).toBe(false)
  })

  it('a repository opens a new file in an existing directory', async () => {
    const dir = tempDir()
    const tasks = await TasksRepository.open(join(dir, 'tasks.db'))
    await tasks.close()
    expect(existsSync(join(dir, 'tasks.db'))).toBe(true)
  })

  it('an in-memory workspace does not require its project directory to exist, and creates nothing', async () => {
    const root = tempDir()
    const project = join(root, 'not-yet', 'app')
    const ws = await CleoWorkspace.open(project, { inMemory: true })
    try {
      expect(ws.projectDir).toBe(project)
      const task = await ws.tasks.create({ title: 'in memory' })
      expect((await ws.tasks.get(task.id)).title).toBe('in memory')
      expect((await ws.nexus.projects.get(ws.projectId)).path).toBe(project)
    } finally {
      await ws.close()
    }
    expect(readdirSync(root)).toEqual([])
  })

  it('an on-disk workspace still requires an existing project directory (NOT_FOUND)', async () => {
    const root = tempDir()
    await expect(CleoWorkspace.open(join(root, 'missing'), { globalDir: join(root, 'global') })).rejects.toMatchObject({ code: 'NOT_FOUND' })
    expect(readdirSync(root)).toEqual([])
  })
})
