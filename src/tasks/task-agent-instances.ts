/**
 * Running agent instances of the project, with heartbeats: `tasks.agentInstances`.
 *
 * @module
 */
import type { Selectable } from 'kysely'
import { sql } from 'kysely'
import { z } from 'zod'

import { toIso, toIsoOrNull } from '../sqlite/clock.js'
import { fromJson } from '../sqlite/json.js'
import { template } from '../sqlite/query-template.js'
import type { Step } from '../sqlite/store-engine.js'
import { requireTaskRow } from './task-rows.js'
import type { Actor, TasksContext, TasksExecutor } from './tasks-context.js'
import type { AgentInstanceStatus, AgentInstanceType } from './tasks.enums.js'
import type {
  AgentHeartbeatInput,
  AgentInstanceFilter,
  TaskMutationOptions,
  RegisterAgentInstanceInput,
} from './tasks.types.js'
import {
  AgentHeartbeatSchema,
  AgentInstanceFilterSchema,
  TaskMutationOptionsSchema,
  RegisterAgentInstanceSchema,
  TasksNameSchema,
} from './tasks.schemas.js'
import type { AgentInstancesTable, TasksDatabase } from './tasks.tables.js'

/**
 * A running (or finished) agent process of this project.
 *
 * @example
 * ```ts
 * const agent: AgentInstance = await tasks.agentInstances.register({ agentType: 'executor' })
 * agent.status // 'starting'
 * ```
 */
export interface AgentInstance {
  readonly id: string
  readonly agentType: AgentInstanceType
  readonly status: AgentInstanceStatus
  readonly sessionId: string | null
  readonly taskId: string | null
  readonly parentAgentId: string | null
  readonly startedAt: string
  readonly lastHeartbeat: string
  readonly stoppedAt: string | null
  readonly errorCount: number
  readonly totalTasksCompleted: number
  /** 0 … 1: the share of its capacity the agent offers. */
  readonly capacity: number
  readonly metadata: Readonly<Record<string, unknown>>
}

type AgentRow = Selectable<AgentInstancesTable>

const COLUMNS = [
  'id',
  'agent_type',
  'status',
  'session_id',
  'task_id',
  'parent_agent_id',
  'started_at',
  'last_heartbeat',
  'stopped_at',
  'error_count',
  'total_tasks_completed',
  'capacity',
  'metadata_json',
] as const satisfies ReadonlyArray<keyof AgentRow>

const GET = template<TasksDatabase, { id: string }>()((db, p) => db.selectFrom('agent_instances').selectAll().where('id', '=', p('id')))
const INSERT = template<TasksDatabase, AgentRow>()((db, p) =>
  db.insertInto('agent_instances').values(Object.fromEntries(COLUMNS.map((c) => [c, p(c)])) as AgentRow),
)
const WRITE = template<TasksDatabase, AgentRow>()((db, p) =>
  db
    .updateTable('agent_instances')
    .set(Object.fromEntries(COLUMNS.filter((c) => c !== 'id').map((c) => [c, p(c)])) as Partial<AgentRow>)
    .where('id', '=', p('id')),
)
const SILENT = template<TasksDatabase, { before: number }>()((db, p) =>
  db
    .selectFrom('agent_instances')
    .selectAll()
    .where(sql<boolean>`status IN ('starting', 'active', 'idle', 'error')`)
    .where('last_heartbeat', '<', p('before'))
    .orderBy('last_heartbeat'),
)
const SESSION = template<TasksDatabase, { id: string }>()((db, p) => db.selectFrom('sessions').select('id').where('id', '=', p('id')))

const isFinal = (status: AgentInstanceStatus) => status === 'stopped' || status === 'crashed'


const RecordAgentErrorSchema = z.strictObject({ message: z.string().min(1).max(2000) })
const MarkCrashedSchema = z.strictObject({ silentMs: z.number().int().min(0) })

/**
 * Agent instances of tasks.db, as `tasks.agentInstances`: registration, heartbeats, errors,
 * stop, and the sweep that marks silent agents `crashed`. Heartbeats are not
 * audited; registration, stop, errors and crash marks are.
 *
 * @example
 * ```ts
 * const a = await tasks.agentInstances.register({ id: 'agent-7', agentType: 'executor' })
 * await tasks.agentInstances.heartbeat('agent-7', { status: 'active', taskId: 'T3' })
 * await tasks.agentInstances.markCrashed({ silentMs: 120_000 }) // agents silent for 2 minutes
 * ```
 */
export class TaskAgentInstances {
  readonly #ctx: TasksContext

  /** @internal Created by the repository. */
  constructor(ctx: TasksContext) {
    this.#ctx = ctx
  }

