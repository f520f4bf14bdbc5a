/**
 * Issue 20, item 5: 8 processes — as 8 hosts would — run `claimNext` against one
 * tasks schema on PostgreSQL at the same instant (a start gate, no timing): no task
 * is handed to two holders, every ready task is claimed exactly once, every claim
 * is the task's first (token 1), and no process fails.
 */
import { describe, expect, it } from 'vitest'

import { TasksRepository } from '../../src/tasks/tasks-repository.js'
import { runFixture, startGate } from '../helpers.js'
import { freshSchema, POSTGRES_URL } from './pg-test-schemas.js'

if (POSTGRES_URL !== null) {
  const url = POSTGRES_URL

  describe('tasks on PostgreSQL across processes', () => {
    it('8 processes running claimNext never hand one task to two holders', async () => {
      const schema = freshSchema('hosts')
      const setup = await TasksRepository.openPostgres(url, { schema })
      const total = 96
      try {
        for (let i = 0; i < total; i++) await setup.create({ title: `job ${i}`, priority: (['low', 'medium', 'high'] as const)[i % 3]! })
      } finally {
        await setup.close()
      }
      const target = JSON.stringify({ postgres: url, schema })
      const agents = Array.from({ length: 8 }, (_, i) => `host-${i}`)
      const gate = startGate(agents.length)
      const outputs = await Promise.all(agents.map((agent) => runFixture('tasks-claim-next.ts', [target, gate, agent])))
      const results = outputs.map(
        (o) => JSON.parse(o.stdout.trim()) as { ok: boolean; claimed: Array<{ id: string; token: number }>; message?: string },
      )
      for (const r of results) expect(r.ok, r.message).toBe(true)
      const ids = results.flatMap((r) => r.claimed.map((c) => c.id))
      expect(ids).toHaveLength(total)
      expect(new Set(ids).size).toBe(total)
      for (const r of results) for (const c of r.claimed) expect(c.token).toBe(1)

      const check = await TasksRepository.openPostgres(url, { schema })
      try {
        // Every claim is still held by the process that got it, with the token it was given.
        for (const [i, r] of results.entries()) {
          for (const c of r.claimed) expect(await check.claims.verify(c.id, c.token)).toMatchObject({ taskId: c.id, agent: agents[i], token: 1 })
        }
      } finally {
        await check.close()
      }
    }, 120_000)
  })
}
