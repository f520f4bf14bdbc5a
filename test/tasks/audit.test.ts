/**
 * The audit log: one row per committed mutation, written in the mutation's own
 * transaction (before/after JSON, actor, session) — and none when it fails.
 */
import { describe, expect, it } from 'vitest'

import { expectCode } from '../helpers.js'
import { countRows, openTasks, T0, TASKS_ENGINES } from './open-tasks.js'

describe.each(TASKS_ENGINES)('audit log (%s)', (engine) => {
  it('records each mutation with before/after, actor, session and request id', async () => {
    const { tasks, clock } = await openTasks({ actor: 'harness' }, engine)
    const session = await tasks.sessions.start({ id: 'S1', name: 'work' })
    const task = await tasks.create({ title: 'x' }, { sessionId: session.id, requestId: 'req-1' })
    clock.advance(10)
    await tasks.update(task.id, { title: 'y' }, { actor: 'agent-7', sessionId: session.id })
    const { items } = await tasks.audit.list({ taskId: task.id })
    expect(items.map((e) => e.action)).toEqual(['task.update', 'task.create'])
    const [update, create] = items
    expect(create).toMatchObject({
      entityType: 'task',
      entityId: task.id,
      actor: 'harness',
      sessionId: 'S1',
      requestId: 'req-1',
      timestamp: new Date(T0).toISOString(),
      before: null,
      after: { id: task.id, title: 'x', version: 1 },
    })
    expect(update).toMatchObject({
      actor: 'agent-7',
      before: { title: 'x', version: 1 },
      after: { title: 'y', version: 2 },
      timestamp: new Date(T0 + 10).toISOString(),
    })
    expect((await tasks.audit.list({ sessionId: 'S1' })).items).toHaveLength(2)
    expect((await tasks.audit.list({ actor: 'agent-7' })).items).toHaveLength(1)
    expect((await tasks.audit.list({ entityType: 'session', entityId: 'S1' })).items.map((e) => e.action)).toEqual(['session.start'])
  })

  it('writes no audit row when the mutation fails, even after partial work in its transaction', async () => {
    const { tasks } = await openTasks({}, engine)
    const a = await tasks.create({ title: 'a' })
    const b = await tasks.create({ title: 'b', dependsOn: [a.id] })
    const epic = await tasks.create({ title: 'e', type: 'epic' })
    await tasks.create({ title: 'child', parentId: epic.id })
    const rows = await countRows(tasks, 'audit_log')
    const snapshot = await tasks.list({ archived: 'include' })

    // refused before anything was written
    await expectCode(tasks.create({ title: '' }), 'VALIDATION')
    await expectCode(tasks.dependencies.add(a.id, b.id), 'CYCLE')
    await expectCode(tasks.update(a.id, { title: 'z' }, { expectedVersion: 9 }), 'CONFLICT')
    await expectCode(tasks.update(a.id, { status: 'done' }), 'INVARIANT')
    // refused after the task row and its id were written in the transaction
    await expectCode(tasks.create({ title: 'c', dependsOn: [a.id, 'T77'] }), 'NOT_FOUND')
    // a cascade that archives (and audits) the epic's child, then meets a task with a
    // live dependent: the whole transaction, audit rows included, rolls back
    await tasks.reparent(a.id, epic.id)
    const reparented = await countRows(tasks, 'audit_log')
    await expectCode(tasks.archive(epic.id, { cascade: true }), 'CONFLICT')

    expect(await countRows(tasks, 'audit_log')).toBe(reparented)
    expect(reparented).toBe(rows + 1)
    const after = await tasks.list({ archived: 'include' })
    expect(after.items.map((t) => [t.id, t.archivedAt])).toEqual(snapshot.items.map((t) => [t.id, null]))
  })

  it('prunes by age with numeric timestamps and records the pruning', async () => {
    const { tasks, clock } = await openTasks({}, engine)
    await tasks.create({ title: 'old' })
    clock.advance(10 * 86_400_000)
    await tasks.create({ title: 'new' })
    const deleted = await tasks.audit.prune({ before: T0 + 86_400_000 })
    expect(deleted).toBe(1)
    expect((await tasks.audit.list()).items.map((e) => e.action)).toEqual(['audit.prune', 'task.create'])
    expect(await tasks.audit.prune({ before: '2026-01-01T00:00:00Z' })).toBe(0)
  })

  it('pages newest first', async () => {
    const { tasks } = await openTasks({}, engine)
    for (let i = 0; i < 5; i++) await tasks.create({ title: `t${i}` })
    const first = await tasks.audit.list({ limit: 2 })
    const second = await tasks.audit.list({ limit: 2, cursor: first.nextCursor! })
    const third = await tasks.audit.list({ limit: 2, cursor: second.nextCursor! })
    expect([...first.items, ...second.items, ...third.items].map((e) => e.entityId)).toEqual(['T5', 'T4', 'T3', 'T2', 'T1'])
    expect(third.nextCursor).toBeNull()
  })
})
