/**
 * Brain maintenance reconciles orphaned references when it can see tasks (issue 16
 * item 8): through a workspace, `ws.brain.maintain()` removes links to tasks
 * tasks.db no longer has and nulls decision contexts and observation sessions, in
 * its own transaction, and reports what it changed (`dryRun` reports only).
 */
import { DatabaseSync } from 'node:sqlite'
import { join } from 'node:path'

import { describe, expect, it } from 'vitest'

import { BrainRepository, CleoWorkspace } from '../../src/index.js'
import { tempDir } from '../helpers.js'

describe('brain maintenance reconciles orphaned references', () => {
  it('through a workspace: reports, then fixes exactly the orphans', async () => {
    await using ws = await CleoWorkspace.open(tempDir(), { globalDir: join(tempDir(), 'global') })
    const kept = await ws.tasks.create({ title: 'kept' })
    const doomed = await ws.tasks.create({ title: 'doomed' })
    const session = await ws.tasks.sessions.start({ name: 'work' } as never)
    const { memory: learning } = await ws.brain.record({ kind: 'learning', insight: 'orphans get reconciled', source: 's', confidence: 0.5 })
    await ws.brain.links.add({ memoryId: learning.id, taskId: kept.id, linkType: 'applies_to' })
    await ws.brain.links.add({ memoryId: learning.id, taskId: doomed.id, linkType: 'applies_to' })
    const { memory: decision } = await ws.brain.record({
      kind: 'decision',
      type: 'technical',
      decision: 'keep the parser',
      rationale: 'it works',
      confidence: 'high',
      contextTaskId: doomed.id,
      contextEpicId: kept.id,
    })
    const { memory: observation } = await ws.brain.record({ kind: 'observation', title: 'seen', sourceSessionId: session.id } as never)
    // Another tool removes the task and the session from tasks.db.
    const tasksFile = new DatabaseSync(join(ws.projectDir, '.cleo', 'tasks.db'))
    tasksFile.prepare('DELETE FROM tasks WHERE id = ?').run(doomed.id)
    tasksFile.prepare('UPDATE tasks SET session_id = NULL').run()
    tasksFile.prepare('DELETE FROM sessions WHERE id = ?').run(session.id)
    tasksFile.close()

    const preview = await ws.brain.maintain({ dryRun: true })
    expect(preview.orphanedRefs).toEqual({ decisionsFixed: 1, observationsFixed: 1, linksRemoved: 1 })
    expect((await ws.brain.links.forMemory(learning.id)).map((l) => l.taskId).sort()).toEqual([doomed.id, kept.id].sort())

    const report = await ws.brain.maintain()
    expect(report.orphanedRefs).toEqual({ decisionsFixed: 1, observationsFixed: 1, linksRemoved: 1 })
    expect((await ws.brain.links.forMemory(learning.id)).map((l) => l.taskId)).toEqual([kept.id])
    expect(await ws.brain.get(decision.id)).toMatchObject({ contextTaskId: null, contextEpicId: kept.id })
    expect(await ws.brain.get(observation.id)).toMatchObject({ sourceSessionId: null })
    expect((await ws.brain.maintain()).orphanedRefs).toEqual({ decisionsFixed: 0, observationsFixed: 0, linksRemoved: 0 })
    expect((await ws.check()).findings.filter((f) => f.check.startsWith('refs.brain'))).toEqual([])
  })

  it('a brain opened on its own cannot see tasks: orphanedRefs is null and its links stay', async () => {
    await using brain = await BrainRepository.open(':memory:')
    const { memory } = await brain.record({ kind: 'learning', insight: 'alone', source: 's', confidence: 0.5 })
    await brain.links.add({ memoryId: memory.id, taskId: 'T42', linkType: 'applies_to' })
    expect((await brain.maintain()).orphanedRefs).toBeNull()
    expect(await brain.links.forMemory(memory.id)).toHaveLength(1)
  })
})
