/**
 * The task records themselves: create, read, update, list, move in the tree,
 * archive (soft delete) and restore. Exposed as the methods of
 * `TasksRepository` (`tasks.create(…)`, `tasks.get(…)`, …).
 *
 * @module
 */
import type { RawBuilder } from 'kysely'
import { sql } from 'kysely'
import type { z } from 'zod'

import { toFtsQuery, toTsQuery } from '../sqlite/fts-query.js'
import type { QueryTemplate } from '../sqlite/query-template.js'
import { template } from '../sqlite/query-template.js'
import type { Step } from '../sqlite/store-engine.js'
import { actorGiven, claimActor } from './task-claim-guard.js'
import { ancestorChain, insertDependency, levelOf, subtree } from './task-graph.js'
import { assertPipelineAllowsDone, cancelOpenPipeline, pipelineAllowsDone } from './task-lifecycle.js'
import { taskDiff, writeChangedColumns } from './task-row-diff.js'
import type { Task } from './task.types.js'
import type { TaskRow } from './task-rows.js'
import { GET_TASK, requireTaskRow, toTask } from './task-rows.js'
import { canTransitionTask, inferTaskType, retypeForParent, taskParentAllowed } from './task-rules.js'
import type { Actor, TasksContext, TasksExecutor } from './tasks-context.js'
import { decodeCursor, encodeCursor } from './tasks-context.js'
import type { TaskArchiveReason, TaskStatus } from './tasks.enums.js'
import type {
  ArchiveTaskOptions,
  CreateTaskInput,
  TaskMutationOptions,
  RestoreTaskOptions,
  TaskListFilter,
  TaskWriteOptions,
  UpdateTaskInput,
} from './tasks.types.js'
import {
  ArchiveTaskOptionsSchema,
  CreateTaskSchema,
  TaskMutationOptionsSchema,
  RestoreTaskOptionsSchema,
  TaskIdSchema,
  TaskListFilterSchema,
  TaskWriteOptionsSchema,
  UpdateTaskSchema,
} from './tasks.schemas.js'
import type { TasksDatabase } from './tasks.tables.js'
import { TASK_ID_REGEX, formatTaskId } from './task-ids.js'
import { jsonArrayElements } from './task-sql.js'

/**
 * A page of tasks and the cursor of the next one (`null` at the end).
 *
 * @example
 * ```ts
 * const page: TaskPage = await tasks.list({ limit: 20 })
 * if (page.nextCursor) await tasks.list({ limit: 20, cursor: page.nextCursor })
 * ```
 */
export interface TaskPage {
  readonly items: readonly Task[]
  readonly nextCursor: string | null
}

/** `TaskIdSchema`'s pattern, for the read fast path. */
const TASK_ID_PATTERN = TASK_ID_REGEX

/** Every stored column of `tasks` except the generated ones and the trigger-kept counters. */
type TaskValues = Omit<TaskRow, 'priority_rank' | 'workable' | 'unresolved_blockers' | 'open_children' | 'held_by_ancestors'>

const WRITABLE = [
  'title',
  'description',
  'status',
  'priority',
  'type',
  'role',
  'scope',
  'severity',
  'parent_id',
  'phase',
  'size',
  'labels_json',
  'notes_json',
  'acceptance_json',
  'files_json',
  'verification_json',
  'origin',
  'blocked_by',
  'no_auto_complete',
  'pipeline_stage',
  'assignee',
  'claimed_by',
  'claimed_at',
  'claim_expires_at',
  'modified_by',
  'updated_at',
  'completed_at',
  'cancelled_at',
  'cancellation_reason',
  'archived_at',
  'archive_reason',
] as const satisfies ReadonlyArray<keyof TaskValues>

const INSERTED = [
  ...WRITABLE,
  'seq',
  'id',
  'claim_token',
  'created_by',
  'session_id',
  'created_at',
  'version',
] as const satisfies ReadonlyArray<keyof TaskValues>

function params<K extends keyof TaskValues>(
  p: <N extends keyof TaskValues & string>(name: N) => TaskValues[N],
  columns: readonly K[],
): { [C in K]: TaskValues[C] } {
  const out = {} as { [C in K]: TaskValues[C] }
  for (const column of columns) out[column] = p(column)
  return out
}

/** Draws the next task number (same transaction as the insert: no gaps, no duplicates). */
const NEXT_SEQ = template<TasksDatabase, { now: number }>()((db, p) =>
  db
    .updateTable('schema_meta')
    .set({ value: sql<string>`CAST(CAST(value AS INTEGER) + 1 AS TEXT)`, updated_at: p('now') })
    .where('key', '=', 'task_id_sequence')
    .returning([
      'value',
      sql<string | null>`(SELECT f.value FROM schema_meta AS f WHERE f.key = 'task_id_format')`.as('format'),
    ]),
)

