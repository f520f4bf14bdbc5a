/**
 * Typed relations: the type is part of the key (CLEO silently dropped a second
 * type between the same two tasks).
 */
import { describe, expect, it } from 'vitest'

import { expectCode } from '../helpers.js'
import { openTasks, TASKS_ENGINES } from './open-tasks.js'

describe.each(TASKS_ENGINES)('task relations (%s)', (engine) => {
  it('keeps several typed relations between the same two tasks', async () => {
    const { tasks } = await openTasks({}, engine)
    const a = await tasks.create({ title: 'a' })
    const b = await tasks.create({ title: 'b' })
    const fixes = await tasks.relations.add({ taskId: b.id, relatedTo: a.id, type: 'fixes', reason: 'root cause' })
    const extendsRel = await tasks.relations.add({ taskId: b.id, relatedTo: a.id, type: 'extends' })
    expect(fixes).toMatchObject({ taskId: b.id, relatedTo: a.id, type: 'fixes', reason: 'root cause' })
    expect((await tasks.relations.list(a.id)).map((r) => r.type).sort()).toEqual(['extends', 'fixes'])
    expect(await tasks.relations.list(b.id, { type: 'extends' })).toEqual([extendsRel])
    // adding it again is a no-op, not a silent overwrite
    expect(await tasks.relations.add({ taskId: b.id, relatedTo: a.id, type: 'fixes', reason: 'other' })).toEqual(fixes)
    expect((await tasks.relations.add({ taskId: a.id, relatedTo: b.id })).type).toBe('related')
    await tasks.relations.remove(b.id, a.id, 'fixes')
    expect((await tasks.relations.list(b.id)).map((r) => r.type).sort()).toEqual(['extends', 'related'])
    await expectCode(tasks.relations.remove(b.id, a.id, 'fixes'), 'NOT_FOUND')
  })

  it('refuses self relations, unknown tasks and unknown types', async () => {
    const { tasks } = await openTasks({}, engine)
    const a = await tasks.create({ title: 'a' })
    const self = await expectCode(tasks.relations.add({ taskId: a.id, relatedTo: a.id }), 'VALIDATION')
    expect(self.details?.path).toEqual(['relatedTo'])
    await expectCode(tasks.relations.add({ taskId: a.id, relatedTo: 'T9' }), 'NOT_FOUND')
    await expectCode(tasks.relations.add({ taskId: a.id, relatedTo: 'T9', type: 'parent' as never }), 'VALIDATION')
    await expectCode(tasks.relations.remove(a.id, 'T9', 'bogus' as never), 'VALIDATION')
    expect(await tasks.relations.list(a.id)).toEqual([])
  })
})
