/**
 * ADRs: ids, task links, and relations kept consistent both ways (pointer
 * columns and the `superseded` status follow adr_relations, through triggers).
 */
import { describe, expect, it } from 'vitest'

import { expectCode } from '../helpers.js'
import { openTasks, TASKS_ENGINES } from './open-tasks.js'

describe.each(TASKS_ENGINES)('architecture decision records (%s)', (engine) => {
  it('allocates ADR-NNN ids, links tasks, and accepts', async () => {
    const { tasks } = await openTasks({}, engine)
    const t = await tasks.create({ title: 't' })
    const a1 = await tasks.adrs.create({ title: 'Use SQLite', tasks: [t.id], keywords: ['storage'], decidedOn: '2026-01-02' })
    const a2 = await tasks.adrs.create({ title: 'Use WAL', status: 'accepted' })
    expect([a1.id, a2.id]).toEqual(['ADR-001', 'ADR-002'])
    expect(a1).toMatchObject({ status: 'proposed', keywords: ['storage'], decidedOn: '2026-01-02', acceptedAt: null })
    expect(a2.acceptedAt).not.toBeNull()
    await expectCode(tasks.adrs.create({ id: 'ADR-002', title: 'dup' }), 'CONFLICT')
    expect((await tasks.adrs.create({ id: 'ADR-010', title: 'ten' })).id).toBe('ADR-010')
    expect((await tasks.adrs.create({ title: 'eleven' })).id).toBe('ADR-011')
    expect(await tasks.adrs.taskLinks(a1.id)).toMatchObject([{ adrId: a1.id, taskId: t.id, type: 'related' }])
    expect((await tasks.adrs.linkTask(a1.id, t.id, 'implements')).type).toBe('implements')
    expect((await tasks.adrs.list({ taskId: t.id })).map((a) => a.id)).toEqual([a1.id])
    const accepted = await tasks.adrs.update(a1.id, { status: 'accepted' }, { expectedVersion: 1 })
    expect(accepted).toMatchObject({ status: 'accepted', version: 2 })
    await expectCode(tasks.adrs.update(a1.id, { title: 'x' }, { expectedVersion: 1 }), 'CONFLICT')
    await tasks.adrs.unlinkTask(a1.id, t.id)
    await expectCode(tasks.adrs.unlinkTask(a1.id, t.id), 'NOT_FOUND')
    await expectCode(tasks.adrs.linkTask(a1.id, 'T99'), 'NOT_FOUND')
    await expectCode(tasks.adrs.create({ title: 'bad', decidedOn: '2026-13-40' }), 'VALIDATION')
    expect((await tasks.adrs.list({ status: 'accepted' })).map((a) => a.id)).toEqual(['ADR-001', 'ADR-002'])
  })

  it('supersedes both ways: pointers and status follow the relation, and revert with it', async () => {
    const { tasks } = await openTasks({}, engine)
    const old = await tasks.adrs.create({ title: 'old', status: 'accepted' })
    const replacement = await tasks.adrs.create({ title: 'new', supersedes: old.id })
    expect(replacement.supersedesId).toBe(old.id)
    expect(await tasks.adrs.get(old.id)).toMatchObject({ status: 'superseded', supersededById: replacement.id })
    expect(await tasks.adrs.relations(old.id)).toMatchObject([{ fromAdrId: replacement.id, toAdrId: old.id, type: 'supersedes' }])
    await expectCode(tasks.adrs.update(old.id, { status: 'accepted' }), 'INVARIANT')
    const third = await tasks.adrs.create({ title: 'third' })
    await expectCode(tasks.adrs.relate(third.id, old.id, 'supersedes'), 'CONFLICT') // already superseded
    await expectCode(tasks.adrs.relate(old.id, replacement.id, 'supersedes'), 'CYCLE')
    await tasks.adrs.unrelate(replacement.id, old.id, 'supersedes')
    expect(await tasks.adrs.get(old.id)).toMatchObject({ status: 'accepted', supersededById: null })
    expect((await tasks.adrs.get(replacement.id)).supersedesId).toBeNull()
    await expectCode(tasks.adrs.unrelate(replacement.id, old.id, 'supersedes'), 'NOT_FOUND')
  })

  it('mirrors related, sets amends, and refuses pointer writes that adr_relations does not back', async () => {
    const { tasks } = await openTasks({}, engine)
    const a = await tasks.adrs.create({ title: 'a' })
    const b = await tasks.adrs.create({ title: 'b', related: [a.id], amends: a.id })
    expect((await tasks.adrs.relations(a.id)).map((r) => `${r.fromAdrId}-${r.type}->${r.toAdrId}`).sort()).toEqual(
      [`${a.id}-related->${b.id}`, `${b.id}-amends->${a.id}`, `${b.id}-related->${a.id}`].sort(),
    )
    expect(b.amendsId).toBe(a.id)
    await tasks.adrs.unrelate(a.id, b.id, 'related') // removing one side removes the mirror
    expect((await tasks.adrs.relations(a.id)).map((r) => r.type)).toEqual(['amends'])
    await expectCode(tasks.adrs.relate(a.id, a.id, 'related'), 'VALIDATION')
    const c = await tasks.adrs.create({ title: 'c' })
    await expectCode(tasks.adrs.relate(b.id, c.id, 'amends'), 'CONFLICT')
    // a raw write of a pointer column is refused; deleting an ADR clears the pointers to it
    await expectCode(tasks.kysely.updateTable('architecture_decisions').set({ supersedes_id: c.id }).where('id', '=', a.id).execute(), 'INVARIANT')
    await tasks.kysely.deleteFrom('architecture_decisions').where('id', '=', a.id).execute()
    expect((await tasks.adrs.get(b.id)).amendsId).toBeNull()
    expect(await tasks.adrs.relations(b.id)).toEqual([])
  })
})