const INSERT_TASK = template<TasksDatabase, TaskValues>()((db, p) =>
  db.insertInto('tasks').values(params(p, INSERTED)).returningAll(),
)

const SESSION_EXISTS = template<TasksDatabase, { id: string }>()((db, p) =>
  db.selectFrom('sessions').select('id').where('id', '=', p('id')),
)

const CHILD_COUNTS = template<TasksDatabase, { id: string }>()((db, p, dialect) => {
  // A comparison is 0/1 on SQLite; PostgreSQL sums booleans only cast to integers.
  const flag = (condition: RawBuilder<boolean>) => (dialect === 'postgres' ? sql`cast(${condition} as integer)` : condition)
  return db
    .selectFrom('tasks')
    .select([
      sql<number>`count(*)`.as('total'),
      sql<number>`coalesce(sum(${flag(sql`status NOT IN ('done', 'cancelled')`)}), 0)`.as('open'),
      sql<number>`coalesce(sum(${flag(sql`status = 'done'`)}), 0)`.as('done'),
    ])
    .where('parent_id', '=', p('id'))
    .where('archived_at', 'is', null)
})

const LIVE_CHILDREN = template<TasksDatabase, { id: string }>()((db, p) =>
  db.selectFrom('tasks').select('id').where('parent_id', '=', p('id')).where('archived_at', 'is', null).orderBy('seq').limit(20),
)

const HAS_CHILDREN = template<TasksDatabase, { id: string }>()((db, p) =>
  db.selectFrom('tasks').select('id').where('parent_id', '=', p('id')).limit(1),
)

const LIVE_DEPENDENTS = template<TasksDatabase, { id: string }>()((db, p) =>
  db
    .selectFrom('task_dependencies as d')
    .innerJoin('tasks as t', 't.id', 'd.task_id')
    .select('d.task_id')
    .where('d.depends_on', '=', p('id'))
    .where('t.archived_at', 'is', null)
    .orderBy('t.seq'),
)

const DELETE_DEPENDENCY = template<TasksDatabase, { task_id: string; depends_on: string }>()((db, p) =>
  db.deleteFrom('task_dependencies').where('task_id', '=', p('task_id')).where('depends_on', '=', p('depends_on')),
)

/** Parameters of a `tasks.list` page query (unused ones are bound as NULL). */
interface ListParams {
  status: string | null
  statuses: string | null
  parent: string | null
  type: string | null
  priority: string | null
  assignee: string | null
  claimed_by: string | null
  labels: string | null
  match: string | null
  after: number
  limit: number
}

type ListFilter = ReturnType<typeof TaskListFilterSchema.parse>

function listShape(filter: ListFilter): string {
  const status = filter.status === undefined ? '' : typeof filter.status === 'string' || filter.status.length === 1 ? 's1' : 'sN'
  return [
    status,
    filter.parentId === undefined ? '' : filter.parentId === null ? 'root' : 'parent',
    filter.type ? 'type' : '',
    filter.priority ? 'prio' : '',
    filter.assignee ? 'asg' : '',
    filter.claimedBy ? 'clm' : '',
    filter.labels ? 'lbl' : '',
    filter.text !== undefined ? 'fts' : '',
    filter.archived ?? 'exclude',
  ].join('|')
}

function listTemplate(filter: ListFilter): QueryTemplate<ListParams, TaskRow> {
  return template<TasksDatabase, ListParams>()((db, p, dialect) => {
    const elements = (json: unknown, alias?: RawBuilder<unknown>) => jsonArrayElements(json, dialect, alias)
    let q = db.selectFrom('tasks').selectAll()
    if (filter.status !== undefined) {
      q =
        typeof filter.status === 'string' || filter.status.length === 1
          ? q.where('status', '=', p('status') as TaskStatus)
          : q.where('status', 'in', sql<TaskStatus>`(SELECT value FROM ${elements(p('statuses'))})`)
    }
    if (filter.parentId === null) q = q.where('parent_id', 'is', null)
    else if (filter.parentId !== undefined) q = q.where('parent_id', '=', p('parent'))
    if (filter.type) q = q.where('type', '=', p('type') as never)
    if (filter.priority) q = q.where('priority', '=', p('priority') as never)
    if (filter.assignee) q = q.where('assignee', '=', p('assignee'))
    if (filter.claimedBy) q = q.where('claimed_by', '=', p('claimed_by'))
    if (filter.labels) {
      q = q.where(
        sql<boolean>`NOT EXISTS (SELECT 1 FROM ${elements(p('labels'), sql`wanted`)}
          WHERE wanted.value NOT IN (SELECT value FROM ${elements(sql.ref('tasks.labels_json'))}))`,
      )
    }
    if (filter.text !== undefined) {
      q =
        dialect === 'postgres'
          ? q.where(sql<boolean>`search_vector @@ to_tsquery('simple', ${p('match')})`)
          : q.where('seq', 'in', sql<number>`(SELECT rowid FROM tasks_fts WHERE tasks_fts MATCH ${p('match')})`)
    }
    const archived = filter.archived ?? 'exclude'
    if (archived === 'exclude') q = q.where('archived_at', 'is', null)
    else if (archived === 'only') q = q.where('archived_at', 'is not', null)
    return q.where('seq', '>', p('after')).orderBy('seq').limit(p('limit'))
  })
}

