/**
 * Graph primitives shared by the task aggregates, as steps of a `read`,
 * `snapshot` or `write` body: ancestors and subtrees of the task tree
 * (recursive CTEs), and adding a dependency edge with the cycle check run in the
 * same transaction as the insert. Internal to the store.
 *
 * @module
 */
import { sql } from 'kysely'

import { template } from '../sqlite/query-template.js'
import type { Step } from '../sqlite/store-engine.js'
import type { TasksContext, TasksExecutor } from './tasks-context.js'
import { idSeed } from './task-sql.js'
import type { TaskType } from './tasks.enums.js'
import type { TasksDatabase } from './tasks.tables.js'

/** Recursion guard of the tree walks (the tree is at most `maxDepth` deep; this only stops corrupt data). */
const MAX_WALK = 1000

/** `id`, its parent, its parent's parent, … with their distance from `id` (0 = itself). */
const ANCESTORS = template<TasksDatabase, { id: string; max: number }>()((db, p) =>
  db
    .withRecursive('up(id, parent_id, type, depth)', (qb) =>
      qb
        .selectFrom('tasks')
        .select(['id', 'parent_id', 'type', sql<number>`0`.as('depth')])
        .where('id', '=', p('id'))
        .unionAll((qb2) =>
          qb2
            .selectFrom('up')
            .crossJoin('tasks as t')
            .whereRef('t.id', '=', 'up.parent_id')
            .select(['t.id', 't.parent_id', 't.type', sql<number>`up.depth + 1`.as('depth')])
            .where('up.depth', '<', p('max')),
        ),
    )
    .selectFrom('up')
    .select(['id', 'parent_id', 'type', 'depth'])
    .orderBy('depth'),
)

/**
 * `id` and every descendant, with their distance below `id`. Every join starts from
 * the walk (`CROSS JOIN` fixes the order): the planner otherwise read all tasks in
 * id order to probe the walk (O(n), 26 ms at 100k tasks).
 */
const SUBTREE = template<TasksDatabase, { id: string; max: number }>()((db, p) =>
  db
    .withRecursive('down(id, depth)', (qb) =>
      qb
        .selectFrom('tasks')
        .select(['id', sql<number>`0`.as('depth')])
        .where('id', '=', p('id'))
        .unionAll((qb2) =>
          qb2
            .selectFrom('down')
            .crossJoin('tasks as t')
            .whereRef('t.parent_id', '=', 'down.id')
            .select(['t.id', sql<number>`down.depth + 1`.as('depth')])
            .where('down.depth', '<', p('max')),
        ),
    )
    .selectFrom('down')
    .crossJoin('tasks')
    .whereRef('tasks.id', '=', 'down.id')
    .select(['tasks.id', 'tasks.type', 'tasks.archived_at', 'tasks.status', 'down.depth'])
    .orderBy('down.depth')
    .orderBy('tasks.seq'),
)

/** One row of a tree walk. */
export interface TreeNode {
  readonly id: string
  readonly type: TaskType
  readonly depth: number
}

/** `id` first, then its ancestors up to the root. Empty when `id` does not exist. */
export function* ancestorChain(x: TasksExecutor, id: string): Step<Array<TreeNode & { parent_id: string | null }>> {
  return yield* x.all(ANCESTORS, { id, max: MAX_WALK })
}

/** `id` first, then its descendants, breadth-first. */
export function* subtree(
  x: TasksExecutor,
  id: string,
): Step<Array<TreeNode & { archived_at: number | null; status: string }>> {
  return yield* x.all(SUBTREE, { id, max: MAX_WALK })
}

/** The level of `id` in the tree: 0 for a root task. */
export function* levelOf(x: TasksExecutor, id: string): Step<number> {
  const chain = yield* ancestorChain(x, id)
  return Math.max(0, chain.length - 1)
}

// ── dependencies ───────────────────────────────────────────────────────────────

/** Does `to` reach `from` by following depends_on edges? One recursive CTE, each node visited once. */
const REACHES = template<TasksDatabase, { start: string; target: string }>()((db, p, dialect) =>
  db
    .withRecursive('reach(id)', (qb) =>
      qb
        .selectNoFrom(idSeed(p('start'), dialect).as('id'))
        .union((qb2) =>
          qb2
            .selectFrom('task_dependencies as d')
            .innerJoin('reach', 'reach.id', 'd.task_id')
            .select('d.depends_on as id'),
        ),
    )
    .selectFrom('reach')
    .select(sql<number>`1`.as('hit'))
    .where('reach.id', '=', p('target'))
    .limit(1),
)

const OUT_EDGES = template<TasksDatabase, { id: string }>()((db, p) =>
  db.selectFrom('task_dependencies').select('depends_on').where('task_id', '=', p('id')).orderBy('depends_on'),
)

const INSERT_DEPENDENCY = template<TasksDatabase, { task_id: string; depends_on: string; created_at: number }>()((db, p) =>
  db
    .insertInto('task_dependencies')
    .values({ task_id: p('task_id'), depends_on: p('depends_on'), created_at: p('created_at') })
    .onConflict((oc) => oc.doNothing()),
)

/** The path `from → … → to` along depends_on edges (breadth-first, so a shortest one). */
function* dependencyPath(x: TasksExecutor, from: string, to: string): Step<string[]> {
  const previous = new Map<string, string | null>([[from, null]])
  const queue = [from]
  while (queue.length > 0) {
    const node = queue.shift()!
    if (node === to) break
    for (const { depends_on: next } of yield* x.all(OUT_EDGES, { id: node })) {
      if (previous.has(next)) continue
      previous.set(next, node)
      queue.push(next)
    }
  }
  const path: string[] = []
  for (let at: string | null | undefined = to; at != null; at = previous.get(at)) path.unshift(at)
  return path
}

/**
 * Adds the edge `taskId depends on dependsOn` inside the current write
 * transaction. Refuses with `CYCLE` (naming the path) when `dependsOn` already
 * reaches `taskId`. Both tasks must exist (the caller checks). Returns false when
 * the edge already existed.
 */
export function* insertDependency(x: TasksExecutor, ctx: TasksContext, taskId: string, dependsOn: string, at: number): Step<boolean> {
  if (taskId === dependsOn) {
    throw ctx.error('CYCLE', `task ${taskId} cannot depend on itself`, { path: [taskId, taskId] })
  }
  if ((yield* x.get(REACHES, { start: dependsOn, target: taskId })) !== undefined) {
    const path = [taskId, ...(yield* dependencyPath(x, dependsOn, taskId))]
    throw ctx.error('CYCLE', `${taskId} depending on ${dependsOn} would close a cycle: ${path.join(' → ')}`, { path })
  }
  return (yield* x.run(INSERT_DEPENDENCY, { task_id: taskId, depends_on: dependsOn, created_at: at })).changes > 0
}
