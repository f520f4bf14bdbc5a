/**
 * The task tree: type inference and rules (also enforced by triggers), the depth
 * limit, reparenting with retyping and cycle refusal, epic auto-completion (never
 * for an epic without children), archive/restore keeping the prior status.
 */
import { describe, expect, it } from 'vitest'

import { expectCode } from '../helpers.js'
import { countRows, openTasks, TASKS_ENGINES } from './open-tasks.js'

describe.each(TASKS_ENGINES)('task tree (%s)', (engine) => {
  it('infers types: root → task, under an epic → task, under a task → subtask', async () => {
    const { tasks } = await openTasks({}, engine)
    const epic = await tasks.create({ title: 'e', type: 'epic' })
    const task = await tasks.create({ title: 't', parentId: epic.id })
    const sub = await tasks.create({ title: 's', parentId: task.id })
    const root = await tasks.create({ title: 'r' })
    expect([epic.type, task.type, sub.type, root.type]).toEqual(['epic', 'task', 'subtask', 'task'])
    expect((await tasks.ancestors(sub.id)).map((t) => t.id)).toEqual([task.id, epic.id])
    expect((await tasks.descendants(epic.id)).map((t) => t.id)).toEqual([task.id, sub.id])
  })

  it('refuses children of a subtask, a subtask without a parent, and wrong explicit types', async () => {
    const { tasks } = await openTasks({}, engine)
    const epic = await tasks.create({ title: 'e', type: 'epic' })
    const task = await tasks.create({ title: 't', parentId: epic.id })
    const sub = await tasks.create({ title: 's', parentId: task.id })
    await expectCode(tasks.create({ title: 'x', parentId: sub.id }), 'INVARIANT')
    await expectCode(tasks.create({ title: 'x', type: 'subtask' }), 'INVARIANT')
    await expectCode(tasks.create({ title: 'x', type: 'epic', parentId: task.id }), 'INVARIANT')
    await expectCode(tasks.create({ title: 'x', type: 'task', parentId: task.id }), 'INVARIANT')
    await expectCode(tasks.create({ title: 'x', parentId: 'T99' }), 'NOT_FOUND')
    expect(await countRows(tasks, 'tasks')).toBe(3)
  })

  it('enforces the tree rules in SQL too (a raw write cannot break them)', async () => {
    const { tasks } = await openTasks({}, engine)
    const epic = await tasks.create({ title: 'e', type: 'epic' })
    const task = await tasks.create({ title: 't', parentId: epic.id })
    const other = await tasks.create({ title: 'o' })
    await tasks.create({ title: 's', parentId: task.id })
    // a task under a (non-epic) task
    await expectCode(tasks.kysely.updateTable('tasks').set({ parent_id: task.id }).where('id', '=', other.id).execute(), 'INVARIANT')
    // a task with subtasks retyped to epic would orphan its subtasks' rule
    await expectCode(tasks.kysely.updateTable('tasks').set({ type: 'epic' }).where('id', '=', task.id).execute(), 'INVARIANT')
    // a self-parent
    await expectCode(tasks.kysely.updateTable('tasks').set({ parent_id: other.id }).where('id', '=', other.id).execute(), 'INVARIANT')
    // ids never change
    await expectCode(tasks.kysely.updateTable('tasks').set({ id: 'T50', seq: 50 }).where('id', '=', other.id).execute(), 'INVARIANT')
  })

  it('limits the depth (default 3 levels; configurable)', async () => {
    const { tasks } = await openTasks({}, engine)
    const e1 = await tasks.create({ title: 'e1', type: 'epic' })
    const e2 = await tasks.create({ title: 'e2', type: 'epic', parentId: e1.id })
    const t = await tasks.create({ title: 't', parentId: e2.id })
    const error = await expectCode(tasks.create({ title: 's', parentId: t.id }), 'INVARIANT')
    expect(error.details).toMatchObject({ rule: 'maxDepth', maxDepth: 3 })

    const { tasks: deep } = await openTasks({ maxDepth: 4 }, engine)
    const d1 = await deep.create({ title: 'e1', type: 'epic' })
    const d2 = await deep.create({ title: 'e2', type: 'epic', parentId: d1.id })
    const d3 = await deep.create({ title: 't', parentId: d2.id })
    expect((await deep.create({ title: 's', parentId: d3.id })).type).toBe('subtask')
    await expectCode(import('../../src/tasks/index.js').then((m) => m.TasksRepository.open(':memory:', { maxDepth: 0 })), 'VALIDATION')
  })

  it('reparents with retyping, keeps the depth limit, and refuses a cycle', async () => {
    const { tasks } = await openTasks({}, engine)
    const epic = await tasks.create({ title: 'e', type: 'epic' })
    const a = await tasks.create({ title: 'a', parentId: epic.id })
    const b = await tasks.create({ title: 'b', parentId: epic.id })
    const s = await tasks.create({ title: 's', parentId: a.id })
    const moved = await tasks.reparent(s.id, b.id, { actor: 'mover' })
    expect(moved).toMatchObject({ parentId: b.id, type: 'subtask', version: 2, modifiedBy: 'mover' })
    expect((await tasks.reparent(s.id, null)).type).toBe('task')
    expect((await tasks.reparent(s.id, a.id)).type).toBe('subtask')
    // a task with subtasks cannot become a subtask
    await expectCode(tasks.reparent(a.id, b.id), 'INVARIANT')
    // an epic only under an epic
    const e2 = await tasks.create({ title: 'e2', type: 'epic' })
    await expectCode(tasks.reparent(e2.id, a.id), 'INVARIANT')
    await tasks.reparent(e2.id, epic.id)
    // epic under its own descendant epic
    const cycle = await expectCode(tasks.reparent(epic.id, e2.id), 'CYCLE')
    expect(cycle.details?.path).toEqual([epic.id, e2.id, epic.id])
    // depth: a (with subtask s) under e2 (level 1) would put s at level 3
    await expectCode(tasks.reparent(a.id, e2.id), 'INVARIANT')
    // optimistic concurrency applies
    await expectCode(tasks.reparent(b.id, null, { expectedVersion: 99 }), 'CONFLICT')
  })
})

