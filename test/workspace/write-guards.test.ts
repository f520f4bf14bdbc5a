/**
 * Cross-database write guards (issue 16 item 1): through a workspace, a write that
 * names a task, a session or an agent of another database checks it there first —
 * `NOT_FOUND`, nothing written. Repositories opened on their own keep soft
 * references.
 */
import { join } from 'node:path'

import { describe, expect, it } from 'vitest'

import { BrainRepository, CleoWorkspace, ConduitRepository } from '../../src/index.js'
import { tempDir } from '../helpers.js'

const KEY = `sk_live_${'ab'.repeat(32)}`

async function brainRows(ws: CleoWorkspace): Promise<number> {
  const { items } = await ws.brain.list({ limit: 100, validOnly: false })
  return items.length
}

describe('cross-database write guards', () => {
  it('brain writes naming unknown tasks or sessions are NOT_FOUND, with nothing written', async () => {
    await using ws = await CleoWorkspace.open(tempDir(), { inMemory: true })
    const task = await ws.tasks.create({ title: 'real' })
    const session = await ws.tasks.sessions.start({ name: 'real session' } as never)
    const { memory } = await ws.brain.record({ kind: 'learning', insight: 'guards work', source: 's', confidence: 0.5 })
    const before = await brainRows(ws)

    await expect(ws.brain.links.add({ memoryId: memory.id, taskId: 'T999', linkType: 'applies_to' })).rejects.toMatchObject({
      code: 'NOT_FOUND',
      details: { reason: 'dangling-reference', kind: 'task', id: 'T999', path: ['taskId'] },
    })
    expect(await ws.brain.links.forMemory(memory.id)).toEqual([])
    await expect(
      ws.brain.record({ kind: 'decision', type: 'technical', decision: 'use X', rationale: 'r', confidence: 'high', contextTaskId: 'T999' }),
    ).rejects.toMatchObject({ code: 'NOT_FOUND', details: { kind: 'task', path: ['contextTaskId'] } })
    await expect(
      ws.brain.record({ kind: 'decision', type: 'technical', decision: 'use Y', rationale: 'r', confidence: 'high', contextEpicId: 'T998' }),
    ).rejects.toMatchObject({ code: 'NOT_FOUND', details: { kind: 'task', id: 'T998' } })
    await expect(ws.brain.record({ kind: 'observation', title: 'lost', sourceSessionId: 'S-lost' } as never)).rejects.toMatchObject({
      code: 'NOT_FOUND',
      details: { kind: 'session', id: 'S-lost', path: ['sourceSessionId'] },
    })
    await expect(
      ws.brain.recordMany([
        { kind: 'observation', title: 'fine', sourceSessionId: session.id },
        { kind: 'observation', title: 'lost', sourceSessionId: 'S-lost' },
      ] as never),
    ).rejects.toMatchObject({ code: 'NOT_FOUND', details: { path: [1, 'sourceSessionId'] } })
    const { memory: decision } = await ws.brain.record({
      kind: 'decision',
      type: 'technical',
      decision: 'use Z',
      rationale: 'r',
      confidence: 'high',
      contextTaskId: task.id,
    })
    await expect(ws.brain.update(decision.id, { kind: 'decision', contextTaskId: 'T999' })).rejects.toMatchObject({ code: 'NOT_FOUND' })
    expect(await brainRows(ws)).toBe(before + 1)
    expect((await ws.brain.get(decision.id)) as { contextTaskId: string | null }).toMatchObject({ contextTaskId: task.id })

    // What exists is accepted; clearing a reference (null) needs no check.
    await ws.brain.links.add({ memoryId: memory.id, taskId: task.id, linkType: 'applies_to' })
    await ws.brain.record({ kind: 'observation', title: 'seen', sourceSessionId: session.id } as never)
    await ws.brain.update(decision.id, { kind: 'decision', contextTaskId: null })
    expect((await ws.check()).findings.filter((f) => f.check.startsWith('refs.'))).toEqual([])
  })

  it('credential cache and project refs naming unknown agents are NOT_FOUND', async () => {
    await using ws = await CleoWorkspace.open(tempDir(), { globalDir: join(tempDir(), 'global') })
    await ws.agents.register({ agentId: 'known', name: 'Known', apiKey: KEY, attach: false })
    const sealed = (await ws.tasks.credentials.get('known'))!
    await expect(
      ws.tasks.credentials.put({ agentId: 'ghost', displayName: 'Ghost', apiKeyEncrypted: sealed.apiKeyEncrypted }),
    ).rejects.toMatchObject({ code: 'NOT_FOUND', details: { kind: 'agent', id: 'ghost' } })
    expect(await ws.tasks.credentials.get('ghost')).toBeNull()
    await expect(ws.conduit.agentRefs.attach('ghost')).rejects.toMatchObject({ code: 'NOT_FOUND', details: { kind: 'agent' } })
    expect(await ws.conduit.agentRefs.get('ghost')).toBeUndefined()
    expect((await ws.conduit.agentRefs.attach('known')).enabled).toBe(true)
  })

  it('repositories opened on their own keep soft references', async () => {
    await using brain = await BrainRepository.open(':memory:')
    const { memory } = await brain.record({ kind: 'learning', insight: 'alone', source: 's', confidence: 0.5 })
    expect((await brain.links.add({ memoryId: memory.id, taskId: 'T999', linkType: 'applies_to' })).taskId).toBe('T999')
    await using conduit = await ConduitRepository.open(':memory:')
    expect((await conduit.agentRefs.attach('anyone')).agentId).toBe('anyone')
  })
})
