/**
 * Typed relations between tasks: `tasks.relations`.
 *
 * @module
 */
import { toIso } from '../sqlite/clock.js'
import { template } from '../sqlite/query-template.js'
import { requireTaskRow } from './task-rows.js'
import type { TasksContext } from './tasks-context.js'
import type { TaskRelationType } from './tasks.enums.js'
import { TASK_RELATION_TYPES } from './tasks.enums.js'
import type {
  AddTaskRelationInput,
  TaskMutationOptions,
} from './tasks.types.js'
import { AddTaskRelationSchema, TaskMutationOptionsSchema, TaskIdSchema } from './tasks.schemas.js'
import type { TaskRelationsTable, TasksDatabase } from './tasks.tables.js'
import { z } from 'zod'

/**
 * A typed relation from `taskId` to `relatedTo` (`T2 duplicates T1`).
 *
 * @example
 * ```ts
 * const rel: TaskRelation = await tasks.relations.add({ taskId: 'T2', relatedTo: 'T1', type: 'duplicates' })
 * ```
 */
export interface TaskRelation {
  readonly taskId: string
  readonly relatedTo: string
  readonly type: TaskRelationType
  readonly reason: string | null
  /** ISO-8601 UTC. */
  readonly createdAt: string
}

const INSERT = template<TasksDatabase, TaskRelationsTable>()((db, p) =>
  db
    .insertInto('task_relations')
    .values({
      task_id: p('task_id'),
      related_to: p('related_to'),
      relation_type: p('relation_type'),
      reason: p('reason'),
      created_at: p('created_at'),
    })
    .onConflict((oc) => oc.doNothing())
    .returningAll(),
)

const ONE = template<TasksDatabase, { task_id: string; related_to: string; relation_type: TaskRelationType }>()((db, p) =>
  db
    .selectFrom('task_relations')
    .selectAll()
    .where('task_id', '=', p('task_id'))
    .where('related_to', '=', p('related_to'))
    .where('relation_type', '=', p('relation_type')),
)

const DELETE = template<TasksDatabase, { task_id: string; related_to: string; relation_type: TaskRelationType }>()((db, p) =>
  db
    .deleteFrom('task_relations')
    .where('task_id', '=', p('task_id'))
    .where('related_to', '=', p('related_to'))
    .where('relation_type', '=', p('relation_type'))
    .returningAll(),
)

const OF_TASK = template<TasksDatabase, { id: string }>()((db, p) =>
  db
    .selectFrom('task_relations')
    .selectAll()
    .where('task_id', '=', p('id'))
    .unionAll(db.selectFrom('task_relations').selectAll().where('related_to', '=', p('id')))
    .orderBy('created_at'),
)

function toRelation(row: TaskRelationsTable): TaskRelation {
  return {
    taskId: row.task_id,
    relatedTo: row.related_to,
    type: row.relation_type,
    reason: row.reason,
    createdAt: toIso(row.created_at),
  }
}


const RelationTypeSchema = z.enum(TASK_RELATION_TYPES)

/**
 * Typed relations between tasks, as `tasks.relations`: related, blocks,
 * duplicates, absorbs, fixes, extends, supersedes. The type is part of the key,
 * so two tasks can be related in several ways at once (CLEO's key left it out and
 * silently dropped the second type). Relations do not gate ready work; use
 * `tasks.dependencies` for that.
 *
 * @example
 * ```ts
 * await tasks.relations.add({ taskId: 'T9', relatedTo: 'T4', type: 'fixes' })
 * await tasks.relations.add({ taskId: 'T9', relatedTo: 'T4', type: 'extends' }) // both kept
 * ```
 */
export class TaskRelations {
  readonly #ctx: TasksContext

  /** @internal Created by the repository. */
  constructor(ctx: TasksContext) {
    this.#ctx = ctx
  }

  /**
   * Relates two tasks. Adding a relation that exists returns it unchanged.
   * `NOT_FOUND` for an unknown task; `VALIDATION` for a task related to itself.
   *
   * @example
   * ```ts
   * await tasks.relations.add({ taskId: 'T2', relatedTo: 'T1', type: 'supersedes', reason: 'rewritten' })
   * ```
   */
  async add(input: AddTaskRelationInput, options: TaskMutationOptions = {}): Promise<TaskRelation> {
    const ctx = this.#ctx
    const data = ctx.parse(
      AddTaskRelationSchema.refine((r) => r.taskId !== r.relatedTo, { message: 'a task cannot relate to itself', path: ['relatedTo'] }),
      input,
      'tasks.relations.add',
    )
    ctx.parse(TaskMutationOptionsSchema, options, 'tasks.relations.add')
    const who = ctx.actor(options, 'tasks.relations.add')
    const row = await ctx.engine.write(function* (x) {
      const now = ctx.now()
      yield* requireTaskRow(x, ctx, data.taskId)
      yield* requireTaskRow(x, ctx, data.relatedTo)
      const key = { task_id: data.taskId, related_to: data.relatedTo, relation_type: data.type }
      const inserted = yield* x.get(INSERT, { ...key, reason: data.reason ?? null, created_at: now })
      if (inserted === undefined) return (yield* x.get(ONE, key))!
      yield* ctx.audit(
        x,
        who,
        {
          action: 'relation.add',
          entityType: 'relation',
          entityId: `${data.taskId}-${data.type}->${data.relatedTo}`,
          taskId: data.taskId,
          after: toRelation(inserted),
        },
        now,
      )
      return inserted
    })
    return toRelation(row)
  }

  /**
   * Removes one typed relation; `NOT_FOUND` when there is none.
   *
   * @example
   * ```ts
   * await tasks.relations.remove('T2', 'T1', 'supersedes')
   * ```
   */
  async remove(taskId: string, relatedTo: string, type: TaskRelationType, options: TaskMutationOptions = {}): Promise<void> {
    const ctx = this.#ctx
    const key = {
      task_id: ctx.parse(TaskIdSchema, taskId, 'tasks.relations.remove'),
      related_to: ctx.parse(TaskIdSchema, relatedTo, 'tasks.relations.remove'),
      relation_type: ctx.parse(RelationTypeSchema, type, 'tasks.relations.remove'),
    }
    ctx.parse(TaskMutationOptionsSchema, options, 'tasks.relations.remove')
    const who = ctx.actor(options, 'tasks.relations.remove')
    await ctx.engine.write(function* (x) {
      const removed = yield* x.get(DELETE, key)
      const entityId = `${key.task_id}-${key.relation_type}->${key.related_to}`
      if (removed === undefined) throw ctx.notFound('relation', entityId)
      yield* ctx.audit(x, who, { action: 'relation.remove', entityType: 'relation', entityId, taskId: key.task_id, before: toRelation(removed) })
    })
  }

  /**
   * Every relation `taskId` takes part in, either side, oldest first; optionally
   * of one type.
   *
   * @example
   * ```ts
   * const duplicates = await tasks.relations.list('T1', { type: 'duplicates' })
   * ```
   */
  async list(taskId: string, options: { type?: TaskRelationType } = {}): Promise<TaskRelation[]> {
    const ctx = this.#ctx
    const id = ctx.parse(TaskIdSchema, taskId, 'tasks.relations.list')
    const type = options.type === undefined ? undefined : ctx.parse(RelationTypeSchema, options.type, 'tasks.relations.list')
    const rows = await ctx.engine.snapshot(function* (x) {
      yield* requireTaskRow(x, ctx, id)
      return yield* x.all(OF_TASK, { id })
    })
    return rows.filter((row) => type === undefined || row.relation_type === type).map(toRelation)
  }
}