describe.each(TASKS_ENGINES)('epic auto-completion (%s)', (engine) => {
  it('completes an epic when its last open child finishes, walking up nested epics', async () => {
    const { tasks } = await openTasks({}, engine)
    const top = await tasks.create({ title: 'top', type: 'epic' })
    const epic = await tasks.create({ title: 'e', type: 'epic', parentId: top.id })
    const a = await tasks.create({ title: 'a', parentId: epic.id })
    const b = await tasks.create({ title: 'b', parentId: epic.id })
    await tasks.update(a.id, { status: 'active' })
    await tasks.update(a.id, { status: 'done' })
    expect((await tasks.get(epic.id)).status).toBe('pending')
    await tasks.update(b.id, { status: 'cancelled' })
    expect((await tasks.get(epic.id)).status).toBe('done')
    expect((await tasks.get(top.id)).status).toBe('done')
    const audit = await tasks.audit.list({ action: 'task.autoComplete' })
    expect(audit.items.map((e) => e.entityId).sort()).toEqual([epic.id, top.id].sort())
  })

  it('never completes an epic without live children ([].every() is not a reason)', async () => {
    const { tasks } = await openTasks({}, engine)
    const parent = await tasks.create({ title: 'e', type: 'epic' })
    const empty = await tasks.create({ title: 'empty', type: 'epic', parentId: parent.id })
    const lone = await tasks.create({ title: 'lone', parentId: parent.id })
    // parent's only other child is an epic that has no children; finishing `lone` leaves it open
    await tasks.update(lone.id, { status: 'active' })
    await tasks.update(lone.id, { status: 'done' })
    expect((await tasks.get(empty.id)).status).toBe('pending')
    expect((await tasks.get(parent.id)).status).toBe('pending')
    // all children cancelled: nothing was done, so the epic is not "done"
    const e2 = await tasks.create({ title: 'e2', type: 'epic' })
    const c = await tasks.create({ title: 'c', parentId: e2.id })
    await tasks.update(c.id, { status: 'cancelled' })
    expect((await tasks.get(e2.id)).status).toBe('pending')
  })

  it('respects noAutoComplete', async () => {
    const { tasks } = await openTasks({}, engine)
    const epic = await tasks.create({ title: 'e', type: 'epic', noAutoComplete: true })
    const a = await tasks.create({ title: 'a', parentId: epic.id })
    await tasks.update(a.id, { status: 'active' })
    await tasks.update(a.id, { status: 'done' })
    expect((await tasks.get(epic.id)).status).toBe('pending')
  })
})

