/**
 * Task records: create, get, update (status machine, optimistic concurrency),
 * list (filters, full-text, cursor pagination), and bad input.
 */
import { describe, expect, it } from 'vitest'

import { expectCode } from '../helpers.js'
import { countRows, openTasks, T0, TASKS_ENGINES } from './open-tasks.js'

describe.each(TASKS_ENGINES)('tasks: create and read (%s)', (engine) => {
  it('creates a task with defaults, ISO timestamps and the actor', async () => {
    const { tasks } = await openTasks({}, engine)
    const task = await tasks.create(
      { title: 'Write the lexer', description: 'tokens first', labels: ['parser'], acceptance: ['passes tests'] },
      { actor: 'planner', sessionId: null },
    )
    expect(task).toMatchObject({
      id: 'T1',
      title: 'Write the lexer',
      description: 'tokens first',
      status: 'pending',
      priority: 'medium',
      type: 'task',
      role: 'work',
      scope: 'feature',
      parentId: null,
      labels: ['parser'],
      acceptance: ['passes tests'],
      notes: [],
      claim: null,
      createdBy: 'planner',
      createdAt: new Date(T0).toISOString(),
      completedAt: null,
      archivedAt: null,
      version: 1,
    })
    expect(await tasks.get('T1')).toEqual(task)
    expect(await tasks.find('T1')).toEqual(task)
    expect(await tasks.find('T2')).toBeNull()
    await expectCode(tasks.get('T2'), 'NOT_FOUND')
  })

  it('refuses bad input with VALIDATION naming the field, writing nothing', async () => {
    const { tasks } = await openTasks({}, engine)
    const cases: Array<[unknown, string]> = [
      [{ title: '' }, 'title'],
      [{ title: 'x'.repeat(201) }, 'title'],
      [{ title: 'ok', priority: 'urgent' }, 'priority'],
      [{ title: 'ok', parentId: 'T01' }, 'parentId'],
      [{ title: 'ok', labels: [''] }, 'labels.0'],
      [{ title: 'ok', status: 'done' }, 'status'],
      [{ title: 'ok', bogus: 1 }, 'bogus'], // the unknown key itself (issue 14, item 12)
    ]
    for (const [input, path] of cases) {
      const error = await expectCode(tasks.create(input as never), 'VALIDATION')
      expect((error.details?.path as string[]).join('.'), JSON.stringify(input)).toBe(path)
    }
    await expectCode(tasks.create({ title: 'ok' }, { actor: '' }), 'VALIDATION')
    await expectCode(tasks.get('42'), 'VALIDATION')
    expect(await countRows(tasks, 'tasks')).toBe(0)
    expect(await countRows(tasks, 'audit_log')).toBe(0)
  })

  it('refuses a description equal to the title and a severity on a non-bug (SQL CHECKs)', async () => {
    const { tasks } = await openTasks({}, engine)
    await expectCode(tasks.create({ title: 'same', description: 'same' }), 'INVARIANT')
    await expectCode(tasks.create({ title: 'x', severity: 'P0' }), 'INVARIANT')
    const bug = await tasks.create({ title: 'crash', role: 'bug', severity: 'P0' })
    expect(bug.severity).toBe('P0')
  })

  it('records the creating session, which must exist', async () => {
    const { tasks } = await openTasks({}, engine)
    const session = await tasks.sessions.start({ id: 'S1', name: 'work' })
    expect((await tasks.create({ title: 'a' }, { sessionId: session.id })).sessionId).toBe('S1')
    await expectCode(tasks.create({ title: 'b' }, { sessionId: 'S404' }), 'NOT_FOUND')
    expect(await countRows(tasks, 'tasks')).toBe(1)
  })

  it('creates with dependencies in the same transaction', async () => {
    const { tasks } = await openTasks({}, engine)
    const a = await tasks.create({ title: 'a' })
    const b = await tasks.create({ title: 'b', dependsOn: [a.id, a.id] })
    expect((await tasks.dependencies.list(b.id)).map((d) => d.dependsOn)).toEqual([a.id])
    await expectCode(tasks.create({ title: 'c', dependsOn: ['T99'] }), 'NOT_FOUND')
    expect(await countRows(tasks, 'tasks')).toBe(2)
  })
})

