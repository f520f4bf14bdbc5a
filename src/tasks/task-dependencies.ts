/**
 * Dependencies between tasks and the work that is ready: `tasks.dependencies`.
 *
 * @module
 */
import type { Kysely } from 'kysely'
import { sql } from 'kysely'

import { toIso } from '../sqlite/clock.js'
import type { SqlDialect } from '../sqlite/query-template.js'
import { template } from '../sqlite/query-template.js'
import type { IterateFilter, Page } from '../sqlite/paging.js'
import { iteratePages } from '../sqlite/paging.js'
import { insertDependency } from './task-graph.js'
import { idSeed } from './task-sql.js'
import type { Task } from './task.types.js'
import type { TaskRow } from './task-rows.js'
import { requireTaskRow, toTask } from './task-rows.js'
import type { TasksContext } from './tasks-context.js'
import { decodeCursor, encodeCursor } from './tasks-context.js'
import type {
  TaskMutationOptions,
  TaskReadyQuery,
} from './tasks.types.js'
import { TaskMutationOptionsSchema, TaskReadyQuerySchema, TaskIdSchema, TasksNameSchema } from './tasks.schemas.js'
import type { TasksDatabase } from './tasks.tables.js'

/**
 * One dependency edge: `taskId` cannot start before `dependsOn` is done or
 * cancelled.
 *
 * @example
 * ```ts
 * const [edge] = await tasks.dependencies.list('T2') // { taskId: 'T2', dependsOn: 'T1', satisfied: false, … }
 * ```
 */
export interface TaskDependency {
  readonly taskId: string
  readonly dependsOn: string
  /** True when `dependsOn` is done or cancelled. */
  readonly satisfied: boolean
  /** ISO-8601 UTC. */
  readonly createdAt: string
}

/** A dependency is unsatisfied while its target is not done or cancelled (archiving keeps the status). */
const UNSATISFIED = sql<boolean>`b.status NOT IN ('done', 'cancelled')`

/**
 * The ready work: workable (pending or active, not archived), no unsatisfied
 * dependency of its own or of an ancestor, no open child, ordered by priority then
 * age. The three conditions are counters kept by triggers (migration 0013), and the
 * partial index `tasks_ready_walk_idx` holds exactly the tasks where all are 0: the
 * query walks it in order and stops at the limit, reading no row it does not
 * return (with `agent`, it also steps over tasks under another agent's claim).
 */
function readyQuery(claims: 'any' | 'not-others' | 'none') {
  return template<TasksDatabase, { limit: number; now: number; agent: string | null }>()((db, p, dialect) => {
    const q = readyWhere(db, claims, p).limit(p('limit'))
    // What claimNext may take, on PostgreSQL: lock the picked task and step over the
    // ones other hosts are claiming right now (their transactions hold the row), so
    // concurrent claimers never take the same task nor wait on each other.
    return claims === 'none' && dialect === 'postgres' ? q.forUpdate().skipLocked() : q
  })
}

/** The ready query in pages: after the keyset position (priority rank, created at, seq) of the last task seen. */
function readyPageQuery(claims: 'any' | 'not-others') {
  return template<TasksDatabase, { limit: number; now: number; agent: string | null; rank: number; created: number; seq: number }>()((db, p) =>
    readyWhere(db, claims, p)
      .where(sql<boolean>`(t.priority_rank, t.created_at, t.seq) > (${p('rank')}, ${p('created')}, ${p('seq')})`)
      .limit(p('limit')),
  )
}