describe.each(TASKS_ENGINES)('archive and restore (%s)', (engine) => {
  it('keeps the prior status, records why, and restores it', async () => {
    const { tasks } = await openTasks({}, engine)
    const a = await tasks.create({ title: 'a' })
    await tasks.update(a.id, { status: 'active' })
    const archived = await tasks.archive(a.id)
    expect(archived).toMatchObject({ status: 'active', archiveReason: 'deleted' })
    expect(archived.archivedAt).not.toBeNull()
    await expectCode(tasks.archive(a.id), 'CONFLICT')
    await expectCode(tasks.update(a.id, { title: 'no' }), 'INVARIANT')
    const restored = await tasks.restore(a.id)
    expect(restored).toMatchObject({ status: 'active', archivedAt: null, archiveReason: null })
    await expectCode(tasks.restore(a.id), 'CONFLICT')

    const d = await tasks.create({ title: 'd' })
    await tasks.update(d.id, { status: 'active' })
    await tasks.update(d.id, { status: 'done' })
    expect((await tasks.archive(d.id)).archiveReason).toBe('completed')
  })

  it('refuses a parent with live children unless cascade, and restores the subtree', async () => {
    const { tasks } = await openTasks({}, engine)
    const epic = await tasks.create({ title: 'e', type: 'epic' })
    const a = await tasks.create({ title: 'a', parentId: epic.id })
    const s = await tasks.create({ title: 's', parentId: a.id })
    const error = await expectCode(tasks.archive(epic.id), 'CONFLICT')
    expect(error.details).toMatchObject({ children: [a.id] })
    await tasks.archive(epic.id, { cascade: true })
    expect((await tasks.list({ archived: 'only' })).items.map((t) => t.id)).toEqual([epic.id, a.id, s.id])
    await expectCode(tasks.restore(a.id), 'CONFLICT') // its parent is archived
    await tasks.restore(epic.id, { cascade: true })
    expect((await tasks.list()).items.map((t) => t.id)).toEqual([epic.id, a.id, s.id])
  })

  it('refuses to archive an unfinished task others depend on, unless forced', async () => {
    const { tasks } = await openTasks({}, engine)
    const a = await tasks.create({ title: 'a' })
    const b = await tasks.create({ title: 'b', dependsOn: [a.id] })
    const error = await expectCode(tasks.archive(a.id), 'CONFLICT')
    expect(error.details).toMatchObject({ dependents: [b.id] })
    await tasks.archive(a.id, { force: true })
    expect(await tasks.dependencies.list(b.id)).toEqual([])
    // a finished task can go: the dependency stays satisfied
    const c = await tasks.create({ title: 'c' })
    const d = await tasks.create({ title: 'd', dependsOn: [c.id] })
    await tasks.update(c.id, { status: 'active' })
    await tasks.update(c.id, { status: 'done' })
    await tasks.archive(c.id)
    expect((await tasks.dependencies.list(d.id))[0]).toMatchObject({ dependsOn: c.id, satisfied: true })
  })
})
