/**
 * Ready work as an index walk (issue 19, item 3): the counters kept by triggers
 * (`unresolved_blockers`, `open_children`, `held_by_ancestors`) always equal what
 * the graph says, whatever sequence of writes made it — through the repository or
 * raw SQL — and `ready()` returns exactly what the recursive definition returns:
 * a task waits for its own unresolved dependencies (target neither done nor
 * cancelled; an archived pending target still blocks) and its ancestors', and a
 * parent waits for its open children.
 */
import { join } from 'node:path'

import fc from 'fast-check'
import { sql } from 'kysely'
import { describe, expect, it } from 'vitest'

import { isCleoStoreError } from '../../src/sqlite/errors.js'
import { openDatabase } from '../../src/sqlite/open-database.js'
import { READY, READY_FOR_AGENT, READY_UNCLAIMED } from '../../src/tasks/task-dependencies.js'
import { TasksRepository } from '../../src/tasks/index.js'
import { TASKS_STORE } from '../../src/tasks/tasks.store.js'
import type { TaskStatus } from '../../src/tasks/index.js'
import { tempDir } from '../helpers.js'
import { openTasks, TASKS_ENGINES, execSql } from './open-tasks.js'

/** The counters recomputed from the graph, for every task whose stored ones differ. */
const COUNTER_DRIFT = sql<{ id: string }>`
  WITH expected AS (
    SELECT t.id,
      (SELECT count(*) FROM task_dependencies AS d JOIN tasks AS b ON b.id = d.depends_on
        WHERE d.task_id = t.id AND b.status NOT IN ('done', 'cancelled')) AS blockers,
      (SELECT count(*) FROM tasks AS c WHERE c.parent_id = t.id AND c.status NOT IN ('done', 'cancelled') AND c.archived_at IS NULL) AS children,
      (WITH RECURSIVE up(id) AS (SELECT t.parent_id UNION ALL SELECT p.parent_id FROM up JOIN tasks AS p ON p.id = up.id WHERE p.parent_id IS NOT NULL)
        SELECT count(*) FROM up JOIN tasks AS a ON a.id = up.id
        WHERE EXISTS (SELECT 1 FROM task_dependencies AS d JOIN tasks AS b ON b.id = d.depends_on
          WHERE d.task_id = a.id AND b.status NOT IN ('done', 'cancelled'))) AS held
    FROM tasks AS t)
  SELECT t.id, t.unresolved_blockers, e.blockers, t.open_children, e.children, t.held_by_ancestors, e.held
  FROM tasks AS t JOIN expected AS e ON e.id = t.id
  WHERE t.unresolved_blockers <> e.blockers OR t.open_children <> e.children OR t.held_by_ancestors <> e.held`

/** The ready work by its recursive definition (the query of releases before 0013). */
const READY_BY_DEFINITION = sql<{ id: string }>`
  SELECT t.id FROM tasks AS t
  WHERE t.status IN ('pending', 'active') AND t.archived_at IS NULL
    AND NOT EXISTS (SELECT 1 FROM task_dependencies AS d JOIN tasks AS b ON b.id = d.depends_on
      WHERE d.task_id = t.id AND b.status NOT IN ('done', 'cancelled'))
    AND NOT EXISTS (
      WITH RECURSIVE up(id) AS (SELECT t.parent_id UNION SELECT p.parent_id FROM tasks AS p JOIN up ON p.id = up.id WHERE p.parent_id IS NOT NULL)
      SELECT 1 FROM up JOIN task_dependencies AS d ON d.task_id = up.id JOIN tasks AS b ON b.id = d.depends_on
      WHERE b.status NOT IN ('done', 'cancelled'))
    AND NOT EXISTS (SELECT 1 FROM tasks AS c WHERE c.parent_id = t.id AND c.status NOT IN ('done', 'cancelled') AND c.archived_at IS NULL)
  ORDER BY CASE t.priority WHEN 'critical' THEN 0 WHEN 'high' THEN 1 WHEN 'medium' THEN 2 ELSE 3 END, t.created_at, t.seq`