function archiveReasonFor(status: TaskStatus): TaskArchiveReason {
  if (status === 'done') return 'completed'
  if (status === 'cancelled') return 'cancelled'
  return 'deleted'
}

/** Field of {@link UpdateTaskInput} → column. */
const PATCH_COLUMNS = {
  title: 'title',
  description: 'description',
  status: 'status',
  priority: 'priority',
  type: 'type',
  role: 'role',
  scope: 'scope',
  severity: 'severity',
  phase: 'phase',
  size: 'size',
  origin: 'origin',
  blockedBy: 'blocked_by',
  assignee: 'assignee',
  pipelineStage: 'pipeline_stage',
  cancellationReason: 'cancellation_reason',
} as const satisfies Partial<Record<keyof UpdateTaskInput, keyof TaskValues>>

const PATCH_JSON = {
  labels: 'labels_json',
  notes: 'notes_json',
  acceptance: 'acceptance_json',
  files: 'files_json',
} as const satisfies Partial<Record<keyof UpdateTaskInput, keyof TaskValues>>

/**
 * Tasks themselves. Use through {@link TasksRepository}: `tasks.create`,
 * `tasks.get`, `tasks.update`, `tasks.list`, `tasks.reparent`, `tasks.archive`,
 * `tasks.restore`, `tasks.ancestors`, `tasks.descendants`.
 */
export class TaskItems {
  readonly #ctx: TasksContext
  readonly #lists = new Map<string, QueryTemplate<ListParams, TaskRow>>()

  /** @internal Created by the repository. */
  constructor(ctx: TasksContext) {
    this.#ctx = ctx
  }

  /** Creates a task; see `TasksRepository.create`. */
  async create(input: CreateTaskInput, options: TaskMutationOptions = {}): Promise<Task> {
    const ctx = this.#ctx
    const data = ctx.parse(CreateTaskSchema, input, 'tasks.create')
    ctx.parse(TaskMutationOptionsSchema, options, 'tasks.create')
    const who = ctx.actor(options, 'tasks.create')
    const row = await ctx.engine.write((x) => this.#create(x, data, who))
    return toTask(row, ctx)
  }

  *#create(x: TasksExecutor, data: z.output<typeof CreateTaskSchema>, who: Actor): Step<TaskRow> {
    const ctx = this.#ctx
    const now = ctx.now()
    const parent = data.parentId ? yield* requireTaskRow(x, ctx, data.parentId) : null
    if (parent?.archived_at != null) {
      throw ctx.error('INVARIANT', `cannot create a task under archived task ${parent.id}; restore it first`, {
        parentId: parent.id,
      })
    }
    const type = data.type ?? inferTaskType(parent?.type ?? null)
    if (type === null || !taskParentAllowed(type, parent?.type ?? null)) {
      throw ctx.error(
        'INVARIANT',
        parent
          ? `a ${type ?? 'task'} cannot sit under ${parent.type} ${parent.id}: epics and tasks go under an epic, subtasks under a task`
          : 'a subtask needs a parent task',
        { rule: 'hierarchy', parentId: parent?.id ?? null, type },
      )
    }
    if (parent) yield* this.#checkDepth(x, parent.id, 0)
    if (who.sessionId !== null && (yield* x.get(SESSION_EXISTS, { id: who.sessionId })) === undefined) {
      throw ctx.notFound('session', who.sessionId)
    }
    const next = (yield* x.get(NEXT_SEQ, { now }))!
    const seq = Number(next.value)
    const created = (yield* x.get(INSERT_TASK, {
      seq,
      id: formatTaskId(seq, next.format),
      title: data.title,
      description: data.description ?? null,
      status: data.status ?? 'pending',
      priority: data.priority ?? 'medium',
      type,
      role: data.role ?? 'work',
      scope: data.scope ?? 'feature',
      severity: data.severity ?? null,
      parent_id: parent?.id ?? null,
      phase: data.phase ?? null,
      size: data.size ?? null,
      labels_json: JSON.stringify(data.labels ?? []),
      notes_json: JSON.stringify(data.notes ?? []),
      acceptance_json: JSON.stringify(data.acceptance ?? []),
      files_json: JSON.stringify(data.files ?? []),
      verification_json: data.verification ? JSON.stringify(data.verification) : null,
      origin: data.origin ?? null,
      blocked_by: data.blockedBy ?? null,
      no_auto_complete: data.noAutoComplete ? 1 : 0,
      pipeline_stage: data.pipelineStage ?? null,
      assignee: data.assignee ?? null,
      claimed_by: null,
      claimed_at: null,
      claim_expires_at: null,
      claim_token: 0,
      created_by: who.actor,
      modified_by: who.actor,
      session_id: who.sessionId,
      created_at: now,
      updated_at: now,
      completed_at: null,
      cancelled_at: null,
      cancellation_reason: null,
      archived_at: null,
      archive_reason: null,
      version: 1,
    }))!
    for (const dependsOn of new Set(data.dependsOn ?? [])) {
      const target = yield* requireTaskRow(x, ctx, dependsOn)
      if (target.archived_at !== null) {
        throw ctx.error('INVARIANT', `cannot depend on archived task ${dependsOn}`, { dependsOn })
      }
      yield* insertDependency(x, ctx, created.id, dependsOn, now)
    }
    yield* ctx.audit(
      x,
      who,
      {
        action: 'task.create',
        entityType: 'task',
        entityId: created.id,
        taskId: created.id,
        after: toTask(created, ctx),
        ...(data.dependsOn?.length ? { details: { dependsOn: [...new Set(data.dependsOn)] } } : {}),
      },
      now,
    )
    return created
  }

