/**
 * Dependencies (cycle refusal naming the path, checked in the write transaction),
 * ready work (ordering, exclusions, the indexed plan), next, blockers.
 */
import fc from 'fast-check'
import { sql } from 'kysely'
import { describe, expect, it } from 'vitest'

import { READY, READY_FOR_AGENT, READY_UNCLAIMED } from '../../src/tasks/task-dependencies.js'
import { expectCode } from '../helpers.js'
import { POSTGRES_URL } from '../postgres/pg-test-schemas.js'
import { countRows, openTasks, openTasksSharingSchema, TASKS_ENGINES } from './open-tasks.js'

describe.each(TASKS_ENGINES)('dependencies (%s)', (engine) => {
  it('adds, lists, reports satisfaction, removes', async () => {
    const { tasks } = await openTasks({}, engine)
    const a = await tasks.create({ title: 'a' })
    const b = await tasks.create({ title: 'b' })
    const edge = await tasks.dependencies.add(b.id, a.id, { actor: 'planner' })
    expect(edge).toMatchObject({ taskId: b.id, dependsOn: a.id, satisfied: false })
    expect(await tasks.dependencies.add(b.id, a.id)).toEqual(edge) // idempotent
    expect(await tasks.dependencies.dependents(a.id)).toEqual([edge])
    await tasks.update(a.id, { status: 'cancelled' })
    expect((await tasks.dependencies.list(b.id))[0]!.satisfied).toBe(true)
    await tasks.dependencies.remove(b.id, a.id)
    expect(await tasks.dependencies.list(b.id)).toEqual([])
    await expectCode(tasks.dependencies.remove(b.id, a.id), 'NOT_FOUND')
    await expectCode(tasks.dependencies.add(b.id, 'T9'), 'NOT_FOUND')
    await expectCode(tasks.dependencies.list('T9'), 'NOT_FOUND')
    const actions = (await tasks.audit.list({ entityType: 'dependency' })).items.map((e) => e.action)
    expect(actions).toEqual(['dependency.remove', 'dependency.add'])
  })

  it('a cancelled blocker no longer blocks: ready(), next() and claimNext return the dependent task', async () => {
    const { tasks } = await openTasks({}, engine)
    const blocker = await tasks.create({ title: 'blocker', priority: 'low' })
    const dependent = await tasks.create({ title: 'dependent', priority: 'critical', dependsOn: [blocker.id] })
    // A subtask waits for what its parent waits for: cancelling unblocks it too.
    const parent = await tasks.create({ title: 'parent', priority: 'low', dependsOn: [blocker.id] })
    const child = await tasks.create({ title: 'child', priority: 'high', parentId: parent.id })
    expect((await tasks.dependencies.ready()).items.map((t) => t.id)).toEqual([blocker.id])
    expect((await tasks.dependencies.next())!.id).toBe(blocker.id)
    await tasks.update(blocker.id, { status: 'cancelled' })
    expect((await tasks.dependencies.ready()).items.map((t) => t.id)).toEqual([dependent.id, child.id])
    expect((await tasks.dependencies.ready({ agent: 'a1' })).items.map((t) => t.id)).toEqual([dependent.id, child.id])
    expect((await tasks.dependencies.next())!.id).toBe(dependent.id)
    expect((await tasks.dependencies.next({ agent: 'a1' }))!.id).toBe(dependent.id)
    expect(await tasks.dependencies.blockers(dependent.id)).toEqual([])
    const first = await tasks.claims.claimNext({ agent: 'a1', ttlMs: 60_000 })
    expect(first!.task.id).toBe(dependent.id)
    const second = await tasks.claims.claimNext({ agent: 'a2', ttlMs: 60_000 })
    expect(second!.task.id).toBe(child.id)
    expect(await tasks.claims.claimNext({ agent: 'a3', ttlMs: 60_000 })).toBeNull()
  })

  it('refuses an edge that closes a cycle with CYCLE, naming the path', async () => {
    const { tasks } = await openTasks({}, engine)
    const [a, b, c, d] = await Promise.all(['a', 'b', 'c', 'd'].map((title) => tasks.create({ title })))
    await tasks.dependencies.add(b!.id, a!.id) // b → a
    await tasks.dependencies.add(c!.id, b!.id) // c → b
    await tasks.dependencies.add(d!.id, c!.id) // d → c
    const error = await expectCode(tasks.dependencies.add(a!.id, d!.id), 'CYCLE')
    expect(error.details?.path).toEqual([a!.id, d!.id, c!.id, b!.id, a!.id])
    expect(error.message).toContain(`${a!.id} → ${d!.id} → ${c!.id} → ${b!.id} → ${a!.id}`)
    const self = await expectCode(tasks.dependencies.add(a!.id, a!.id), 'CYCLE')
    expect(self.details?.path).toEqual([a!.id, a!.id])
    expect(await countRows(tasks, 'task_dependencies')).toBe(3)
    // the SQL itself refuses a self-edge too
    await expectCode(
      tasks.kysely.insertInto('task_dependencies').values({ task_id: a!.id, depends_on: a!.id, created_at: 0 }).execute(),
      'INVARIANT',
    )
  })

  it('refuses edges to or from archived tasks', async () => {
    const { tasks } = await openTasks({}, engine)
    const a = await tasks.create({ title: 'a' })
    const b = await tasks.create({ title: 'b' })
    await tasks.archive(a.id)
    await expectCode(tasks.dependencies.add(b.id, a.id), 'INVARIANT')
    await expectCode(tasks.dependencies.add(a.id, b.id), 'INVARIANT')
  })

  it('keeps the graph acyclic under any sequence of additions (property)', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(fc.tuple(fc.integer({ min: 1, max: 8 }), fc.integer({ min: 1, max: 8 })), { maxLength: 40 }), async (edges) => {
        const { tasks } = await openTasks({}, engine)
        for (let i = 0; i < 8; i++) await tasks.create({ title: `t${i}` })
        const graph = new Map<string, Set<string>>()
        const reaches = (from: string, to: string, seen = new Set<string>()): boolean => {
          if (from === to) return true
          if (seen.has(from)) return false
          seen.add(from)
          return [...(graph.get(from) ?? [])].some((next) => reaches(next, to, seen))
        }
        for (const [x, y] of edges) {
          const from = `T${x}`
          const to = `T${y}`
          const wouldCycle = reaches(to, from)
          try {
            await tasks.dependencies.add(from, to)
            expect(wouldCycle).toBe(false)
            graph.set(from, (graph.get(from) ?? new Set()).add(to))
          } catch (error) {
            expect((error as { code: string }).code).toBe('CYCLE')
            expect(wouldCycle).toBe(true)
            const path = (error as { details: { path: string[] } }).details.path
            expect(path[0]).toBe(from)
            expect(path.at(-1)).toBe(from)
          }
        }
        await tasks.close()
      }),
      { numRuns: 25 },
    )
  })
})