function readyWhere(db: Kysely<TasksDatabase>, claims: 'any' | 'not-others' | 'none', p: (name: 'now' | 'agent') => any) {
  // Literals, not parameters: the planner matches them against the partial index.
  let q = db
    .selectFrom('tasks as t')
    .selectAll('t')
    .where(sql<boolean>`t.workable = 1 AND t.unresolved_blockers = 0 AND t.open_children = 0 AND t.held_by_ancestors = 0`)
  if (claims === 'not-others') {
    q = q.where((eb) =>
      eb.or([eb('t.claimed_by', 'is', null), eb('t.claim_expires_at', '<=', p('now')), eb('t.claimed_by', '=', p('agent'))]),
    )
  } else if (claims === 'none') {
    q = q.where((eb) => eb.or([eb('t.claimed_by', 'is', null), eb('t.claim_expires_at', '<=', p('now'))]))
    // claimNext hands out leaf work only: a task with children (even finished or archived ones) is a container.
    q = q.where(({ not, exists, selectFrom }) => not(exists(selectFrom('tasks as k').select(sql`1`.as('x')).whereRef('k.parent_id', '=', 't.id'))))
  }
  return q.orderBy('t.priority_rank').orderBy('t.created_at').orderBy('t.seq')
}

/** @internal The ready query without claim filtering (exported for the query-plan test). */
export const READY = readyQuery('any')
/** @internal The ready query skipping tasks under another agent's live claim. */
export const READY_FOR_AGENT = readyQuery('not-others')
/**
 * @internal The ready query skipping every task under a live claim and every task
 * with children (what `claimNext` may take); on PostgreSQL `FOR UPDATE SKIP LOCKED`.
 */
export const READY_UNCLAIMED = readyQuery('none')
const READY_PAGE = readyPageQuery('any')
const READY_PAGE_FOR_AGENT = readyPageQuery('not-others')

const DEPENDENCIES_OF = template<TasksDatabase, { id: string }>()((db, p) =>
  db
    .selectFrom('task_dependencies as d')
    .innerJoin('tasks as b', 'b.id', 'd.depends_on')
    .select(['d.task_id', 'd.depends_on', 'd.created_at', sql<number | boolean>`NOT (${UNSATISFIED})`.as('satisfied')])
    .where('d.task_id', '=', p('id'))
    .orderBy('b.seq'),
)

const DEPENDENTS_OF = template<TasksDatabase, { id: string }>()((db, p) =>
  db
    .selectFrom('task_dependencies as d')
    .innerJoin('tasks as a', 'a.id', 'd.task_id')
    .innerJoin('tasks as b', 'b.id', 'd.depends_on')
    .select(['d.task_id', 'd.depends_on', 'd.created_at', sql<number | boolean>`NOT (${UNSATISFIED})`.as('satisfied')])
    .where('d.depends_on', '=', p('id'))
    .orderBy('a.seq'),
)

/** The task and its ancestors (a subtask inherits what its parents wait for). */
function selfAndAncestors(db: Kysely<TasksDatabase>, id: string, dialect: SqlDialect) {
  return db.withRecursive('up(id)', (qb) =>
    qb.selectNoFrom(idSeed(id, dialect).as('id')).union((qb2) =>
      qb2
        .selectFrom('up')
        .crossJoin('tasks as p')
        .whereRef('p.id', '=', 'up.id')
        .select('p.parent_id as id')
        .where('p.parent_id', 'is not', null)
        .$narrowType<{ id: string }>(),
    ),
  )
}

/**
 * The unfinished tasks that `id` or one of its ancestors depends on directly.
 * `CROSS JOIN` fixes the join order — the few ancestors, then their edges, then
 * each target by primary key: with statistics the planner preferred scanning every
 * task and probing the edge index (`SCAN b`), 64 ms at 100k tasks.
 */
const DIRECT_BLOCKERS = template<TasksDatabase, { id: string }>()((db, p, dialect) =>
  selfAndAncestors(db, p('id'), dialect)
    .selectFrom('up')
    .crossJoin('task_dependencies as d')
    .crossJoin('tasks as b')
    .whereRef('d.task_id', '=', 'up.id')
    .whereRef('b.id', '=', 'd.depends_on')
    .selectAll('b')
    .distinct()
    .where(UNSATISFIED)
    .orderBy('b.seq'),
)

/**
 * Every unfinished task `id` waits for, directly, through its ancestors, or through
 * other unfinished ones. Each step starts from the rows found so far (`CROSS JOIN`),
 * so the cost follows the blockers, not the table.
 */