  /** Reads one task; `NOT_FOUND` when it does not exist. */
  async get(id: string): Promise<Task> {
    const ctx = this.#ctx
    // The schema is this pattern: a valid id skips zod (a hot path), anything else gets its error.
    const taskId = typeof id === 'string' && TASK_ID_PATTERN.test(id) ? id : ctx.parse(TaskIdSchema, id, 'tasks.get')
    const row = await ctx.engine.read((x) => x.get(GET_TASK, { id: taskId }))
    if (row === undefined) throw ctx.notFound('task', taskId)
    return toTask(row, ctx)
  }

  /** Reads one task, or `null` when it does not exist. */
  async find(id: string): Promise<Task | null> {
    const ctx = this.#ctx
    const taskId = ctx.parse(TaskIdSchema, id, 'tasks.find')
    const row = await ctx.engine.read((x) => x.get(GET_TASK, { id: taskId }))
    return row === undefined ? null : toTask(row, ctx)
  }

  /** Updates a task; see `TasksRepository.update`. */
  async update(id: string, patch: UpdateTaskInput, options: TaskWriteOptions = {}): Promise<Task> {
    const ctx = this.#ctx
    const taskId = ctx.parse(TaskIdSchema, id, 'tasks.update')
    const data = ctx.parse(UpdateTaskSchema, patch, 'tasks.update')
    const opts = ctx.parse(TaskWriteOptionsSchema, options, 'tasks.update')
    const who = ctx.actor(options, 'tasks.update')
    return ctx.engine.write((x) => this.#update(x, taskId, data, opts, who, actorGiven(options)))
  }

  *#update(x: TasksExecutor, taskId: string, data: z.output<typeof UpdateTaskSchema>, opts: z.output<typeof TaskWriteOptionsSchema>, who: Actor, given: boolean): Step<Task> {
    const ctx = this.#ctx
    const now = ctx.now()
    const current = yield* this.#lockForWrite(x, taskId, opts, now, 'update')
    who = claimActor(ctx, current, opts.claimToken, given, who, now)
    const next: TaskValues = { ...current, updated_at: now, modified_by: who.actor }
    for (const [field, column] of Object.entries(PATCH_COLUMNS) as Array<[keyof typeof PATCH_COLUMNS, keyof TaskValues]>) {
      if (data[field] !== undefined) (next as Record<string, unknown>)[column] = data[field]
    }
    for (const [field, column] of Object.entries(PATCH_JSON) as Array<[keyof typeof PATCH_JSON, keyof TaskValues]>) {
      if (data[field] !== undefined) (next as Record<string, unknown>)[column] = JSON.stringify(data[field])
    }
    if (data.verification !== undefined) next.verification_json = data.verification === null ? null : JSON.stringify(data.verification)
    if (data.noAutoComplete !== undefined) next.no_auto_complete = data.noAutoComplete ? 1 : 0
    if (next.type !== current.type) {
      yield* this.#checkRetype(x, current, next.type, current.parent_id === null ? null : (yield* requireTaskRow(x, ctx, current.parent_id)).type)
    }
    this.#applyStatus(current, next, now)
    yield* this.#pipelineRule(x, who, current, next, now)
    const written = yield* this.#write(x, current, next)
    const task = yield* this.#auditChange(x, who, 'task.update', current, written, now)
    if (written.status !== current.status && (written.status === 'done' || written.status === 'cancelled')) {
      yield* this.#autoComplete(x, who, written.parent_id, now)
    }
    return task
  }