describe.each(TASKS_ENGINES)('ready work (%s)', (engine) => {
  it('orders by priority, then age, and leaves out what is not ready', async () => {
    const { tasks, clock } = await openTasks({}, engine)
    const create = async (title: string, extra: Parameters<typeof tasks.create>[0] extends infer I ? Partial<I> : never = {}) => {
      clock.advance(1000)
      return tasks.create({ title, ...extra })
    }
    const lowOld = await create('low old', { priority: 'low' })
    const medOld = await create('medium old')
    const critical = await create('critical new', { priority: 'critical' })
    const medNew = await create('medium new')
    const blocked = await create('blocked by medOld', { priority: 'critical', dependsOn: [medOld.id] })
    const statusBlocked = await create('status blocked', { priority: 'critical', status: 'blocked' })
    const proposed = await create('proposed', { priority: 'critical', status: 'proposed' })
    const epic = await create('epic with open child', { type: 'epic', priority: 'critical' })
    const child = await create('child', { parentId: epic.id, priority: 'high' })
    const parentTask = await create('waits on medNew', { priority: 'high', dependsOn: [medNew.id] })
    const inheritedBlock = await create('subtask of a waiting task', { parentId: parentTask.id, priority: 'critical' })
    const archived = await create('archived', { priority: 'critical' })
    await tasks.archive(archived.id)
    const done = await create('done', { priority: 'critical' })
    await tasks.update(done.id, { status: 'active' })
    await tasks.update(done.id, { status: 'done' })

    const ready = (await tasks.dependencies.ready()).items.map((t) => t.id)
    expect(ready).toEqual([critical.id, child.id, medOld.id, medNew.id, lowOld.id])
    for (const excluded of [blocked, statusBlocked, proposed, epic, parentTask, inheritedBlock, archived, done]) {
      expect(ready).not.toContain(excluded.id)
    }
    expect((await tasks.dependencies.ready({ limit: 2 })).items.map((t) => t.id)).toEqual([critical.id, child.id])

    // finishing medOld unblocks `blocked`, which is critical and so comes first by age
    await tasks.update(medOld.id, { status: 'active' })
    await tasks.update(medOld.id, { status: 'done' })
    expect((await tasks.dependencies.ready()).items.map((t) => t.id).slice(0, 2)).toEqual([critical.id, blocked.id])
    // active tasks stay ready (unblocked, non-terminal)
    await tasks.update(lowOld.id, { status: 'active' })
    expect((await tasks.dependencies.ready()).items.map((t) => t.id)).toContain(lowOld.id)
  })

  it('next() skips tasks under another agent’s live claim, but not expired ones', async () => {
    const { tasks, clock } = await openTasks({}, engine)
    const a = await tasks.create({ title: 'a', priority: 'high' })
    const b = await tasks.create({ title: 'b' })
    expect((await tasks.dependencies.next())!.id).toBe(a.id)
    await tasks.claims.claim(a.id, { agent: 'x', ttlMs: 60_000 })
    expect((await tasks.dependencies.next({ agent: 'y' }))!.id).toBe(b.id)
    expect((await tasks.dependencies.next({ agent: 'x' }))!.id).toBe(a.id)
    expect((await tasks.dependencies.ready({ agent: 'y' })).items.map((t) => t.id)).toEqual([b.id])
    expect((await tasks.dependencies.ready()).items.map((t) => t.id)).toEqual([a.id, b.id])
    clock.advance(60_000)
    expect((await tasks.dependencies.next({ agent: 'y' }))!.id).toBe(a.id)
    await tasks.update(a.id, { status: 'cancelled' })
    await tasks.update(b.id, { status: 'cancelled' })
    expect(await tasks.dependencies.next()).toBeNull()
  })

  // SQLite only: asserts SQLite's EXPLAIN QUERY PLAN (the PostgreSQL planner makes its own choice).
  it.skipIf(engine === 'postgres')('runs as one indexed query: walks tasks_ready_walk_idx in order, no scan of tasks, no sort', async () => {
    const { tasks } = await openTasks({}, engine)
    for (let i = 0; i < 50; i++) await tasks.create({ title: `t${i}`, priority: (['low', 'high'] as const)[i % 2]! })
    for (const query of [READY, READY_FOR_AGENT, READY_UNCLAIMED]) {
      // Parameters left unbound are NULL: the plan does not depend on them.
      const { rows } = await sql.raw<{ detail: string }>(`EXPLAIN QUERY PLAN ${query.sql}`).execute(tasks.kysely)
      // The counters kept by triggers (migration 0013) replace the probes per candidate;
      // claimNext's query adds one covering-index probe: it hands out leaf tasks only.
      const walk = ['SCAN t USING INDEX tasks_ready_walk_idx']
      const leafProbe = ['CORRELATED SCALAR SUBQUERY 1', 'SEARCH k USING COVERING INDEX tasks_children_idx (parent_id=?)']
      expect(rows.map((r) => r.detail)).toEqual(query === READY_UNCLAIMED ? [...walk, ...leafProbe] : walk)
    }
  })
})

