/**
 * Token usage records and aggregates; external links unique per (task, provider,
 * external id); agent instances with heartbeats and the crash sweep.
 */
import { describe, expect, it } from 'vitest'

import { expectCode } from '../helpers.js'
import { countRows, openTasks, T0, TASKS_ENGINES } from './open-tasks.js'

const HOUR = 3_600_000
const DAY = 24 * HOUR

describe.each(TASKS_ENGINES)('token usage (%s)', (engine) => {
  it('records calls and aggregates them by session, task, model and time window', async () => {
    const { tasks, clock } = await openTasks({}, engine)
    const t1 = await tasks.create({ title: 't1' })
    const t2 = await tasks.create({ title: 't2' })
    const s = await tasks.sessions.start({ id: 'S1', name: 's' })
    const first = await tasks.tokens.record({ provider: 'anthropic', model: 'opus', inputTokens: 100, outputTokens: 20, sessionId: s.id, taskId: t1.id, method: 'provider_api', confidence: 'real' })
    expect(first).toMatchObject({ totalTokens: 120, transport: 'unknown', createdAt: new Date(T0).toISOString() })
    clock.advance(HOUR)
    await tasks.tokens.record({ model: 'opus', inputTokens: 50, outputTokens: 5, totalTokens: 60, taskId: t2.id })
    clock.advance(DAY)
    await tasks.tokens.record({ model: 'haiku', inputTokens: 10, outputTokens: 1, taskId: t1.id, inputChars: 40 })
    await tasks.tokens.record({ model: 'haiku', inputTokens: 1, outputTokens: 1, at: '2025-12-31T23:00:00Z' })

    const byModel = await tasks.tokens.aggregate({ groupBy: 'model' })
    expect(byModel.map((g) => [g.key, g.calls, g.totalTokens])).toEqual([
      ['opus', 2, 180],
      ['haiku', 2, 13],
    ])
    const byTask = await tasks.tokens.aggregate({ groupBy: 'task' })
    expect(byTask.map((g) => [g.key, g.totalTokens])).toEqual([
      [t1.id, 131],
      [t2.id, 60],
      [null, 2],
    ])
    expect((await tasks.tokens.aggregate({ groupBy: 'session' }))[0]).toMatchObject({ key: 'S1', calls: 1, inputTokens: 100 })
    const byDay = await tasks.tokens.aggregate({ groupBy: 'day' })
    expect(byDay.map((g) => [g.key, g.calls])).toEqual([
      ['2025-12-31T00:00:00.000Z', 1],
      ['2026-01-01T00:00:00.000Z', 2],
      ['2026-01-02T00:00:00.000Z', 1],
    ])
    const window = await tasks.tokens.aggregate({ since: T0, until: T0 + DAY })
    expect(window).toMatchObject([{ key: null, calls: 2, totalTokens: 180 }])
    expect(await tasks.tokens.aggregate({ since: T0 + 9 * DAY })).toEqual([])
    expect((await tasks.tokens.list({ taskId: t1.id })).map((r) => r.model)).toEqual(['haiku', 'opus'])
    // no audit rows: usage is its own record
    expect(await countRows(tasks, 'audit_log')).toBe(3)
  })

  it('refuses impossible totals and unknown references', async () => {
    const { tasks } = await openTasks({}, engine)
    const error = await expectCode(tasks.tokens.record({ inputTokens: 10, outputTokens: 10, totalTokens: 5 }), 'VALIDATION')
    expect(error.details?.path).toEqual(['totalTokens'])
    await expectCode(tasks.tokens.record({ taskId: 'T9' }), 'NOT_FOUND')
    await expectCode(tasks.tokens.record({ sessionId: 'none' }), 'NOT_FOUND')
    await expectCode(tasks.tokens.record({ method: 'guess' as never }), 'VALIDATION')
    await expectCode(tasks.tokens.aggregate({ groupBy: 'x; DROP TABLE token_usage' as never }), 'VALIDATION')
  })
})