const N = 10
const index = fc.integer({ min: 0, max: N - 1 })
const STATUSES: readonly TaskStatus[] = ['pending', 'active', 'blocked', 'done', 'cancelled']
const command = fc.oneof(
  fc.record({ op: fc.constant('depend' as const), a: index, b: index }),
  fc.record({ op: fc.constant('depend' as const), a: fc.constantFrom(0, 1, 2, 3), b: index }),
  // Tasks 2…5 sit under the epics and hold subtasks 6 and 7: move them between epics.
  fc.record({ op: fc.constant('reparent' as const), a: fc.integer({ min: 2, max: 5 }), b: fc.constantFrom(0, 1, null) }),
  fc.record({ op: fc.constant('undepend' as const), a: index, b: index }),
  fc.record({ op: fc.constant('status' as const), a: index, status: fc.constantFrom(...STATUSES) }),
  fc.record({ op: fc.constant('rawStatus' as const), a: index, status: fc.constantFrom(...STATUSES) }),
  fc.record({ op: fc.constant('reparent' as const), a: index, b: fc.option(index, { nil: null }) }),
  fc.record({ op: fc.constant('archive' as const), a: index }),
  fc.record({ op: fc.constant('restore' as const), a: index }),
  fc.record({ op: fc.constant('rawDelete' as const), a: index }),
)

/** Refusals the repository may give for a random command; anything else fails the test. */
const REFUSED = new Set(['CYCLE', 'INVARIANT', 'NOT_FOUND', 'CONFLICT', 'VALIDATION', 'CONSTRAINT'])