describe.each(TASKS_ENGINES)('blockers (%s)', (engine) => {
  it('lists direct (and inherited) blockers, or all of them transitively', async () => {
    const { tasks } = await openTasks({}, engine)
    const a = await tasks.create({ title: 'a' })
    const b = await tasks.create({ title: 'b', dependsOn: [a.id] })
    const c = await tasks.create({ title: 'c', dependsOn: [b.id] })
    const sub = await tasks.create({ title: 'sub', parentId: c.id })
    const ids = (list: Array<{ id: string }>) => list.map((t) => t.id)
    expect(ids(await tasks.dependencies.blockers(c.id))).toEqual([b.id])
    expect(ids(await tasks.dependencies.blockers(c.id, { transitive: true }))).toEqual([a.id, b.id])
    expect(ids(await tasks.dependencies.blockers(sub.id))).toEqual([b.id])
    await tasks.update(a.id, { status: 'active' })
    await tasks.update(a.id, { status: 'done' })
    expect(ids(await tasks.dependencies.blockers(c.id, { transitive: true }))).toEqual([b.id])
    expect(await tasks.dependencies.blockers(a.id)).toEqual([])
  })
})

describe.skipIf(POSTGRES_URL === null)('dependency cycles across hosts (PostgreSQL)', () => {
  it('two hosts adding opposite edges at once: one edge is added, the other is CYCLE, every round', async () => {
    // SERIALIZABLE: whichever commits second sees the first edge (its check-then-insert is
    // retried whole after the serialization failure) and refuses the cycle. Whatever the
    // interleaving, never both edges.
    const [a, b] = (await openTasksSharingSchema(2, { busyTimeoutMs: 60_000 })).repos
    for (let round = 0; round < 8; round++) {
      const x = await a!.create({ title: `x${round}` })
      const y = await a!.create({ title: `y${round}` })
      const outcomes = await Promise.allSettled([a!.dependencies.add(x.id, y.id), b!.dependencies.add(y.id, x.id)])
      const added = outcomes.filter((o) => o.status === 'fulfilled')
      const refused = outcomes.filter((o): o is PromiseRejectedResult => o.status === 'rejected')
      expect(added, `round ${round}`).toHaveLength(1)
      expect(refused.map((o) => (o.reason as { code?: string }).code)).toEqual(['CYCLE'])
      const edges = [...(await a!.dependencies.list(x.id)), ...(await a!.dependencies.list(y.id))]
      expect(edges).toHaveLength(1)
    }
  }, 120_000)
})