const TRANSITIVE_BLOCKERS = template<TasksDatabase, { id: string }>()((db, p, dialect) =>
  selfAndAncestors(db, p('id'), dialect)
    .withRecursive('blocking(id)', (qb) =>
      qb
        .selectFrom('up')
        .crossJoin('task_dependencies as d')
        .crossJoin('tasks as b')
        .whereRef('d.task_id', '=', 'up.id')
        .whereRef('b.id', '=', 'd.depends_on')
        .select('d.depends_on as id')
        .where(UNSATISFIED)
        .union((qb2) =>
          qb2
            .selectFrom('blocking')
            .crossJoin('task_dependencies as d')
            .crossJoin('tasks as b')
            .whereRef('d.task_id', '=', 'blocking.id')
            .whereRef('b.id', '=', 'd.depends_on')
            .select('d.depends_on as id')
            .where(UNSATISFIED),
        ),
    )
    // Probe tasks by id for each blocker (a join let the planner scan tasks instead).
    .selectFrom('tasks')
    .selectAll('tasks')
    .where('tasks.id', 'in', (qb) => qb.selectFrom('blocking').select('blocking.id'))
    .orderBy('tasks.seq'),
)

const EDGE = template<TasksDatabase, { task_id: string; depends_on: string }>()((db, p) =>
  db
    .selectFrom('task_dependencies')
    .select('created_at')
    .where('task_id', '=', p('task_id'))
    .where('depends_on', '=', p('depends_on')),
)

const DELETE_DEPENDENCY = template<TasksDatabase, { task_id: string; depends_on: string }>()((db, p) =>
  db
    .deleteFrom('task_dependencies')
    .where('task_id', '=', p('task_id'))
    .where('depends_on', '=', p('depends_on'))
    .returning('created_at'),
)

function toDependency(row: { task_id: string; depends_on: string; created_at: number; satisfied: number | boolean }): TaskDependency {
  // `NOT (…)` is 0/1 on SQLite, a boolean on PostgreSQL.
  return { taskId: row.task_id, dependsOn: row.depends_on, satisfied: row.satisfied === 1 || row.satisfied === true, createdAt: toIso(row.created_at) }
}

/**
 * Dependency edges and ready work of tasks.db, as `tasks.dependencies`.
 *
 * A dependency is satisfied when its target is `done` or `cancelled`. Adding an
 * edge that would close a cycle is refused with `CYCLE`, checked by a recursive
 * query in the insert's own transaction (CLEO only found cycles afterwards).
 *
 * @example
 * ```ts
 * await tasks.dependencies.add('T2', 'T1')       // T2 waits for T1
 * await tasks.dependencies.add('T1', 'T2')       // CYCLE: T1 → T2 → T1
 * const ready = await tasks.dependencies.ready() // T1 first; T2 once T1 is done
 * ```
 */
export class TaskDependencies {
  readonly #ctx: TasksContext

  /** @internal Created by the repository. */
  constructor(ctx: TasksContext) {
    this.#ctx = ctx
  }