  /** Lists tasks; see `TasksRepository.list`. */
  async list(filter: TaskListFilter = {}): Promise<TaskPage> {
    const ctx = this.#ctx
    const f = ctx.parse(TaskListFilterSchema, filter, 'tasks.list')
    const limit = f.limit ?? 100
    const after = f.cursor === undefined ? 0 : (decodeCursor(ctx, f.cursor, 'n', 'tasks.list')[0] as number)
    let match: string | null = null
    if (f.text !== undefined) {
      match = (ctx.engine.dialect === 'postgres' ? toTsQuery : toFtsQuery)(f.text, { mode: 'all', prefix: true })
      if (match === null) return { items: [], nextCursor: null }
    }
    const shape = listShape(f)
    let query = this.#lists.get(shape)
    if (query === undefined) {
      query = listTemplate(f)
      this.#lists.set(shape, query)
    }
    const statuses = f.status === undefined ? null : typeof f.status === 'string' ? [f.status] : f.status
    const args: ListParams = {
      status: statuses?.[0] ?? null,
      statuses: statuses ? JSON.stringify(statuses) : null,
      parent: f.parentId ?? null,
      type: f.type ?? null,
      priority: f.priority ?? null,
      assignee: f.assignee ?? null,
      claimed_by: f.claimedBy ?? null,
      labels: f.labels ? JSON.stringify(f.labels) : null,
      match,
      after,
      limit: limit + 1,
    }
    const rows = await ctx.engine.read((x) => x.all(query, args))
    const more = rows.length > limit
    const items = (more ? rows.slice(0, limit) : rows).map((row) => toTask(row, ctx))
    return { items, nextCursor: more ? encodeCursor([rows[limit - 1]!.seq]) : null }
  }

  /** `id`'s ancestors, parent first. */
  async ancestors(id: string): Promise<Task[]> {
    const ctx = this.#ctx
    const taskId = ctx.parse(TaskIdSchema, id, 'tasks.ancestors')
    const rows = await ctx.engine.snapshot(function* (x) {
      const chain = yield* ancestorChain(x, taskId)
      if (chain.length === 0) throw ctx.notFound('task', taskId)
      const rows: TaskRow[] = []
      for (const node of chain.slice(1)) rows.push((yield* x.get(GET_TASK, { id: node.id }))!)
      return rows
    })
    return rows.map((row) => toTask(row, ctx))
  }

  /** `id`'s descendants (archived ones included), breadth-first. */
  async descendants(id: string): Promise<Task[]> {
    const ctx = this.#ctx
    const taskId = ctx.parse(TaskIdSchema, id, 'tasks.descendants')
    const rows = await ctx.engine.snapshot(function* (x) {
      const nodes = yield* subtree(x, taskId)
      if (nodes.length === 0) throw ctx.notFound('task', taskId)
      const rows: TaskRow[] = []
      for (const node of nodes.slice(1)) rows.push((yield* x.get(GET_TASK, { id: node.id }))!)
      return rows
    })
    return rows.map((row) => toTask(row, ctx))
  }

  /** Moves a task; see `TasksRepository.reparent`. */
  async reparent(id: string, parentId: string | null, options: TaskWriteOptions = {}): Promise<Task> {
    const ctx = this.#ctx
    const taskId = ctx.parse(TaskIdSchema, id, 'tasks.reparent')
    const newParentId = ctx.parse(TaskIdSchema.nullable(), parentId, 'tasks.reparent')
    const opts = ctx.parse(TaskWriteOptionsSchema, options, 'tasks.reparent')
    const who = ctx.actor(options, 'tasks.reparent')
    const row = await ctx.engine.write((x) => this.#reparent(x, taskId, newParentId, opts, who, actorGiven(options)))
    return toTask(row, ctx)
  }

  *#reparent(x: TasksExecutor, taskId: string, newParentId: string | null, opts: z.output<typeof TaskWriteOptionsSchema>, who: Actor, given: boolean): Step<TaskRow> {
    const ctx = this.#ctx
    const now = ctx.now()
    const current = yield* this.#lockForWrite(x, taskId, opts, now, 'reparent')
    who = claimActor(ctx, current, opts.claimToken, given, who, now)
    if (current.parent_id === newParentId) return current
    const parent = newParentId === null ? null : yield* requireTaskRow(x, ctx, newParentId)
    if (parent?.archived_at != null) {
      throw ctx.error('INVARIANT', `cannot move ${taskId} under archived task ${parent.id}`, { parentId: parent.id })
    }
    if (parent) {
      const chain = yield* ancestorChain(x, parent.id)
      const loop = chain.findIndex((node) => node.id === taskId)
      if (loop >= 0) {
        const path = [taskId, ...chain.slice(0, loop + 1).map((node) => node.id)]
        throw ctx.error('CYCLE', `moving ${taskId} under ${parent.id} would make it its own ancestor: ${path.join(' → ')}`, {
          path,
        })
      }
    }
    const type = retypeForParent(current.type, parent?.type ?? null)
    if (type === null) {
      throw ctx.error('INVARIANT', `a ${current.type} cannot sit under ${parent?.type} ${parent?.id}`, {
        rule: 'hierarchy',
        parentId: parent?.id ?? null,
      })
    }
    if (type !== current.type) yield* this.#checkRetype(x, current, type, parent?.type ?? null)
    if (parent) {
      const height = Math.max(...(yield* subtree(x, taskId)).map((node) => node.depth))
      yield* this.#checkDepth(x, parent.id, height)
    }
    const written = yield* this.#write(x, current, { ...current, parent_id: parent?.id ?? null, type, updated_at: now, modified_by: who.actor })
    yield* this.#auditChange(x, who, 'task.reparent', current, written, now)
    return written
  }

