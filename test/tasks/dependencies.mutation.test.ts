/**
 * Dependencies and ready work, the details the mutation run of
 * `src/tasks/task-dependencies.ts` showed untested (issue 14 item 14): every query's
 * parameters and claim filter, paging through ready work, the audit rows, the
 * refusals' messages and details, and which operation a VALIDATION names.
 *
 * The first test drives every query of the module (the ready walks with and without
 * an agent and their pages, claimNext's walk, the edge lists, both blocker queries, the
 * edge lookup and the delete): the queries are compiled once, on first use in a test
 * file, so a broken query must show up in the test that compiles it.
 */
import { describe, expect, it } from 'vitest'

import { expectCode } from '../helpers.js'
import { openTasks, T0, TASKS_ENGINES } from './open-tasks.js'

const ids = (list: ReadonlyArray<{ id: string }>) => list.map((t) => t.id)
const iso = (ms: number) => new Date(ms).toISOString()

describe.each(TASKS_ENGINES)('dependencies and ready work: every query (%s)', (engine) => {
  it('ready (with and without an agent, in pages), next, claimNext, list, dependents, blockers, re-add and remove', async () => {
    // Pages break ties of priority and age by creation order (seq): three tasks created
    // in the same millisecond come one per page, none skipped, none twice.
    const { tasks: same } = await openTasks({}, engine)
    const tied = [await same.create({ title: 't1' }), await same.create({ title: 't2' }), await same.create({ title: 't3' })]
    for (const agent of [undefined, 'z']) {
      const seen: string[] = []
      let cursor: string | undefined
      for (let i = 0; i < 3; i++) {
        const page = await same.dependencies.ready({ limit: 1, ...(agent ? { agent } : {}), ...(cursor ? { cursor } : {}) })
        seen.push(...ids(page.items))
        cursor = page.nextCursor ?? undefined
      }
      expect(seen).toEqual(ids(tied))
      expect(cursor).toBeUndefined()
    }

    const { tasks, clock } = await openTasks({}, engine)
    const make = async (title: string, extra: Record<string, unknown> = {}) => {
      clock.advance(1_000)
      return tasks.create({ title, ...extra })
    }
    const a = await make('a', { priority: 'high' })
    const b = await make('b', { priority: 'critical', dependsOn: [a.id] })
    const p = await make('p', { priority: 'critical', dependsOn: [a.id] })
    const k = await make('k', { priority: 'critical', parentId: p.id, dependsOn: [a.id] }) // waits for a itself and through p
    const c = await make('c', { priority: 'medium' })
    const d = await make('d', { priority: 'medium' })
    const e = await make('e', { priority: 'medium' })
    const f = await make('f', { priority: 'low' })
    const g = await make('g', { priority: 'low', parentId: f.id }) // f is a container once g is done
    await tasks.update(g.id, { status: 'active' })
    await tasks.update(g.id, { status: 'done' })
    const h = await make('h', { priority: 'low', dependsOn: [b.id] })
    const edgeCreated = T0 + 10_000 // h and its edge were created at the tenth step

    await tasks.claims.claim(a.id, { agent: 'x', ttlMs: 60_000 })
    await tasks.claims.claim(d.id, { agent: 'x', ttlMs: 60_000 })
    await tasks.claims.claim(e.id, { agent: 'y', ttlMs: 1_000 })
    clock.advance(1_000) // e's lease ends exactly now: expired

    // ready: priority, then age; claims do not matter without an agent
    expect(ids((await tasks.dependencies.ready()).items)).toEqual([a.id, c.id, d.id, e.id, f.id])
    expect((await tasks.dependencies.ready()).nextCursor).toBeNull()
    // with an agent: its own claims and expired ones stay, another agent's live ones go
    expect(ids((await tasks.dependencies.ready({ agent: 'x' })).items)).toEqual([a.id, c.id, d.id, e.id, f.id])
    expect(ids((await tasks.dependencies.ready({ agent: 'z' })).items)).toEqual([c.id, e.id, f.id])
    // next: skips every live claim but the agent's own
    expect((await tasks.dependencies.next())!.id).toBe(c.id)
    expect((await tasks.dependencies.next({ agent: 'z' }))!.id).toBe(c.id)
    expect((await tasks.dependencies.next({ agent: 'x' }))!.id).toBe(a.id)

    // pages: exactly `limit` items, a cursor while more remain, null at the end
    const p1 = await tasks.dependencies.ready({ limit: 2 })
    expect(ids(p1.items)).toEqual([a.id, c.id])
    const p2 = await tasks.dependencies.ready({ limit: 2, cursor: p1.nextCursor! })
    expect(ids(p2.items)).toEqual([d.id, e.id])
    const p3 = await tasks.dependencies.ready({ limit: 2, cursor: p2.nextCursor! })
    expect(ids(p3.items)).toEqual([f.id])
    expect(p3.nextCursor).toBeNull()
    const exact = await tasks.dependencies.ready({ limit: 5 })
    expect(exact.items).toHaveLength(5)
    expect(exact.nextCursor).toBeNull()
    const z1 = await tasks.dependencies.ready({ agent: 'z', limit: 1 })
    expect(ids(z1.items)).toEqual([c.id])
    const z2 = await tasks.dependencies.ready({ agent: 'z', limit: 1, cursor: z1.nextCursor! })
    expect(ids(z2.items)).toEqual([e.id])
    const z3 = await tasks.dependencies.ready({ agent: 'z', limit: 1, cursor: z2.nextCursor! })
    expect(ids(z3.items)).toEqual([f.id])
    expect(z3.nextCursor).toBeNull()
    const all: string[] = []
    for await (const task of tasks.dependencies.iterateReady({ limit: 2 })) all.push(task.id)
    expect(all).toEqual([a.id, c.id, d.id, e.id, f.id])
    const forZ: string[] = []
    for await (const task of tasks.dependencies.iterateReady({ agent: 'z', limit: 1 })) forZ.push(task.id)
    expect(forZ).toEqual([c.id, e.id, f.id])

    // edges and blockers
    expect(await tasks.dependencies.list(b.id)).toEqual([{ taskId: b.id, dependsOn: a.id, satisfied: false, createdAt: iso(T0 + 2_000) }])
    expect(await tasks.dependencies.dependents(a.id)).toEqual([
      { taskId: b.id, dependsOn: a.id, satisfied: false, createdAt: iso(T0 + 2_000) },
      { taskId: p.id, dependsOn: a.id, satisfied: false, createdAt: iso(T0 + 3_000) },
      { taskId: k.id, dependsOn: a.id, satisfied: false, createdAt: iso(T0 + 4_000) },
    ])
    expect(ids(await tasks.dependencies.blockers(k.id))).toEqual([a.id]) // once, though k waits for it twice
    expect(ids(await tasks.dependencies.blockers(h.id))).toEqual([b.id])
    expect(ids(await tasks.dependencies.blockers(h.id, { transitive: true }))).toEqual([a.id, b.id])
    expect(await tasks.dependencies.blockers(c.id)).toEqual([])

    // re-adding an edge keeps its creation time
    expect(await tasks.dependencies.add(h.id, b.id)).toEqual({ taskId: h.id, dependsOn: b.id, satisfied: false, createdAt: iso(edgeCreated) })

    // claimNext: no live claim, no container: c, then e (expired lease), then nothing (f has a child)
    expect((await tasks.claims.claimNext({ agent: 'w', ttlMs: 60_000 }))!.task.id).toBe(c.id)
    expect((await tasks.claims.claimNext({ agent: 'w', ttlMs: 60_000 }))!.task.id).toBe(e.id)
    expect(await tasks.claims.claimNext({ agent: 'w', ttlMs: 60_000 })).toBeNull()

    // finishing a satisfies its edges
    await tasks.update(a.id, { status: 'active' })
    await tasks.update(a.id, { status: 'done' })
    expect((await tasks.dependencies.list(b.id)).map((x) => x.satisfied)).toEqual([true])
    expect((await tasks.dependencies.dependents(a.id)).map((x) => x.satisfied)).toEqual([true, true, true])
    expect(await tasks.dependencies.blockers(k.id)).toEqual([])
    expect(ids(await tasks.dependencies.blockers(h.id, { transitive: true }))).toEqual([b.id])

    // remove deletes exactly that edge
    await tasks.dependencies.remove(h.id, b.id)
    expect(await tasks.dependencies.list(h.id)).toEqual([])
    expect(await tasks.dependencies.list(b.id)).toHaveLength(1)
  })
})