describe.each(TASKS_ENGINES)('tasks: update (%s)', (engine) => {
  it('changes fields, bumps the version, stamps updatedAt and modifiedBy', async () => {
    const { tasks, clock } = await openTasks({}, engine)
    const task = await tasks.create({ title: 'x' })
    clock.advance(1000)
    const updated = await tasks.update(
      task.id,
      { title: 'y', labels: ['a', 'b'], notes: ['n1'], noAutoComplete: true, verification: { passed: false, round: 1 } },
      { actor: 'editor' },
    )
    expect(updated).toMatchObject({
      title: 'y',
      labels: ['a', 'b'],
      notes: ['n1'],
      noAutoComplete: true,
      verification: { passed: false, round: 1 },
      version: 2,
      modifiedBy: 'editor',
      updatedAt: new Date(T0 + 1000).toISOString(),
      createdAt: new Date(T0).toISOString(),
    })
    expect((await tasks.list({ text: 'y' })).items.map((t) => t.id)).toEqual([task.id])
    expect((await tasks.list({ text: 'x' })).items).toEqual([])
  })

  it('refuses a stale expectedVersion with CONFLICT (optimistic concurrency)', async () => {
    const { tasks } = await openTasks({}, engine)
    const task = await tasks.create({ title: 'x' })
    const first = await tasks.update(task.id, { title: 'by A' }, { expectedVersion: task.version })
    const error = await expectCode(tasks.update(task.id, { title: 'by B' }, { expectedVersion: task.version }), 'CONFLICT')
    expect(error.details).toMatchObject({ expectedVersion: 1, actualVersion: 2 })
    expect((await tasks.get(task.id)).title).toBe('by A')
    expect(first.version).toBe(2)
  })

  it('follows the status machine and stamps completion and cancellation', async () => {
    const { tasks, clock } = await openTasks({}, engine)
    const task = await tasks.create({ title: 'x' })
    const error = await expectCode(tasks.update(task.id, { status: 'done' }), 'INVARIANT')
    expect(error.details).toMatchObject({ from: 'pending', to: 'done' })
    await tasks.update(task.id, { status: 'active' })
    clock.advance(5)
    const done = await tasks.update(task.id, { status: 'done' })
    expect(done.completedAt).toBe(new Date(T0 + 5).toISOString())
    const reopened = await tasks.update(task.id, { status: 'pending' })
    expect(reopened.completedAt).toBeNull()
    const cancelled = await tasks.update(task.id, { status: 'cancelled', cancellationReason: 'dup' })
    expect(cancelled).toMatchObject({ status: 'cancelled', cancellationReason: 'dup' })
    expect(cancelled.cancelledAt).not.toBeNull()
    await expectCode(tasks.update(task.id, { status: 'active' }), 'INVARIANT')
  })

  it('refuses an empty patch and unknown tasks', async () => {
    const { tasks } = await openTasks({}, engine)
    await expectCode(tasks.update('T1', {}), 'VALIDATION')
    await expectCode(tasks.update('T1', { title: 'x' }), 'NOT_FOUND')
  })
})

