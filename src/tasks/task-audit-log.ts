/**
 * The audit log: `tasks.audit`.
 *
 * @module
 */
import type { Selectable } from 'kysely'
import { z } from 'zod'

import type { TimeInput } from '../sqlite/time-input.types.js'
import { toIso } from '../sqlite/clock.js'
import { fromJsonOrNull } from '../sqlite/json.js'
import type { IterateFilter, Page } from '../sqlite/paging.js'
import { iteratePages } from '../sqlite/paging.js'
import type { TasksContext } from './tasks-context.js'
import { decodeCursor, encodeCursor } from './tasks-context.js'
import type { TaskAuditEntityType } from './tasks.enums.js'
import type {
  RecordAuditOperationInput,
  TaskAuditFilter,
  TaskMutationOptions,
} from './tasks.types.js'
import { RecordAuditOperationSchema, TaskAuditFilterSchema, TaskMutationOptionsSchema, TasksTimestampSchema } from './tasks.schemas.js'
import type { AuditLogTable } from './tasks.tables.js'

/**
 * One audit row: a committed mutation, who made it, and the entity before and
 * after.
 *
 * @example
 * ```ts
 * const [latest] = (await tasks.audit.list({ taskId: 'T1', limit: 1 })).items
 * latest.action // 'task.update'
 * ```
 */
export interface TaskAuditEntry {
  /** Increases with every row (commit order). */
  readonly id: number
  /** ISO-8601 UTC. */
  readonly timestamp: string
  /** `<entity>.<verb>`, e.g. `task.create`, `dependency.add`, `session.end`. */
  readonly action: string
  readonly entityType: TaskAuditEntityType
  readonly entityId: string
  /** The task concerned (a soft reference: the row outlives the task). */
  readonly taskId: string | null
  readonly actor: string
  readonly sessionId: string | null
  readonly requestId: string | null
  readonly before: unknown
  readonly after: unknown
  readonly details: unknown
  /** `change`: a row change written with its mutation; `operation`: appended by `tasks.audit.record`. */
  readonly kind: 'change' | 'operation'
  /** Operation rows: CLEO's domain (`tasks`, `session`, …); null on change rows. */
  readonly domain: string | null
  /** Operation rows: the operation within the domain; null on change rows. */
  readonly operation: string | null
  /** Operation rows: whether it succeeded; null on change rows. */
  readonly success: boolean | null
  readonly durationMs: number | null
  readonly errorCode: string | null
  /** Where the operation came from (CLEO's gateway/source: `cli`, `mcp`, …). */
  readonly gateway: string | null
  readonly projectHash: string | null
}

function toEntry(row: Selectable<AuditLogTable>, ctx: TasksContext): TaskAuditEntry {
  const where = ctx.errorContext
  return {
    id: row.id,
    timestamp: toIso(row.timestamp),
    action: row.action,
    entityType: row.entity_type,
    entityId: row.entity_id,
    taskId: row.task_id,
    actor: row.actor,
    sessionId: row.session_id,
    requestId: row.request_id,
    before: fromJsonOrNull(row.before_json, 'audit_log.before_json', where),
    after: fromJsonOrNull(row.after_json, 'audit_log.after_json', where),
    details: fromJsonOrNull(row.details_json, 'audit_log.details_json', where),
    kind: row.kind,
    domain: row.domain,
    operation: row.operation,
    success: row.success === null ? null : row.success === 1,
    durationMs: row.duration_ms,
    errorCode: row.error_code,
    gateway: row.gateway,
    projectHash: row.project_hash,
  }
}


const PruneAuditSchema = z.strictObject({ before: TasksTimestampSchema })

/**
 * The audit log of tasks.db, as `tasks.audit`.
 *
 * Every mutation of the repository (tasks, dependencies, relations, claims taken
 * and released, sessions, lifecycle, manifests, releases, ADRs, external links,
 * agent registration) writes its audit row **inside its own transaction**: the
 * row exists exactly when the mutation committed. Lease renewals, agent
 * heartbeats and token usage records are not audited (they are high-frequency and
 * are their own record). Timestamps are epoch milliseconds, so retention compares
 * numbers.
 *
 * @example
 * ```ts
 * const { items } = await tasks.audit.list({ taskId: 'T1' })
 * for (const e of items) console.log(e.timestamp, e.actor, e.action)
 * ```
 */
export class TaskAuditLog {
  readonly #ctx: TasksContext

  /** @internal Created by the repository. */
  constructor(ctx: TasksContext) {
    this.#ctx = ctx
  }