describe.each(TASKS_ENGINES)('dependencies: what add and remove return and record (%s)', (engine) => {
  it('an edge to a done or cancelled task is satisfied from the start; to an open one it is not', async () => {
    const { tasks } = await openTasks({}, engine)
    const open = await tasks.create({ title: 'open' })
    const done = await tasks.create({ title: 'done' })
    await tasks.update(done.id, { status: 'active' })
    await tasks.update(done.id, { status: 'done' })
    const cancelled = await tasks.create({ title: 'cancelled' })
    await tasks.update(cancelled.id, { status: 'cancelled' })
    const t = await tasks.create({ title: 't' })
    expect((await tasks.dependencies.add(t.id, open.id)).satisfied).toBe(false)
    expect((await tasks.dependencies.add(t.id, done.id)).satisfied).toBe(true)
    expect((await tasks.dependencies.add(t.id, cancelled.id)).satisfied).toBe(true)
  })

  it('dependency.add and dependency.remove audit rows name the edge and carry it', async () => {
    const { tasks, clock } = await openTasks({}, engine)
    const a = await tasks.create({ title: 'a' })
    const b = await tasks.create({ title: 'b' })
    clock.advance(5_000)
    await tasks.dependencies.add(b.id, a.id, { actor: 'planner' })
    await tasks.dependencies.add(b.id, a.id, { actor: 'planner' }) // no change, no row
    clock.advance(5_000)
    await tasks.dependencies.remove(b.id, a.id, { actor: 'cleaner' })
    const rows = [...(await tasks.audit.list({ entityType: 'dependency' })).items].reverse() // oldest first
    expect(rows.map((r) => [r.action, r.entityId, r.taskId, r.actor])).toEqual([
      ['dependency.add', `${b.id}->${a.id}`, b.id, 'planner'],
      ['dependency.remove', `${b.id}->${a.id}`, b.id, 'cleaner'],
    ])
    expect(rows[0]!.after).toEqual({ taskId: b.id, dependsOn: a.id })
    expect(rows[1]!.before).toEqual({ taskId: b.id, dependsOn: a.id, createdAt: iso(T0 + 5_000) })
  })

  it('refusals name the task or the edge', async () => {
    const { tasks } = await openTasks({}, engine)
    const a = await tasks.create({ title: 'a' })
    const b = await tasks.create({ title: 'b' })
    await tasks.archive(a.id)
    for (const call of [() => tasks.dependencies.add(b.id, a.id), () => tasks.dependencies.add(a.id, b.id)]) {
      const e = await expectCode(call(), 'INVARIANT')
      expect(e.message).toBe(`INVARIANT: task ${a.id} is archived; restore it before linking it`)
      expect(e.details).toEqual({ id: a.id })
    }
    const missing = await expectCode(tasks.dependencies.remove(b.id, a.id), 'NOT_FOUND')
    expect(missing.details).toEqual({ kind: 'dependency', id: `${b.id}->${a.id}` })
  })

  it('a VALIDATION names the operation it refused, for every argument of every method', async () => {
    const { tasks } = await openTasks({}, engine)
    const t = await tasks.create({ title: 't' })
    const cases: Array<[string, () => Promise<unknown>]> = [
      ['tasks.dependencies.add', () => tasks.dependencies.add('bad id', t.id)],
      ['tasks.dependencies.add', () => tasks.dependencies.add(t.id, 'bad id')],
      ['tasks.dependencies.add', () => tasks.dependencies.add(t.id, t.id, { bogus: 1 } as never)],
      ['tasks.dependencies.remove', () => tasks.dependencies.remove('bad id', t.id)],
      ['tasks.dependencies.remove', () => tasks.dependencies.remove(t.id, 'bad id')],
      ['tasks.dependencies.remove', () => tasks.dependencies.remove(t.id, t.id, { bogus: 1 } as never)],
      ['tasks.dependencies.list', () => tasks.dependencies.list('bad id')],
      ['tasks.dependencies.dependents', () => tasks.dependencies.dependents('bad id')],
      ['tasks.dependencies.blockers', () => tasks.dependencies.blockers('bad id')],
      ['tasks.dependencies.ready', () => tasks.dependencies.ready({ limit: 0 })],
      ['tasks.dependencies.ready', () => tasks.dependencies.ready({ cursor: 'not a cursor' })],
      ['tasks.dependencies.next', () => tasks.dependencies.next({ agent: '' })],
    ]
    for (const [operation, call] of cases) {
      const e = await expectCode(call(), 'VALIDATION')
      expect(e.details, operation).toMatchObject({ operation })
      expect(e.message.startsWith(`VALIDATION: ${operation}: `), e.message).toBe(true)
    }
  })
})