  /** Archives a task; see `TasksRepository.archive`. */
  async archive(id: string, options: ArchiveTaskOptions = {}): Promise<Task> {
    const ctx = this.#ctx
    const taskId = ctx.parse(TaskIdSchema, id, 'tasks.archive')
    const opts = ctx.parse(ArchiveTaskOptionsSchema, options, 'tasks.archive')
    const who = ctx.actor(options, 'tasks.archive')
    const row = await ctx.engine.write((x) => this.#archive(x, taskId, opts, who, actorGiven(options)))
    return toTask(row, ctx)
  }

  *#archive(x: TasksExecutor, taskId: string, opts: z.output<typeof ArchiveTaskOptionsSchema>, who: Actor, given: boolean): Step<TaskRow> {
    const ctx = this.#ctx
    const now = ctx.now()
    const root = yield* requireTaskRow(x, ctx, taskId)
    if (root.archived_at !== null) throw ctx.error('CONFLICT', `task ${taskId} is already archived`, { id: taskId })
    this.#checkVersionAndFence(root, opts, now)
    who = claimActor(ctx, root, opts.claimToken, given, who, now)
    let targets: string[]
    if (opts.cascade) {
      targets = (yield* subtree(x, taskId))
        .filter((node) => node.archived_at === null)
        .map((node) => node.id)
    } else {
      const children = (yield* x.all(LIVE_CHILDREN, { id: taskId })).map((c) => c.id)
      if (children.length > 0) {
        throw ctx.error(
          'CONFLICT',
          `task ${taskId} has live children (${children.join(', ')}); archive them first or pass cascade: true`,
          { children },
        )
      }
      targets = [taskId]
    }
    const archiving = new Set(targets)
    let result: TaskRow | undefined
    for (const target of targets) {
      const current = yield* requireTaskRow(x, ctx, target)
      if (current.status !== 'done' && current.status !== 'cancelled') {
        const dependents = (yield* x.all(LIVE_DEPENDENTS, { id: target }))
          .map((d) => d.task_id)
          .filter((d) => !archiving.has(d))
        if (dependents.length > 0 && !opts.force) {
          throw ctx.error(
            'CONFLICT',
            `unfinished task ${target} has live dependents (${dependents.join(', ')}); finish it, or pass force: true to drop those dependencies`,
            { id: target, dependents },
          )
        }
        for (const dependent of dependents) {
          yield* x.run(DELETE_DEPENDENCY, { task_id: dependent, depends_on: target })
          yield* ctx.audit(
            x,
            who,
            {
              action: 'dependency.remove',
              entityType: 'dependency',
              entityId: `${dependent}->${target}`,
              taskId: dependent,
              before: { taskId: dependent, dependsOn: target },
              details: { reason: 'archived with force' },
            },
            now,
          )
        }
      }
      const written = yield* this.#write(x, current, {
        ...current,
        archived_at: now,
        archive_reason: archiveReasonFor(current.status),
        claimed_by: null,
        claimed_at: null,
        claim_expires_at: null,
        updated_at: now,
        modified_by: who.actor,
      })
      yield* this.#auditChange(x, who, 'task.archive', current, written, now)
      if (target === taskId) result = written
    }
    return result!
  }

  /** Restores an archived task; see `TasksRepository.restore`. */
  async restore(id: string, options: RestoreTaskOptions = {}): Promise<Task> {
    const ctx = this.#ctx
    const taskId = ctx.parse(TaskIdSchema, id, 'tasks.restore')
    const opts = ctx.parse(RestoreTaskOptionsSchema, options, 'tasks.restore')
    const who = ctx.actor(options, 'tasks.restore')
    const row = await ctx.engine.write((x) => this.#restore(x, taskId, opts, who, actorGiven(options)))
    return toTask(row, ctx)
  }

  *#restore(x: TasksExecutor, taskId: string, opts: z.output<typeof RestoreTaskOptionsSchema>, who: Actor, given: boolean): Step<TaskRow> {
    const ctx = this.#ctx
    const now = ctx.now()
    const root = yield* requireTaskRow(x, ctx, taskId)
    if (root.archived_at === null) throw ctx.error('CONFLICT', `task ${taskId} is not archived`, { id: taskId })
    this.#checkVersionAndFence(root, opts, now)
    who = claimActor(ctx, root, opts.claimToken, given, who, now)
    if (root.parent_id !== null && (yield* requireTaskRow(x, ctx, root.parent_id)).archived_at !== null) {
      throw ctx.error('CONFLICT', `the parent ${root.parent_id} of ${taskId} is archived; restore it first`, {
        parentId: root.parent_id,
      })
    }
    const targets = opts.cascade
      ? (yield* subtree(x, taskId))
          .filter((node) => node.archived_at !== null)
          .map((node) => node.id)
      : [taskId]
    let result: TaskRow | undefined
    for (const target of targets) {
      const current = yield* requireTaskRow(x, ctx, target)
      const written = yield* this.#write(x, current, { ...current, archived_at: null, archive_reason: null, updated_at: now, modified_by: who.actor })
      yield* this.#auditChange(x, who, 'task.restore', current, written, now)
      if (target === taskId) result = written
    }
    return result!
  }

  // ── inside a write transaction ───────────────────────────────────────────────

  /** Loads a task to change it: exists, not archived, version and fencing token as the caller expects. */
  *#lockForWrite(
    x: TasksExecutor,
    id: string,
    opts: { expectedVersion?: number | undefined; claimToken?: number | undefined },
    now: number,
    verb: string,
  ): Step<TaskRow> {
    const ctx = this.#ctx
    const current = yield* requireTaskRow(x, ctx, id)
    this.#checkVersionAndFence(current, opts, now)
    if (current.archived_at !== null) {
      throw ctx.error('INVARIANT', `task ${id} is archived; restore it before you ${verb} it`, { id })
    }
    return current
  }

  #checkVersionAndFence(
    current: TaskRow,
    opts: { expectedVersion?: number | undefined; claimToken?: number | undefined },
    now: number,
  ): void {
    const ctx = this.#ctx
    if (opts.expectedVersion !== undefined && opts.expectedVersion !== current.version) {
      throw ctx.error(
        'CONFLICT',
        `task ${current.id} is at version ${current.version}, not ${opts.expectedVersion}: it changed since it was read`,
        { id: current.id, expectedVersion: opts.expectedVersion, actualVersion: current.version },
      )
    }
    if (opts.claimToken !== undefined) {
      const live = current.claimed_by !== null && current.claim_expires_at! > now
      if (!live || current.claim_token !== opts.claimToken) {
        throw ctx.error('LEASE_LOST', `the claim on ${current.id} with token ${opts.claimToken} is no longer held`, {
          id: current.id,
          token: opts.claimToken,
        })
      }
    }
  }

  /** Refuses a parent whose level would put a subtree of `height` below it deeper than `maxDepth`. */
  *#checkDepth(x: TasksExecutor, parentId: string, height: number): Step<void> {
    const ctx = this.#ctx
    const deepest = (yield* levelOf(x, parentId)) + 1 + height
    const maxDepth = ctx.settings.maxDepth
    if (deepest >= maxDepth) {
      throw ctx.error(
        'INVARIANT',
        `the task tree may be ${maxDepth} levels deep; this would reach level ${deepest + 1} under ${parentId}`,
        { rule: 'maxDepth', maxDepth, parentId },
      )
    }
  }

  /** A new type must fit the (new) parent and the children. */
  *#checkRetype(x: TasksExecutor, current: TaskRow, type: TaskRow['type'], parentType: TaskRow['type'] | null): Step<void> {
    const ctx = this.#ctx
    if (!taskParentAllowed(type, parentType)) {
      throw ctx.error('INVARIANT', `${current.id} cannot become a ${type} under a ${parentType ?? 'root'} parent`, {
        rule: 'hierarchy',
        id: current.id,
        type,
      })
    }
    if (type === 'subtask' && (yield* x.get(HAS_CHILDREN, { id: current.id })) !== undefined) {
      throw ctx.error('INVARIANT', `${current.id} has children, so it cannot become a subtask`, { rule: 'hierarchy', id: current.id })
    }
    if (type !== 'subtask') {
      for (const child of yield* subtree(x, current.id)) {
        if (child.depth === 1 && !taskParentAllowed(child.type, type)) {
          throw ctx.error('INVARIANT', `${current.id} cannot become a ${type}: its child ${child.id} is a ${child.type}`, {
            rule: 'hierarchy',
            id: current.id,
            child: child.id,
          })
        }
      }
    }
  }

  /** Status side effects: the transition rule, completion and cancellation stamps, the claim ends with the work. */
  #applyStatus(current: TaskRow, next: TaskValues, now: number): void {
    const ctx = this.#ctx
    if (next.status === current.status) return
    if (!canTransitionTask(current.status, next.status)) {
      throw ctx.error('INVARIANT', `task ${current.id} cannot go from ${current.status} to ${next.status}`, {
        rule: 'status',
        from: current.status,
        to: next.status,
      })
    }
    next.completed_at = next.status === 'done' ? now : null
    next.cancelled_at = next.status === 'cancelled' ? now : null
    if (next.status !== 'cancelled') next.cancellation_reason = null
    if (next.status === 'done' || next.status === 'cancelled') {
      next.claimed_by = null
      next.claimed_at = null
      next.claim_expires_at = null
    }
  }

  /**
   * T877 (also enforced by the schema's triggers): finishing a task needs its
   * pipeline at contribution or completed; cancelling it cancels its open pipeline
   * here, in the same transaction, and mirrors `cancelled` into `pipeline_stage`.
   */
  *#pipelineRule(x: TasksExecutor, who: Actor, current: TaskRow, next: TaskValues, now: number): Step<void> {
    if (next.status === current.status) return
    if (next.status === 'done') yield* assertPipelineAllowsDone(x, this.#ctx, current.id)
    if (next.status === 'cancelled' && (yield* cancelOpenPipeline(x, this.#ctx, who, current.id, now)) !== null) next.pipeline_stage = 'cancelled'
  }

  /** Finishes a task in one call; see `TasksRepository.complete`. */
  async complete(id: string, options: TaskWriteOptions = {}): Promise<Task> {
    const ctx = this.#ctx
    const taskId = ctx.parse(TaskIdSchema, id, 'tasks.complete')
    const opts = ctx.parse(TaskWriteOptionsSchema, options, 'tasks.complete')
    const who = ctx.actor(options, 'tasks.complete')
    const row = await ctx.engine.write((x) => this.#complete(x, taskId, opts, who, actorGiven(options)))
    return toTask(row, ctx)
  }

  *#complete(x: TasksExecutor, taskId: string, opts: z.output<typeof TaskWriteOptionsSchema>, who: Actor, given: boolean): Step<TaskRow> {
    const ctx = this.#ctx
    const now = ctx.now()
    const current = yield* this.#lockForWrite(x, taskId, opts, now, 'complete')
    who = claimActor(ctx, current, opts.claimToken, given, who, now)
    if (current.status !== 'pending' && current.status !== 'active') {
      throw ctx.error('INVARIANT', `task ${taskId} is ${current.status}; only a pending or active task can be completed`, {
        rule: 'status',
        from: current.status,
        to: 'done',
      })
    }
    const next: TaskValues = { ...current, status: 'done', updated_at: now, modified_by: who.actor }
    // pending → active → done in one step: the transition rule sees the active leg.
    this.#applyStatus({ ...current, status: 'active' }, next, now)
    yield* this.#pipelineRule(x, who, current, next, now)
    const written = yield* this.#write(x, current, next)
    yield* this.#auditChange(x, who, 'task.complete', current, written, now)
    yield* this.#autoComplete(x, who, written.parent_id, now)
    return written
  }

  /** Writes the columns of `next` that differ from `current` (read in this transaction). */
  *#write(x: TasksExecutor, current: TaskRow, next: TaskValues): Step<TaskRow> {
    return yield* writeChangedColumns(x, this.#ctx, current, next, WRITABLE)
  }

  /** Audits a change with the fields that changed (not two whole tasks); returns the task as written. */
  *#auditChange(x: TasksExecutor, who: Actor, action: string, before: TaskRow, after: TaskRow, now: number, details?: unknown): Step<Task> {
    const ctx = this.#ctx
    const written = toTask(after, ctx)
    const diff = taskDiff(toTask(before, ctx), written)
    yield* ctx.audit(x, who, { action, entityType: 'task', entityId: after.id, taskId: after.id, before: diff.before, after: diff.after, details }, now)
    return written
  }

  /**
   * Completes an epic whose last open child just finished: it must have at least
   * one live child, none open, and at least one done (CLEO's `[].every()`
   * completed epics with no children at all). Walks up through nested epics.
   */
  *#autoComplete(x: TasksExecutor, who: Actor, parentId: string | null, now: number): Step<void> {
    const ctx = this.#ctx
    for (let id = parentId; id !== null; ) {
      const parent = yield* requireTaskRow(x, ctx, id)
      if (parent.type !== 'epic' || parent.no_auto_complete === 1 || parent.archived_at !== null) return
      if (parent.status === 'done' || parent.status === 'cancelled') return
      const counts = (yield* x.get(CHILD_COUNTS, { id }))!
      if (counts.total === 0 || counts.open > 0 || counts.done === 0) return
      // T877: an epic whose pipeline is not finished stays open.
      if (!(yield* pipelineAllowsDone(x, id))) return
      const written = yield* this.#write(x, parent, {
        ...parent,
        status: 'done',
        completed_at: now,
        claimed_by: null,
        claimed_at: null,
        claim_expires_at: null,
        updated_at: now,
        modified_by: who.actor,
      })
      yield* this.#auditChange(x, who, 'task.autoComplete', parent, written, now, { children: counts.total })
      id = parent.parent_id
    }
  }
}