describe.each(TASKS_ENGINES)('tasks: list (%s)', (engine) => {
  it('filters by status, parent, type, priority, assignee and labels', async () => {
    const { tasks } = await openTasks({}, engine)
    const epic = await tasks.create({ title: 'epic', type: 'epic' })
    const a = await tasks.create({ title: 'alpha', parentId: epic.id, priority: 'high', labels: ['x', 'y'], assignee: 'ann' })
    const b = await tasks.create({ title: 'beta', parentId: epic.id, labels: ['x'] })
    const c = await tasks.create({ title: 'gamma', priority: 'high' })
    await tasks.update(b.id, { status: 'active' })
    const ids = async (filter: Parameters<typeof tasks.list>[0]) => (await tasks.list(filter)).items.map((t) => t.id)
    expect(await ids({})).toEqual([epic.id, a.id, b.id, c.id])
    expect(await ids({ status: 'active' })).toEqual([b.id])
    expect(await ids({ status: ['active', 'pending'] })).toEqual([epic.id, a.id, b.id, c.id])
    expect(await ids({ parentId: epic.id })).toEqual([a.id, b.id])
    expect(await ids({ parentId: null })).toEqual([epic.id, c.id])
    expect(await ids({ type: 'epic' })).toEqual([epic.id])
    expect(await ids({ priority: 'high' })).toEqual([a.id, c.id])
    expect(await ids({ assignee: 'ann' })).toEqual([a.id])
    expect(await ids({ labels: ['x'] })).toEqual([a.id, b.id])
    expect(await ids({ labels: ['x', 'y'] })).toEqual([a.id])
    expect(await ids({ labels: ['x'], status: 'pending', priority: 'high', parentId: epic.id })).toEqual([a.id])
  })

  it('searches title and description; any user text is safe', async () => {
    const { tasks } = await openTasks({}, engine)
    const a = await tasks.create({ title: 'Parser rewrite', description: 'use a Pratt parser' })
    await tasks.create({ title: 'Unrelated' })
    expect((await tasks.list({ text: 'pratt' })).items.map((t) => t.id)).toEqual([a.id])
    expect((await tasks.list({ text: 'pars' })).items.map((t) => t.id)).toEqual([a.id])
    for (const nasty of ['"', 'AND OR NOT', '*', 'title:', '(((', "'; DROP TABLE tasks; --", '']) {
      const page = await tasks.list({ text: nasty })
      expect(Array.isArray(page.items)).toBe(true)
    }
    expect(await countRows(tasks, 'tasks')).toBe(2)
  })

  // Both sides fold: FTS5's remove_diacritics on SQLite, cleo_search_text in tasks' search_vector on PostgreSQL.
  it('search folds accents and case on both sides', async () => {
    const { tasks } = await openTasks({}, engine)
    const task = await tasks.create({ title: 'Déploiement urgent', description: 'café crème' })
    for (const text of ['déploiement', 'deploiement', 'DEPLOI', 'crème', 'cafe']) {
      expect((await tasks.list({ text })).items.map((t) => t.id), text).toEqual([task.id])
    }
  })

  it('pages with an opaque cursor, without gaps or repeats', async () => {
    const { tasks } = await openTasks({}, engine)
    for (let i = 0; i < 25; i++) await tasks.create({ title: `t${i}` })
    const seen: string[] = []
    let cursor: string | undefined
    let pages = 0
    do {
      const page = await tasks.list({ limit: 10, ...(cursor ? { cursor } : {}) })
      seen.push(...page.items.map((t) => t.id))
      cursor = page.nextCursor ?? undefined
      pages++
    } while (cursor)
    expect(pages).toBe(3)
    expect(seen).toEqual(Array.from({ length: 25 }, (_, i) => `T${i + 1}`))
    await expectCode(tasks.list({ cursor: 'garbage' }), 'VALIDATION')
    await expectCode(tasks.list({ cursor: 'c1.bm90LWpzb24' }), 'VALIDATION')
  })

  it('leaves archived tasks out unless asked', async () => {
    const { tasks } = await openTasks({}, engine)
    const a = await tasks.create({ title: 'a' })
    const b = await tasks.create({ title: 'b' })
    await tasks.archive(a.id)
    expect((await tasks.list()).items.map((t) => t.id)).toEqual([b.id])
    expect((await tasks.list({ archived: 'only' })).items.map((t) => t.id)).toEqual([a.id])
    expect((await tasks.list({ archived: 'include' })).items.map((t) => t.id)).toEqual([a.id, b.id])
  })
})