  /**
   * Records that `taskId` depends on `dependsOn`. `NOT_FOUND` for an unknown task,
   * `CYCLE` (with `details.path`) when `dependsOn` already waits for `taskId`,
   * `INVARIANT` for an archived task. Adding an existing edge changes nothing.
   *
   * @example
   * ```ts
   * const edge = await tasks.dependencies.add('T2', 'T1', { actor: 'planner' })
   * ```
   */
  async add(taskId: string, dependsOn: string, options: TaskMutationOptions = {}): Promise<TaskDependency> {
    const ctx = this.#ctx
    const from = ctx.parse(TaskIdSchema, taskId, 'tasks.dependencies.add')
    const to = ctx.parse(TaskIdSchema, dependsOn, 'tasks.dependencies.add')
    ctx.parse(TaskMutationOptionsSchema, options, 'tasks.dependencies.add')
    const who = ctx.actor(options, 'tasks.dependencies.add')
    return ctx.engine.write(function* (x) {
      const now = ctx.now()
      const source = yield* requireTaskRow(x, ctx, from)
      const target = yield* requireTaskRow(x, ctx, to)
      for (const row of [source, target]) {
        if (row.archived_at !== null) {
          throw ctx.error('INVARIANT', `task ${row.id} is archived; restore it before linking it`, { id: row.id })
        }
      }
      let createdAt = now
      if (yield* insertDependency(x, ctx, from, to, now)) {
        yield* ctx.audit(
          x,
          who,
          { action: 'dependency.add', entityType: 'dependency', entityId: `${from}->${to}`, taskId: from, after: { taskId: from, dependsOn: to } },
          now,
        )
      } else {
        createdAt = (yield* x.get(EDGE, { task_id: from, depends_on: to }))!.created_at
      }
      const satisfied = target.status === 'done' || target.status === 'cancelled'
      return { taskId: from, dependsOn: to, satisfied, createdAt: toIso(createdAt) }
    })
  }

  /**
   * Removes the edge; `NOT_FOUND` when there is none.
   *
   * @example
   * ```ts
   * await tasks.dependencies.remove('T2', 'T1')
   * ```
   */
  async remove(taskId: string, dependsOn: string, options: TaskMutationOptions = {}): Promise<void> {
    const ctx = this.#ctx
    const from = ctx.parse(TaskIdSchema, taskId, 'tasks.dependencies.remove')
    const to = ctx.parse(TaskIdSchema, dependsOn, 'tasks.dependencies.remove')
    ctx.parse(TaskMutationOptionsSchema, options, 'tasks.dependencies.remove')
    const who = ctx.actor(options, 'tasks.dependencies.remove')
    await ctx.engine.write(function* (x) {
      const removed = yield* x.get(DELETE_DEPENDENCY, { task_id: from, depends_on: to })
      if (removed === undefined) throw ctx.notFound('dependency', `${from}->${to}`)
      yield* ctx.audit(x, who, {
        action: 'dependency.remove',
        entityType: 'dependency',
        entityId: `${from}->${to}`,
        taskId: from,
        before: { taskId: from, dependsOn: to, createdAt: toIso(removed.created_at) },
      })
    })
  }

  /**
   * What `taskId` depends on, with whether each is satisfied.
   *
   * @example
   * ```ts
   * const open = (await tasks.dependencies.list('T2')).filter((d) => !d.satisfied)
   * ```
   */
  async list(taskId: string): Promise<TaskDependency[]> {
    const ctx = this.#ctx
    const id = ctx.parse(TaskIdSchema, taskId, 'tasks.dependencies.list')
    const rows = await ctx.engine.snapshot(function* (x) {
      yield* requireTaskRow(x, ctx, id)
      return yield* x.all(DEPENDENCIES_OF, { id })
    })
    return rows.map(toDependency)
  }

  /**
   * The tasks that depend on `taskId`.
   *
   * @example
   * ```ts
   * await tasks.dependencies.dependents('T1') // [{ taskId: 'T2', dependsOn: 'T1', … }]
   * ```
   */
  async dependents(taskId: string): Promise<TaskDependency[]> {
    const ctx = this.#ctx
    const id = ctx.parse(TaskIdSchema, taskId, 'tasks.dependencies.dependents')
    const rows = await ctx.engine.snapshot(function* (x) {
      yield* requireTaskRow(x, ctx, id)
      return yield* x.all(DEPENDENTS_OF, { id })
    })
    return rows.map(toDependency)
  }

