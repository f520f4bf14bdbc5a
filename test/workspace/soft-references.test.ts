/**
 * Cross-database soft references: seeded orphans in brain (links and decision
 * contexts to deleted tasks, observations of unknown sessions), conduit (an attached
 * agent that signaldock no longer has) and tasks (a cached credential of an unknown
 * agent) are each reported by `ws.check()` and fixed by `ws.repair()`.
 */
import { join } from 'node:path'

import { describe, expect, it } from 'vitest'

import { CleoWorkspace, SOFT_REFERENCE_CHECKS } from '../../src/index.js'
import { tempDir } from '../helpers.js'

describe('soft references across databases', () => {
  it('finds seeded orphans in every direction, and repair fixes exactly them', async () => {
    const ws = await CleoWorkspace.open(tempDir(), { globalDir: join(tempDir(), 'global') })
    try {
      const kept = await ws.tasks.create({ title: 'kept' })
      const doomed = await ws.tasks.create({ title: 'doomed' })
      const session = await ws.tasks.sessions.start({ name: 'real session' } as never)
      const { memory: learning } = await ws.brain.record({ kind: 'learning', insight: 'links to tasks', source: 's', confidence: 0.4 })
      await ws.brain.links.add({ memoryId: learning.id, taskId: kept.id, linkType: 'applies_to' })
      await ws.brain.links.add({ memoryId: learning.id, taskId: doomed.id, linkType: 'produced_by' })
      await ws.brain.record({ kind: 'observation', title: 'seen in a real session', sourceSessionId: session.id } as never)
      await ws.brain.record({ kind: 'observation', title: 'seen in a lost session', sourceSessionId: 'S-lost' } as never)
      // The task disappears from tasks.db (another tool, or an old restore).
      await ws.tasks.kysely.deleteFrom('tasks').where('id', '=', doomed.id).execute()
      // An agent attached here, and its credential cached, then deleted from signaldock directly.
      await ws.agents.register({ agentId: 'ghost', name: 'Ghost', apiKey: `sk_live_${'ab'.repeat(32)}`, attach: true })
      await ws.agents.register({ agentId: 'alive', name: 'Alive', apiKey: `sk_live_${'cd'.repeat(32)}`, attach: true })
      await ws.signaldock.agents.remove('ghost')

      const report = await ws.check()
      const codes = report.findings.filter((f) => f.check.startsWith('refs.')).map((f) => [f.check, f.details?.['dangling'] ?? f.message])
      expect(codes).toEqual([
        ['refs.brain-tasks', [doomed.id]],
        ['refs.brain-sessions', ['S-lost']],
        ['refs.project-agents', ['ghost']],
        ['refs.credential-cache', ['ghost']],
      ])

      const repair = await ws.repair()
      expect(repair.actions.filter((a) => a.check.startsWith('refs.')).map((a) => [a.check, a.changes])).toEqual([
        ['refs.brain-tasks', 1],
        ['refs.brain-sessions', 1],
        ['refs.project-agents', 1],
        ['refs.credential-cache', 1],
      ])
      const after = await ws.check()
      expect(after.findings.filter((f) => f.check.startsWith('refs.'))).toEqual([])
      // What was valid is untouched.
      expect((await ws.brain.links.forMemory(learning.id)).map((l) => l.taskId)).toEqual([kept.id])
      expect((await ws.conduit.agentRefs.get('alive'))?.enabled).toBe(true)
      expect((await ws.conduit.agentRefs.get('ghost'))?.enabled).toBe(false)
      expect(await ws.tasks.credentials.get('alive')).not.toBeNull()
      expect(await ws.tasks.credentials.get('ghost')).toBeNull()
      expect(SOFT_REFERENCE_CHECKS.map((c) => c.name)).toEqual([
        'refs.brain-tasks',
        'refs.brain-sessions',
        'refs.project-agents',
        'refs.credential-cache',
        'refs.ux-cleanup-sessions',
      ])
    } finally {
      await ws.close()
    }
  })
})