  /**
   * Audit rows, newest first, filtered, a page at a time.
   *
   * @example
   * ```ts
   * const page = await tasks.audit.list({ actor: 'agent-7', since: Date.now() - 3600_000, limit: 50 })
   * ```
   */
  async list(filter: TaskAuditFilter = {}): Promise<Page<TaskAuditEntry>> {
    const ctx = this.#ctx
    const f = ctx.parse(TaskAuditFilterSchema, filter, 'tasks.audit.list')
    const limit = f.limit ?? 100
    let q = ctx.engine.kysely.selectFrom('audit_log').selectAll()
    if (f.taskId) q = q.where('task_id', '=', f.taskId)
    if (f.sessionId) q = q.where('session_id', '=', f.sessionId)
    if (f.entityType) q = q.where('entity_type', '=', f.entityType)
    if (f.entityId) q = q.where('entity_id', '=', f.entityId)
    if (f.actor) q = q.where('actor', '=', f.actor)
    if (f.action) q = q.where('action', '=', f.action)
    if (f.since !== undefined) q = q.where('timestamp', '>=', f.since)
    if (f.until !== undefined) q = q.where('timestamp', '<', f.until)
    if (f.kind) q = q.where('kind', '=', f.kind)
    if (f.domain) q = q.where('domain', '=', f.domain)
    if (f.operation) q = q.where('operation', '=', f.operation)
    if (f.success !== undefined) q = q.where('success', '=', f.success ? 1 : 0)
    if (f.gateway) q = q.where('gateway', '=', f.gateway)
    if (f.errorCode) q = q.where('error_code', '=', f.errorCode)
    if (f.cursor) q = q.where('id', '<', decodeCursor(ctx, f.cursor, 'n', 'tasks.audit.list')[0] as number)
    const rows = await ctx.engine.read((x) => x.all(q.orderBy('id', 'desc').limit(limit + 1)))
    const more = rows.length > limit
    const page = more ? rows.slice(0, limit) : rows
    return { items: page.map((row) => toEntry(row, ctx)), nextCursor: more ? encodeCursor([page[page.length - 1]!.id]) : null }
  }
  /**
   * Every entry matching `filter`, newest first, fetched a page at a time.
   *
   * @example
   * ```ts
   * for await (const entry of tasks.audit.iterate({ taskId: 'T3', since: new Date('2026-01-01') })) console.log(entry.action)
   * ```
   */
  iterate(filter: IterateFilter<TaskAuditFilter> = {}): AsyncGenerator<TaskAuditEntry, void, undefined> {
    return iteratePages((cursor) => this.list(cursor === undefined ? filter : { ...filter, cursor }))
  }


  /**
   * Appends one **operation** row to the audit trail (CLEO's dispatch audit: domain,
   * operation, success, duration, error code, gateway, project hash) — for a
   * harness that records what it was asked to do, whether or not it changed a row.
   * Validated (`VALIDATION`, nothing written; `errorCode` only with `success:
   * false`); written in its own transaction with the actor, session and request
   * of `options`, and the repository's `projectHash`. Find them with
   * `list({ kind: 'operation', domain, operation, success, gateway })`.
   *
   * @example
   * ```ts
   * const started = Date.now()
   * try {
   *   await doTheWork()
   *   await tasks.audit.record({ domain: 'tasks', operation: 'add', success: true, durationMs: Date.now() - started, gateway: 'cli' })
   * } catch (e) {
   *   await tasks.audit.record({ domain: 'tasks', operation: 'add', success: false, errorCode: 'E_VALIDATION', gateway: 'cli' })
   * }
   * ```
   */
  async record(input: RecordAuditOperationInput, options: TaskMutationOptions = {}): Promise<TaskAuditEntry> {
    const ctx = this.#ctx
    const o = ctx.parse(RecordAuditOperationSchema, input, 'tasks.audit.record')
    ctx.parse(TaskMutationOptionsSchema, options, 'tasks.audit.record')
    const who = ctx.actor(options, 'tasks.audit.record')
    const row = await ctx.engine.write((x) =>
      x.get(
        x.kysely
          .insertInto('audit_log')
          .values({
            timestamp: ctx.now(),
            action: `${o.domain}.${o.operation}`.slice(0, 100),
            entity_type: 'audit',
            entity_id: `${o.domain}.${o.operation}`,
            task_id: o.taskId ?? null,
            actor: who.actor,
            session_id: who.sessionId,
            request_id: who.requestId,
            before_json: null,
            after_json: null,
            details_json: o.details === undefined ? null : JSON.stringify(o.details),
            kind: 'operation',
            domain: o.domain,
            operation: o.operation,
            success: o.success ? 1 : 0,
            duration_ms: o.durationMs ?? null,
            error_code: o.errorCode ?? null,
            gateway: o.gateway ?? null,
            project_hash: ctx.settings.projectHash,
          })
          .returningAll(),
      ),
    )
    return toEntry(row!, ctx)
  }

  /**
   * Deletes audit rows older than `before` (a `Date`, epoch ms or ISO-8601) and records the
   * pruning itself as one audit row. Returns the number deleted.
   *
   * @example
   * ```ts
   * await tasks.audit.prune({ before: Date.now() - 90 * 86_400_000 }) // CLEO's 90-day retention
   * ```
   */
  async prune(input: { before: TimeInput }, options: TaskMutationOptions = {}): Promise<number> {
    const ctx = this.#ctx
    const { before } = ctx.parse(PruneAuditSchema, input, 'tasks.audit.prune')
    ctx.parse(TaskMutationOptionsSchema, options, 'tasks.audit.prune')
    const who = ctx.actor(options, 'tasks.audit.prune')
    const query = ctx.engine.kysely.deleteFrom('audit_log').where('timestamp', '<', before)
    return ctx.engine.write(function* (x) {
      const { changes } = yield* x.run(query)
      yield* ctx.audit(x, who, { action: 'audit.prune', entityType: 'audit', entityId: 'audit_log', details: { before: toIso(before), deleted: changes } })
      return changes
    })
  }
}