describe.each(TASKS_ENGINES)('ready counters kept by triggers (%s)', (engine) => {
  it('equal the graph after any sequence of writes, and ready() equals its recursive definition', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(command, { minLength: 5, maxLength: 30 }), async (commands) => {
        const { tasks } = await openTasks({}, engine)
        const epic = await tasks.create({ title: 'epic', type: 'epic' })
        const epic2 = await tasks.create({ title: 'epic 2', type: 'epic' })
        const ids: string[] = [epic.id, epic2.id]
        for (let i = 2; i < N; i++) {
          const parentId = i < 6 ? ids[i % 2] : i < 8 ? ids[2 + (i % 4)] : undefined
          const t = await tasks.create({ title: `t${i}`, parentId, priority: (['critical', 'high', 'medium', 'low'] as const)[i % 4] })
          ids.push(t.id)
        }
        for (const c of commands) {
          const a = ids[c.a]!
          try {
            switch (c.op) {
              case 'depend':
                await tasks.dependencies.add(a, ids[c.b]!)
                break
              case 'undepend':
                await tasks.dependencies.remove(a, ids[c.b]!)
                break
              case 'status':
                await tasks.update(a, { status: c.status })
                break
              case 'rawStatus': // a writer that bypasses the repository's rules
                await execSql(tasks, sql`UPDATE tasks SET status = ${c.status},
                    completed_at = CASE WHEN ${c.status} = 'done' THEN 1 END,
                    cancelled_at = CASE WHEN ${c.status} = 'cancelled' THEN 1 END WHERE id = ${a}`)
                break
              case 'reparent':
                await tasks.reparent(a, c.b === null ? null : ids[c.b]!)
                break
              case 'archive':
                await tasks.archive(a)
                break
              case 'restore':
                await tasks.restore(a)
                break
              case 'rawDelete': // edges cascade; a task with children is refused by the foreign key
                await execSql(tasks, sql`DELETE FROM tasks WHERE id = ${a}`)
                break
            }
          } catch (error) {
            if (!isCleoStoreError(error) || !REFUSED.has(error.code)) throw error
          }
        }
        const drift = (await execSql(tasks, COUNTER_DRIFT)).rows
        expect(drift).toEqual([])
        const expected = (await execSql(tasks, READY_BY_DEFINITION)).rows.map((r) => r.id)
        expect((await tasks.dependencies.ready({ limit: 100 })).items.map((t) => t.id)).toEqual(expected)
      }),
      { numRuns: 40 },
    )
  })

  it('done and cancelled blockers release; an archived pending blocker still blocks; a parent waits for open children', async () => {
    const { tasks } = await openTasks({}, engine)
    const blocker = await tasks.create({ title: 'blocker' })
    const epic = await tasks.create({ title: 'epic', type: 'epic', dependsOn: [blocker.id] })
    const child = await tasks.create({ title: 'child', parentId: epic.id })
    const sub = await tasks.create({ title: 'sub', type: 'subtask', parentId: child.id })
    const ready = async () => (await tasks.dependencies.ready()).items.map((t) => t.id)
    expect(await ready()).toEqual([blocker.id]) // sub is held by epic's blocker; child and epic have open children
    await tasks.update(blocker.id, { status: 'cancelled' })
    expect(await ready()).toEqual([sub.id])
    await tasks.update(blocker.id, { status: 'pending' })
    expect(await ready()).toEqual([blocker.id])
    // Archived by a writer that keeps the edge (the repository asks for force: true and drops it).
    await execSql(tasks, sql`UPDATE tasks SET archived_at = 1, archive_reason = 'deleted' WHERE id = ${blocker.id}`)
    expect(await ready()).toEqual([])
    await execSql(tasks, sql`UPDATE tasks SET archived_at = NULL, archive_reason = NULL WHERE id = ${blocker.id}`)
    await tasks.update(blocker.id, { status: 'active' })
    await tasks.update(blocker.id, { status: 'done' })
    expect(await ready()).toEqual([sub.id])
    await tasks.update(sub.id, { status: 'active' })
    await tasks.update(sub.id, { status: 'done' })
    expect(await ready()).toEqual([child.id])
  })

  // SQLite only: a tasks.db file migrated up to 0012 (PostgreSQL starts from the head schema).
  it.skipIf(engine === 'postgres')('an existing database is backfilled by the migration', async () => {
    const dir = tempDir()
    const file = join(dir, 'tasks.db')
    const before = Object.fromEntries(Object.entries(TASKS_STORE.migrations).filter(([name]) => name < '0013'))
    const db = await openDatabase(file, { store: { ...TASKS_STORE, migrations: before } })
    await sql`INSERT INTO tasks (seq, id, title, status, type, parent_id, created_at, updated_at, completed_at) VALUES
      (1, 'T1', 'blocker', 'pending', 'task', NULL, 1, 1, NULL),
      (2, 'T2', 'epic', 'pending', 'epic', NULL, 2, 2, NULL),
      (3, 'T3', 'child', 'pending', 'task', 'T2', 3, 3, NULL),
      (4, 'T4', 'sub', 'pending', 'subtask', 'T3', 4, 4, NULL),
      (5, 'T5', 'done', 'done', 'task', NULL, 5, 5, 5),
      (6, 'T6', 'free', 'pending', 'task', NULL, 6, 6, NULL)`.execute(db.kysely)
    await sql`INSERT INTO task_dependencies (task_id, depends_on, created_at) VALUES ('T2', 'T1', 1), ('T6', 'T5', 1)`.execute(db.kysely)
    await db.close()
    const tasks = await TasksRepository.open(file)
    try {
      const rows = await sql<{ id: string; u: number; o: number; h: number }>`
        SELECT id, unresolved_blockers AS u, open_children AS o, held_by_ancestors AS h FROM tasks ORDER BY seq`.execute(tasks.kysely)
      expect(rows.rows.map((r) => [r.id, r.u, r.o, r.h])).toEqual([
        ['T1', 0, 0, 0],
        ['T2', 1, 1, 0],
        ['T3', 0, 1, 1],
        ['T4', 0, 0, 1],
        ['T5', 0, 0, 0],
        ['T6', 0, 0, 0],
      ])
      expect((await tasks.dependencies.ready()).items.map((t) => t.id)).toEqual(['T1', 'T6'])
    } finally {
      await tasks.close()
    }
  })

  // SQLite only: asserts SQLite's EXPLAIN QUERY PLAN.
  it.skipIf(engine === 'postgres')('the ready queries walk only the ready index: no probe per candidate (but the leaf check of claimNext), no sort', async () => {
    const { tasks } = await openTasks({}, engine)
    const plan = async (query: { sql: string }) =>
      (await sql.raw<{ detail: string }>(`EXPLAIN QUERY PLAN ${query.sql}`).execute(tasks.kysely)).rows.map((r) => r.detail)
    for (const query of [READY, READY_FOR_AGENT]) expect(await plan(query)).toEqual(['SCAN t USING INDEX tasks_ready_walk_idx'])
    // claimNext hands out leaf work only: one covering-index probe per candidate for "has it any child?".
    expect(await plan(READY_UNCLAIMED)).toEqual([
      'SCAN t USING INDEX tasks_ready_walk_idx',
      'CORRELATED SCALAR SUBQUERY 1',
      'SEARCH k USING COVERING INDEX tasks_children_idx (parent_id=?)',
    ])
  })
})
