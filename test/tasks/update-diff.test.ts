/**
 * Updates by difference (issue 19, item 5): an update sets only the columns that
 * changed (one cached statement per set of columns), and its audit row records
 * only the changed fields (with the version), not two whole tasks.
 */
import { StatementSync } from 'node:sqlite'

import fc from 'fast-check'
import { describe, expect, it } from 'vitest'

import { openTasks, TASKS_ENGINES } from './open-tasks.js'

/** The UPDATE statements on tasks executed while `fn` runs. */
async function taskUpdates(fn: () => Promise<unknown>): Promise<string[]> {
  const proto = StatementSync.prototype as unknown as Record<'run' | 'get' | 'all', (...args: unknown[]) => unknown>
  const saved = { run: proto.run, get: proto.get, all: proto.all }
  const seen: string[] = []
  for (const method of ['run', 'get', 'all'] as const) {
    const original = saved[method]
    proto[method] = function (this: StatementSync, ...args: unknown[]) {
      if (/^UPDATE "?tasks"? SET/i.test(this.sourceSQL)) seen.push(this.sourceSQL)
      return original.apply(this, args)
    }
  }
  try {
    await fn()
  } finally {
    Object.assign(proto, saved)
  }
  return seen
}

describe.each(TASKS_ENGINES)('task updates by difference (%s)', (engine) => {
  // SQLite only: it reads the SQL node:sqlite's statements were prepared with.
  it.skipIf(engine === 'postgres')('sets only the changed columns', async () => {
    const { tasks, clock } = await openTasks({}, engine)
    const task = await tasks.create({ title: 'a', description: 'what a is', labels: ['x'] })
    clock.advance(5)
    const [update] = await taskUpdates(() => tasks.update(task.id, { title: 'b' }))
    expect(update).toBe('update "tasks" set "title" = ?, "updated_at" = ?, "version" = "version" + 1 where "id" = ? and "version" = ? returning *')
    clock.advance(5)
    const [second] = await taskUpdates(() => tasks.update(task.id, { labels: ['y'], priority: 'high' }, { actor: 'other' }))
    expect(second).toBe(
      'update "tasks" set "priority" = ?, "labels_json" = ?, "modified_by" = ?, "updated_at" = ?, "version" = "version" + 1 where "id" = ? and "version" = ? returning *',
    )
    const read = await tasks.get(task.id)
    expect(read).toMatchObject({ title: 'b', description: 'what a is', labels: ['y'], priority: 'high', modifiedBy: 'other', version: 3 })
  })

  it('audits only the changed fields, with the version', async () => {
    const { tasks, clock } = await openTasks({}, engine)
    const task = await tasks.create({ title: 'a', description: 'what a is', labels: ['x'] })
    clock.advance(5)
    await tasks.update(task.id, { title: 'b', labels: ['x'] })
    const [entry] = (await tasks.audit.list({ taskId: task.id, limit: 1 })).items
    expect(entry!.before).toEqual({ title: 'a', updatedAt: task.updatedAt, version: 1 })
    expect(entry!.after).toEqual({ title: 'b', updatedAt: new Date(Date.parse(task.updatedAt) + 5).toISOString(), version: 2 })
  })

  it('any sequence of updates reads back as the patches applied in order (property)', async () => {
    const patch = fc.record(
      {
        title: fc.constantFrom('one', 'two', 'three'),
        description: fc.option(fc.constantFrom('d1', 'd2'), { nil: null }),
        priority: fc.constantFrom('critical', 'high', 'medium', 'low'),
        labels: fc.array(fc.constantFrom('a', 'b', 'c'), { maxLength: 3 }),
        assignee: fc.option(fc.constantFrom('ada', 'bob'), { nil: null }),
      },
      { requiredKeys: [] },
    )
    // An empty patch is refused (`nothing to update`), so the sequence draws non-empty ones;
    // the refusal itself is checked at the end.
    const nonEmpty = patch.filter((p) => Object.keys(p).length > 0)
    await fc.assert(
      fc.asyncProperty(fc.array(nonEmpty, { minLength: 1, maxLength: 8 }), async (patches) => {
        const { tasks } = await openTasks({}, engine)
        const task = await tasks.create({ title: 'start' })
        const expected: Record<string, unknown> = { title: 'start', description: null, priority: 'medium', labels: [], assignee: null }
        let version = 1
        for (const p of patches) {
          const result = await tasks.update(task.id, p)
          Object.assign(expected, p)
          version += 1
          expect(result).toMatchObject({ ...expected, version })
        }
        expect(await tasks.get(task.id)).toMatchObject({ ...expected, version })
      }),
      { numRuns: 25 },
    )
    const { tasks } = await openTasks({}, engine)
    const task = await tasks.create({ title: 'start' })
    await expect(tasks.update(task.id, {})).rejects.toMatchObject({ code: 'VALIDATION' })
    expect(await tasks.get(task.id)).toMatchObject({ title: 'start', version: 1 })
  })
})

describe.each(TASKS_ENGINES)('tasks.get fast path (%s)', (engine) => {
  it('accepts exactly what TaskIdSchema accepts', async () => {
    const { tasks } = await openTasks({}, engine)
    await tasks.create({ title: 'one' })
    expect((await tasks.get('T1')).title).toBe('one')
    for (const bad of ['T0', 't1', 'T01', ' T1', 'T1 ', 'T', '', 'T12345678901234567', 42, null]) {
      await expect(tasks.get(bad as string)).rejects.toMatchObject({ code: 'VALIDATION' })
    }
    await expect(tasks.get('T2')).rejects.toMatchObject({ code: 'NOT_FOUND' })
  })
})