  /**
   * Registers an instance (status `starting`). `CONFLICT` for an id in use;
   * `NOT_FOUND` for an unknown session, task or parent agent.
   *
   * @example
   * ```ts
   * await tasks.agentInstances.register({ agentType: 'researcher', parentAgentId: 'orchestrator-1' })
   * ```
   */
  async register(input: RegisterAgentInstanceInput, options: TaskMutationOptions = {}): Promise<AgentInstance> {
    const ctx = this.#ctx
    const data = ctx.parse(RegisterAgentInstanceSchema, input, 'tasks.agentInstances.register')
    ctx.parse(TaskMutationOptionsSchema, options, 'tasks.agentInstances.register')
    const who = ctx.actor(options, 'tasks.agentInstances.register')
    const row = await ctx.engine.write((x) => this.#register(x, data, who))
    return this.#toAgent(row)
  }

  *#register(x: TasksExecutor, data: z.output<typeof RegisterAgentInstanceSchema>, who: Actor): Step<AgentRow> {
    const ctx = this.#ctx
    const now = ctx.now()
    const id = data.id ?? ctx.newId()
    if ((yield* x.get(GET, { id })) !== undefined) throw ctx.error('CONFLICT', `agent instance ${id} already exists`, { id })
    if (data.sessionId !== undefined && (yield* x.get(SESSION, { id: data.sessionId })) === undefined) throw ctx.notFound('session', data.sessionId)
    if (data.taskId !== undefined) yield* requireTaskRow(x, ctx, data.taskId)
    if (data.parentAgentId !== undefined && (yield* x.get(GET, { id: data.parentAgentId })) === undefined) {
      throw ctx.notFound('agent instance', data.parentAgentId)
    }
    const created: AgentRow = {
      id,
      agent_type: data.agentType,
      status: 'starting',
      session_id: data.sessionId ?? null,
      task_id: data.taskId ?? null,
      parent_agent_id: data.parentAgentId ?? null,
      started_at: now,
      last_heartbeat: now,
      stopped_at: null,
      error_count: 0,
      total_tasks_completed: 0,
      capacity: data.capacity,
      metadata_json: JSON.stringify(data.metadata),
    }
    yield* x.run(INSERT, created)
    yield* ctx.audit(x, who, { action: 'agent.register', entityType: 'agent_instance', entityId: id, after: this.#toAgent(created) }, now)
    return created
  }

  /**
   * Records a heartbeat (and what the instance reports). `INVARIANT` for a stopped
   * or crashed instance — it must register again.
   *
   * @example
   * ```ts
   * await tasks.agentInstances.heartbeat('agent-7', { status: 'idle', taskId: null, tasksCompleted: 1 })
   * ```
   */
  async heartbeat(id: string, input: AgentHeartbeatInput = {}): Promise<AgentInstance> {
    const ctx = this.#ctx
    const agentId = ctx.parse(TasksNameSchema, id, 'tasks.agentInstances.heartbeat')
    const data = ctx.parse(AgentHeartbeatSchema, input, 'tasks.agentInstances.heartbeat')
    const row = await ctx.engine.write((x) => this.#heartbeat(x, agentId, data))
    return this.#toAgent(row)
  }

  *#heartbeat(x: TasksExecutor, agentId: string, data: z.output<typeof AgentHeartbeatSchema>): Step<AgentRow> {
    const ctx = this.#ctx
    const current = yield* this.#require(x, agentId)
    if (isFinal(current.status)) throw ctx.error('INVARIANT', `agent instance ${agentId} is ${current.status}; register it again`, { id: agentId })
    if (data.taskId) yield* requireTaskRow(x, ctx, data.taskId)
    const next: AgentRow = {
      ...current,
      last_heartbeat: ctx.now(),
      status: data.status ?? (current.status === 'starting' ? 'active' : current.status),
    }
    if (data.taskId !== undefined) next.task_id = data.taskId
    if (data.capacity !== undefined) next.capacity = data.capacity
    if (data.tasksCompleted) next.total_tasks_completed += data.tasksCompleted
    if (data.metadata !== undefined) next.metadata_json = JSON.stringify({ ...this.#metadata(current), ...data.metadata })
    yield* x.run(WRITE, next)
    return next
  }

  /**
   * Records an error: counts it and sets the status `error` (a later heartbeat
   * may set it back).
   *
   * @example
   * ```ts
   * await tasks.agentInstances.recordError('agent-7', { message: 'rate limited' })
   * ```
   */
  async recordError(id: string, input: { message: string }, options: TaskMutationOptions = {}): Promise<AgentInstance> {
    const ctx = this.#ctx
    const { message } = ctx.parse(RecordAgentErrorSchema, input, 'tasks.agentInstances.recordError')
    return this.#change(id, options, 'error', (current) => ({ ...current, status: 'error', error_count: current.error_count + 1 }), { message })
  }

  /**
   * Stops an instance cleanly (final). Stopping a stopped instance is a no-op.
   *
   * @example
   * ```ts
   * await tasks.agentInstances.stop('agent-7')
   * ```
   */
  async stop(id: string, options: TaskMutationOptions = {}): Promise<AgentInstance> {
    return this.#change(id, options, 'stop', (current, now) =>
      isFinal(current.status) ? current : { ...current, status: 'stopped', stopped_at: now },
    )
  }

  /**
   * Marks every non-final instance whose last heartbeat is older than `silentMs`
   * as `crashed`; returns their ids.
   *
   * @example
   * ```ts
   * const crashed = await tasks.agentInstances.markCrashed({ silentMs: 60_000 })
   * ```
   */
  async markCrashed(input: { silentMs: number }, options: TaskMutationOptions = {}): Promise<string[]> {
    const ctx = this.#ctx
    const { silentMs } = ctx.parse(MarkCrashedSchema, input, 'tasks.agentInstances.markCrashed')
    ctx.parse(TaskMutationOptionsSchema, options, 'tasks.agentInstances.markCrashed')
    const who = ctx.actor(options, 'tasks.agentInstances.markCrashed')
    return ctx.engine.write((x) => this.#markCrashed(x, silentMs, who))
  }

  *#markCrashed(x: TasksExecutor, silentMs: number, who: Actor): Step<string[]> {
    const ctx = this.#ctx
    const now = ctx.now()
    const ids: string[] = []
    for (const current of yield* x.all(SILENT, { before: now - silentMs })) {
      const next: AgentRow = { ...current, status: 'crashed', stopped_at: now }
      yield* x.run(WRITE, next)
      yield* ctx.audit(x, who, { action: 'agent.crashed', entityType: 'agent_instance', entityId: current.id, before: this.#toAgent(current), after: this.#toAgent(next), details: { silentMs } }, now)
      ids.push(current.id)
    }
    return ids
  }

  /**
   * Reads an instance; `NOT_FOUND` when there is none.
   *
   * @example
   * ```ts
   * const a = await tasks.agentInstances.get('agent-7')
   * ```
   */
  async get(id: string): Promise<AgentInstance> {
    const ctx = this.#ctx
    const agentId = ctx.parse(TasksNameSchema, id, 'tasks.agentInstances.get')
    return this.#toAgent(await ctx.engine.read((x) => this.#require(x, agentId)))
  }

  /**
   * Instances, newest first, filtered.
   *
   * @example
   * ```ts
   * const live = await tasks.agentInstances.list({ status: 'active' })
   * ```
   */
  async list(filter: AgentInstanceFilter = {}): Promise<AgentInstance[]> {
    const ctx = this.#ctx
    const f = ctx.parse(AgentInstanceFilterSchema, filter, 'tasks.agentInstances.list')
    let q = ctx.engine.kysely.selectFrom('agent_instances').selectAll()
    if (f.status) q = q.where('status', '=', f.status)
    if (f.agentType) q = q.where('agent_type', '=', f.agentType)
    if (f.sessionId) q = q.where('session_id', '=', f.sessionId)
    const rows = await ctx.engine.read((x) => x.all(q.orderBy('started_at', 'desc').orderBy('id', 'desc').limit(f.limit ?? 100)))
    return rows.map((row) => this.#toAgent(row))
  }

  async #change(id: string, options: TaskMutationOptions, verb: string, apply: (current: AgentRow, now: number) => AgentRow, details?: unknown): Promise<AgentInstance> {
    const ctx = this.#ctx
    const agentId = ctx.parse(TasksNameSchema, id, `tasks.agentInstances.${verb}`)
    ctx.parse(TaskMutationOptionsSchema, options, `tasks.agentInstances.${verb}`)
    const who: Actor = ctx.actor(options, `tasks.agentInstances.${verb}`)
    const row = await ctx.engine.write((x) => this.#changeRow(x, agentId, who, apply, verb, details))
    return this.#toAgent(row)
  }

  *#changeRow(x: TasksExecutor, agentId: string, who: Actor, apply: (current: AgentRow, now: number) => AgentRow, verb: string, details: unknown): Step<AgentRow> {
    const ctx = this.#ctx
    const now = ctx.now()
    const current = yield* this.#require(x, agentId)
    const next = apply(current, now)
    if (next === current) return current
    if (isFinal(current.status)) throw ctx.error('INVARIANT', `agent instance ${agentId} is ${current.status}`, { id: agentId })
    yield* x.run(WRITE, next)
    yield* ctx.audit(
      x,
      who,
      { action: `agent.${verb}`, entityType: 'agent_instance', entityId: agentId, before: this.#toAgent(current), after: this.#toAgent(next), details },
      now,
    )
    return next
  }

  *#require(x: TasksExecutor, id: string): Step<AgentRow> {
    const row = yield* x.get(GET, { id })
    if (row === undefined) throw this.#ctx.notFound('agent instance', id)
    return row
  }

  #metadata(row: AgentRow): Record<string, unknown> {
    return fromJson<Record<string, unknown>>(row.metadata_json, 'agent_instances.metadata_json', this.#ctx.errorContext)
  }

  #toAgent(row: AgentRow): AgentInstance {
    return {
      id: row.id,
      agentType: row.agent_type,
      status: row.status,
      sessionId: row.session_id,
      taskId: row.task_id,
      parentAgentId: row.parent_agent_id,
      startedAt: toIso(row.started_at),
      lastHeartbeat: toIso(row.last_heartbeat),
      stoppedAt: toIsoOrNull(row.stopped_at),
      errorCount: row.error_count,
      totalTasksCompleted: row.total_tasks_completed,
      capacity: row.capacity,
      metadata: this.#metadata(row),
    }
  }
}