  /**
   * The unfinished tasks `taskId` waits for: the unsatisfied dependencies of the
   * task and of its ancestors (a subtask waits for what its parents wait for), or
   * with `transitive: true` also every unfinished task on a path of unfinished
   * dependencies from those.
   *
   * @example
   * ```ts
   * const blockers = await tasks.dependencies.blockers('T5', { transitive: true })
   * ```
   */
  async blockers(taskId: string, options: { transitive?: boolean } = {}): Promise<Task[]> {
    const ctx = this.#ctx
    const id = ctx.parse(TaskIdSchema, taskId, 'tasks.dependencies.blockers')
    const rows: TaskRow[] = await ctx.engine.snapshot(function* (x) {
      yield* requireTaskRow(x, ctx, id)
      return yield* x.all(options.transitive ? TRANSITIVE_BLOCKERS : DIRECT_BLOCKERS, { id })
    })
    return rows.map((row) => toTask(row, ctx))
  }

  /**
   * The ready work: tasks that are pending or active, not archived, with every
   * dependency satisfied — their own and their ancestors' (a subtask waits for
   * what its parent waits for) — and no unfinished child (a parent's work is its
   * children), ordered by priority (critical first), then age (oldest first).
   * With `agent`, tasks under another agent's live claim are left out.
   *
   * One indexed query: it walks the partial index `tasks_ready_walk_idx` (only the
   * tasks with nothing to wait for, kept by triggers in every write's transaction)
   * in order and stops at `limit`: its cost follows the limit, not the table.
   *
   * Paged like every list: `{ items, nextCursor }`; pass `nextCursor` as `cursor`
   * for the next page (work that became ready behind the cursor's position is not
   * revisited: start again without a cursor to see it).
   *
   * @example
   * ```ts
   * const { items } = await tasks.dependencies.ready({ limit: 5 })
   * for (const task of items) console.log(task.id, task.priority)
   * ```
   */
  async ready(query: TaskReadyQuery = {}): Promise<Page<Task>> {
    const ctx = this.#ctx
    const q = ctx.parse(TaskReadyQuerySchema, query, 'tasks.dependencies.ready')
    const limit = q.limit ?? 100
    const args = { limit: limit + 1, now: ctx.now(), agent: q.agent ?? null }
    let rows
    if (q.cursor === undefined) {
      rows = await ctx.engine.read((x) => x.all(q.agent === undefined ? READY : READY_FOR_AGENT, args))
    } else {
      const [rank, created, seq] = decodeCursor(ctx, q.cursor, 'nnn', 'tasks.dependencies.ready') as [number, number, number]
      const paged = { ...args, rank, created, seq }
      rows = await ctx.engine.read((x) => x.all(q.agent === undefined ? READY_PAGE : READY_PAGE_FOR_AGENT, paged))
    }
    const more = rows.length > limit
    const page = more ? rows.slice(0, limit) : rows
    const last = page[page.length - 1]
    return {
      items: page.map((row) => toTask(row, ctx)),
      nextCursor: more && last ? encodeCursor([last.priority_rank, last.created_at, last.seq]) : null,
    }
  }

  /**
   * Every ready task, in order, a page at a time (`limit` is the page size).
   *
   * @example
   * ```ts
   * for await (const task of tasks.dependencies.iterateReady({ agent: 'agent-7' })) console.log(task.id)
   * ```
   */
  iterateReady(query: IterateFilter<TaskReadyQuery> = {}): AsyncGenerator<Task, void, undefined> {
    return iteratePages((cursor) => this.ready(cursor === undefined ? query : { ...query, cursor }))
  }

  /**
   * The first ready task that no other agent holds a live claim on, or `null`.
   * To take it atomically, use `tasks.claims.claimNext`.
   *
   * @example
   * ```ts
   * const task = await tasks.dependencies.next({ agent: 'agent-7' })
   * ```
   */
  async next(options: { agent?: string } = {}): Promise<Task | null> {
    const ctx = this.#ctx
    const agent = options.agent === undefined ? '' : ctx.parse(TasksNameSchema, options.agent, 'tasks.dependencies.next')
    const row = await ctx.engine.read((x) => x.get(READY_FOR_AGENT, { limit: 1, now: ctx.now(), agent }))
    return row === undefined ? null : toTask(row, ctx)
  }
}