describe.each(TASKS_ENGINES)('external task links (%s)', (engine) => {
  it('links once per (task, provider, external id) and finds by external id', async () => {
    const { tasks, clock } = await openTasks({}, engine)
    const a = await tasks.create({ title: 'a' })
    const b = await tasks.create({ title: 'b' })
    const link = await tasks.externalLinks.link({ taskId: a.id, providerId: 'github', externalId: 'org/repo#1', externalUrl: 'https://github.com/org/repo/issues/1' })
    expect(link).toMatchObject({ linkType: 'manual', syncDirection: 'inbound', lastSyncAt: null })
    const dup = await expectCode(tasks.externalLinks.link({ taskId: a.id, providerId: 'github', externalId: 'org/repo#1' }), 'CONFLICT')
    expect(dup.details).toMatchObject({ linkId: link.id })
    // the schema backs it
    await expectCode(
      tasks.kysely
        .insertInto('external_task_links')
        .values({ id: 'raw', task_id: a.id, provider_id: 'github', external_id: 'org/repo#1', linked_at: 0 } as never)
        .execute(),
      'CONFLICT',
    )
    await tasks.externalLinks.link({ taskId: b.id, providerId: 'github', externalId: 'org/repo#1' })
    expect((await tasks.externalLinks.findByExternal('github', 'org/repo#1')).map((l) => l.taskId)).toEqual([a.id, b.id])
    clock.advance(5)
    expect((await tasks.externalLinks.markSynced(link.id)).lastSyncAt).toBe(new Date(T0 + 5).toISOString())
    await tasks.externalLinks.unlink(link.id)
    expect(await tasks.externalLinks.list(a.id)).toEqual([])
    await expectCode(tasks.externalLinks.unlink(link.id), 'NOT_FOUND')
    await expectCode(tasks.externalLinks.link({ taskId: a.id, providerId: 'x', externalId: 'y', externalUrl: 'not a url' }), 'VALIDATION')
  })
})

describe.each(TASKS_ENGINES)('agent instances (%s)', (engine) => {
  it('registers, heartbeats, records errors, stops, and marks silent agents crashed', async () => {
    const { tasks, clock } = await openTasks({}, engine)
    const t = await tasks.create({ title: 't' })
    const boss = await tasks.agentInstances.register({ id: 'boss', agentType: 'orchestrator' })
    const worker = await tasks.agentInstances.register({ id: 'w1', agentType: 'executor', parentAgentId: boss.id, capacity: 0.5 })
    expect(worker).toMatchObject({ status: 'starting', capacity: 0.5, parentAgentId: 'boss' })
    await expectCode(tasks.agentInstances.register({ id: 'w1', agentType: 'executor' }), 'CONFLICT')
    clock.advance(1000)
    const beat = await tasks.agentInstances.heartbeat('w1', { taskId: t.id, tasksCompleted: 2, metadata: { pid: 42 } })
    expect(beat).toMatchObject({ status: 'active', taskId: t.id, totalTasksCompleted: 2, metadata: { pid: 42 }, lastHeartbeat: new Date(T0 + 1000).toISOString() })
    const erred = await tasks.agentInstances.recordError('w1', { message: 'rate limited' })
    expect(erred).toMatchObject({ status: 'error', errorCount: 1 })
    clock.advance(60_000)
    await tasks.agentInstances.heartbeat('boss', { status: 'idle' })
    expect(await tasks.agentInstances.markCrashed({ silentMs: 30_000 })).toEqual(['w1'])
    expect(await tasks.agentInstances.get('w1')).toMatchObject({ status: 'crashed' })
    await expectCode(tasks.agentInstances.heartbeat('w1'), 'INVARIANT')
    const stopped = await tasks.agentInstances.stop('boss')
    expect(stopped.stoppedAt).not.toBeNull()
    expect(await tasks.agentInstances.stop('boss')).toEqual(stopped)
    expect((await tasks.agentInstances.list({ status: 'crashed' })).map((a) => a.id)).toEqual(['w1'])
    await expectCode(tasks.agentInstances.get('nope'), 'NOT_FOUND')
    await expectCode(tasks.agentInstances.register({ agentType: 'executor', capacity: 2 }), 'VALIDATION')
  })
})
