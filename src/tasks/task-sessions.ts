/**
 * Agent sessions, their handoffs and their work history: `tasks.sessions`.
 *
 * @module
 */
import type { Selectable } from 'kysely'
import { sql } from 'kysely'

import { toIso, toIsoOrNull } from '../sqlite/clock.js'
import { fromJson, fromJsonOrNull } from '../sqlite/json.js'
import type { IterateFilter, Page } from '../sqlite/paging.js'
import { iteratePages } from '../sqlite/paging.js'
import { template } from '../sqlite/query-template.js'
import type { Step } from '../sqlite/store-engine.js'
import { requireTaskRow } from './task-rows.js'
import type { Actor, TasksContext, TasksExecutor } from './tasks-context.js'
import { decodeCursor, encodeCursor } from './tasks-context.js'
import type { TaskSessionStatus } from './tasks.enums.js'
import type {
  EndTaskSessionInput,
  TaskMutationOptions,
  StartTaskSessionInput,
  TaskSessionHandoffInput,
  TaskSessionListFilter,
  TaskSessionScope,
  UpsertTaskSessionInput,
} from './tasks.types.js'
import {
  EndTaskSessionSchema,
  TaskMutationOptionsSchema,
  StartTaskSessionSchema,
  TaskIdSchema,
  TaskSessionHandoffSchema,
  TaskSessionIdSchema,
  TaskSessionListFilterSchema,
  TasksNameSchema,
  UpsertTaskSessionSchema,
} from './tasks.schemas.js'
import type { SessionsTable, TasksDatabase, TaskWorkHistoryTable } from './tasks.tables.js'
import { z } from 'zod'

import type * as Types from './tasks.types.js'

type SessionRow = Selectable<SessionsTable>
type SessionValues = Omit<SessionRow, 'scope_key'>

/**
 * How `#change` turns a session into its next values, as steps of the write body
 * (it may run statements); returning `current` itself writes nothing.
 */
type SessionChange = (this: TaskSessions, x: TasksExecutor, current: SessionRow, now: number) => Step<SessionValues>

/**
 * A session of work by an agent (CLEO), which is also a TeleClaude daemon session
 * (agent, computer, terminal name, title, status, end time).
 *
 * @example
 * ```ts
 * const session: TaskSession = await tasks.sessions.start({ name: 'morning', agent: 'claude' })
 * session.status // 'active'
 * ```
 */
export interface TaskSession {
  readonly id: string
  readonly name: string
  readonly status: TaskSessionStatus
  readonly scope: TaskSessionScope
  /** True when the session holds its scope alone (started without `concurrent`). */
  readonly exclusive: boolean
  readonly agent: string | null
  readonly computer: string | null
  /** The terminal (tmux session) name; `null` while headless. */
  readonly terminalName: string | null
  readonly title: string | null
  readonly providerId: string | null
  readonly currentTask: string | null
  readonly taskStartedAt: string | null
  readonly notes: readonly string[]
  readonly metadata: Readonly<Record<string, unknown>>
  readonly handoff: unknown
  readonly debrief: unknown
  readonly previousSessionId: string | null
  readonly nextSessionId: string | null
  readonly handoffConsumedAt: string | null
  readonly handoffConsumedBy: string | null
  readonly resumeCount: number
  readonly startedAt: string
  readonly updatedAt: string
  readonly suspendedAt: string | null
  /** When the session ended or was orphaned (TeleClaude's `closed_at`). */
  readonly endedAt: string | null
  // issue 17: the daemon's session columns
  /** The agent CLI's own session id (unique when set). */
  readonly nativeSessionId: string | null
  readonly projectPath: string | null
  readonly thinkingMode: string | null
  readonly initiator: string | null
  /** Last activity (`daemon.sessions.touch`, or any change); sessions are ordered by it. */
  readonly lastActivityAt: string | null
  /** Adapter metadata (a JSON object). */
  readonly adapterMetadata: Readonly<Record<string, unknown>>
}

/**
 * One stretch of a session working on a task.
 *
 * @example
 * ```ts
 * const [entry] = await tasks.sessions.workHistory({ sessionId })
 * entry.clearedAt // null while it is the current task
 * ```
 */
export interface TaskWorkHistoryEntry {
  readonly id: number
  readonly sessionId: string
  readonly taskId: string
  readonly setAt: string
  readonly clearedAt: string | null
}

const OPEN = sql<boolean>`status IN ('creating', 'active', 'suspended')`
const HOLDING = sql<boolean>`status IN ('creating', 'active')`
const isOpen = (status: TaskSessionStatus) => status === 'creating' || status === 'active' || status === 'suspended'
const isEnded = (status: TaskSessionStatus) => status === 'ended' || status === 'orphaned'
/** Upserts never move a session backwards: creating < active = suspended < ended = orphaned. */
const RANK: Readonly<Record<TaskSessionStatus, number>> = { creating: 0, active: 1, suspended: 1, ended: 2, orphaned: 2 }

const WRITABLE = [
  'name',
  'status',
  'agent',
  'computer',
  'terminal_name',
  'title',
  'provider_id',
  'current_task',
  'task_started_at',
  'notes_json',
  'metadata_json',
  'handoff_json',
  'debrief_json',
  'next_session_id',
  'handoff_consumed_at',
  'handoff_consumed_by',
  'resume_count',
  'updated_at',
  'suspended_at',
  'ended_at',
  'native_session_id',
  'project_path',
  'thinking_mode',
  'initiator',
  'last_activity_at',
  'adapter_metadata_json',
] as const satisfies ReadonlyArray<keyof SessionValues>

const INSERTED = [...WRITABLE, 'id', 'scope_type', 'scope_epic_id', 'exclusive', 'previous_session_id', 'started_at'] as const

function params<K extends keyof SessionValues>(
  p: <N extends keyof SessionValues & string>(name: N) => SessionValues[N],
  columns: readonly K[],
): { [C in K]: SessionValues[C] } {
  const out = {} as { [C in K]: SessionValues[C] }
  for (const column of columns) out[column] = p(column)
  return out
}

const GET = template<TasksDatabase, { id: string }>()((db, p) => db.selectFrom('sessions').selectAll().where('id', '=', p('id')))
const INSERT = template<TasksDatabase, SessionValues>()((db, p) => db.insertInto('sessions').values(params(p, INSERTED)).returningAll())
const WRITE = template<TasksDatabase, SessionValues>()((db, p) =>
  db.updateTable('sessions').set(params(p, WRITABLE)).where('id', '=', p('id')).returningAll(),
)
const HOLDERS = template<TasksDatabase, { scope: string; except: string }>()((db, p) =>
  db
    .selectFrom('sessions')
    .select(['id', 'status'])
    .where('scope_key', '=', p('scope'))
    .where(sql<boolean>`exclusive = 1`)
    .where(HOLDING)
    .where('id', '!=', p('except'))
    .limit(5),
)
const OPEN_SESSIONS = template<TasksDatabase>()((db) =>
  db.selectFrom('sessions').selectAll().where(OPEN).orderBy('started_at').orderBy('id'),
)
const NEWEST_ACTIVE = template<TasksDatabase>()((db) =>
  db.selectFrom('sessions').selectAll().where('status', '=', 'active').orderBy('started_at', 'desc').orderBy('id', 'desc').limit(1),
)
const NEWEST_ACTIVE_IN_SCOPE = template<TasksDatabase, { scope: string }>()((db, p) =>
  db
    .selectFrom('sessions')
    .selectAll()
    .where('status', '=', 'active')
    .where('scope_key', '=', p('scope'))
    .orderBy('started_at', 'desc')
    .orderBy('id', 'desc')
    .limit(1),
)
const IDLE_OPEN = template<TasksDatabase, { before: number }>()((db, p) =>
  db
    .selectFrom('sessions')
    .selectAll()
    .where(OPEN)
    .where('updated_at', '<=', p('before'))
    .where(sql<boolean>`coalesce(last_activity_at, 0) <= ${p('before')}`)
    .orderBy('started_at'),
)
const TOUCH = template<TasksDatabase, { id: string; now: number }>()((db, p) =>
  db.updateTable('sessions').set({ updated_at: p('now') }).where('id', '=', p('id')).where(OPEN).returning('id'),
)
const BY_NATIVE_ID = template<TasksDatabase, { id: string }>()((db, p) =>
  db.selectFrom('sessions').selectAll().where('native_session_id', '=', p('id')),
)
const TOUCH_ACTIVITY = template<TasksDatabase, { id: string; now: number; before: number }>()((db, p) =>
  db
    .updateTable('sessions')
    .set({ last_activity_at: p('now') })
    .where('id', '=', p('id'))
    .where(OPEN)
    .where(sql<boolean>`coalesce(last_activity_at, 0) <= ${p('before')}`)
    .returning('id'),
)
const FENCE_GET = template<TasksDatabase, { name: string }>()((db, p) =>
  db.selectFrom('writer_fences').select('token').where('name', '=', p('name')),
)
const FENCE_SET = template<TasksDatabase, { name: string; token: number }>()((db, p) =>
  db
    .insertInto('writer_fences')
    .values({ name: p('name'), token: p('token') })
    .onConflict((oc) => oc.column('name').doUpdateSet({ token: p('token') })),
)
const END_EVENTS = template<TasksDatabase, { limit: number }>()((db, p) =>
  db.selectFrom('session_end_events').selectAll().orderBy('at').orderBy('session_id').limit(p('limit')),
)
const CLOSE_WORK = template<TasksDatabase, { session: string; now: number }>()((db, p) =>
  db.updateTable('task_work_history').set({ cleared_at: p('now') }).where('session_id', '=', p('session')).where('cleared_at', 'is', null),
)
const OPEN_WORK = template<TasksDatabase, { session: string; task: string; now: number }>()((db, p) =>
  db.insertInto('task_work_history').values({ session_id: p('session'), task_id: p('task'), set_at: p('now') }),
)
const WORK_OF_SESSION = template<TasksDatabase, { id: string }>()((db, p) =>
  db.selectFrom('task_work_history').selectAll().where('session_id', '=', p('id')).orderBy('id'),
)
const WORK_OF_TASK = template<TasksDatabase, { id: string }>()((db, p) =>
  db.selectFrom('task_work_history').selectAll().where('task_id', '=', p('id')).orderBy('id'),
)

function scopeKey(scope: TaskSessionScope): string {
  return scope.type === 'epic' ? `epic:${scope.epicId}` : 'global'
}

function toWork(row: Selectable<TaskWorkHistoryTable>): TaskWorkHistoryEntry {
  return { id: row.id, sessionId: row.session_id, taskId: row.task_id, setAt: toIso(row.set_at), clearedAt: toIsoOrNull(row.cleared_at) }
}

const JsonObject = z.record(z.string(), z.unknown())


const MarkOrphanedSchema = z.strictObject({ idleMs: z.number().int().min(0) })

/** The fencing credentials of a writer lease, as presented to a fenced write. */
export interface WriterFence {
  /** The lease name (e.g. `teleclaude-daemon`). */
  readonly name: string
  /** The lease's fencing token. */
  readonly token: number
}

const WriterFenceSchema = z.object({ name: z.string().min(1).max(128), token: z.number().int().min(1) })
const NativeSessionIdSchema = z.string().min(1).max(200)
const TouchActivitySchema = z.strictObject({ coalesceMs: z.number().int().min(0).max(3_600_000).optional(), fence: WriterFenceSchema.optional() })
/** @internal Exported for test/types/tasks.types.test-d.ts. */
export const SessionActivityFilterSchema = z.strictObject({
  computer: z.string().min(1).max(200).optional(),
  status: z.enum(['creating', 'active', 'suspended', 'ended', 'orphaned']).optional(),
  limit: z.number().int().min(1).max(1000).optional(),
  cursor: z.string().min(1).max(1000).optional(),
})

/**
 * Filter of `tasks.sessions.listByActivity` (and `daemon.sessions.list`).
 *
 * @example
 * ```ts
 * const filter: SessionActivityFilter = { computer: 'mbp', status: 'active', limit: 20 }
 * ```
 */
export type SessionActivityFilter = Types.SessionActivityFilter

/**
 * Sessions of tasks.db, as `tasks.sessions`.
 *
 * **Statuses.** `creating → active ⇄ suspended → ended`, and `orphaned` for an
 * open session found idle by {@link TaskSessions.markOrphaned}. CLEO's four
 * statuses are kept as they are. TeleClaude's lifecycle maps onto them:
 *
 * | TeleClaude | here |
 * | --- | --- |
 * | `initializing` / insert with `creating` | `creating` (no terminal yet) |
 * | `active`, update with the tmux name | `active` with `terminalName` |
 * | `headless` | `active` with `terminalName: null` |
 * | `closing` | still `active` (open) until closed |
 * | `closed` with `closed_at` | `ended` with `endedAt` |
 *
 * **Scope.** A session covers the project (`global`) or one epic, and by default
 * holds it exclusively while creating or active: starting a second such session
 * on the scope is refused with `CONFLICT`. Running alongside is an explicit
 * choice, `concurrent: true`: such a session neither holds the scope nor is
 * refused by its holder. The check runs in the insert's write transaction and a
 * partial UNIQUE index backs it, so two processes cannot both win (CLEO checked
 * outside any transaction and several "active" sessions piled up). Upserted
 * sessions (the TeleClaude daemon's) are always concurrent.
 *
 * **Idempotence.** `upsert` by id is safe to replay: fields left out keep their
 * value, the status only moves forward, and a replay that changes nothing writes
 * nothing (not even an audit row). `end` of an ended session is a no-op.
 *
 * @example
 * ```ts
 * const s = await tasks.sessions.start({ name: 'parser', scope: { type: 'epic', epicId: 'T1' } })
 * await tasks.sessions.setCurrentTask(s.id, 'T2')
 * await tasks.sessions.end(s.id, { note: 'parser done' })
 * ```
 */
export class TaskSessions {
  readonly #ctx: TasksContext

  /** @internal Created by the repository. */
  constructor(ctx: TasksContext) {
    this.#ctx = ctx
  }

  /**
   * Starts a session. `CONFLICT` when another exclusive session already holds the
   * scope (pass `concurrent: true` to run alongside it); `NOT_FOUND` /
   * `INVARIANT` for a scope epic that does not exist or is not an epic.
   *
   * @example
   * ```ts
   * const s = await tasks.sessions.start({ name: 'review', agent: 'claude', computer: 'mbp', concurrent: true })
   * ```
   */
  async start(input: StartTaskSessionInput, options: TaskMutationOptions = {}): Promise<TaskSession> {
    const ctx = this.#ctx
    const data = ctx.parse(StartTaskSessionSchema, input, 'tasks.sessions.start')
    ctx.parse(TaskMutationOptionsSchema, options, 'tasks.sessions.start')
    const who = ctx.actor(options, 'tasks.sessions.start')
    const id = data.id ?? ctx.newId()
    const row = await ctx.engine.write((x) => this.#start(x, who, id, data, ctx.now()))
    return this.#toSession(row)
  }

  /**
   * Inserts or updates a session by id (the TeleClaude daemon's write). Creating:
   * `name` defaults to the title or the id, `status` to `active`, the scope to
   * `global` (not exclusive). Updating: only the given fields change; a status
   * earlier than the current one is ignored; ending stamps `endedAt` (default now),
   * closes the work history and clears the current task.
   *
   * @example
   * ```ts
   * await tasks.sessions.upsert({ id, status: 'creating', agent: 'claude', computer: 'mbp' })
   * await tasks.sessions.upsert({ id, status: 'active', terminalName: 'tc_42' })
   * await tasks.sessions.upsert({ id, title: 'Fix the parser', metadata: { thinking: 'high' } })
   * await tasks.sessions.upsert({ id, status: 'ended' })
   * ```
   */
  async upsert(input: UpsertTaskSessionInput, options: TaskMutationOptions = {}): Promise<TaskSession> {
    return this.#upsert(input, options, null)
  }

  /**
   * {@link upsert} fenced by a writer lease: refused with `LEASE_LOST` when tasks.db
   * has seen a larger token of the lease `fence.name` (see {@link TaskSessions.fence}).
   * Used by `DaemonStore` once it holds the daemon lock.
   *
   * @example
   * ```ts
   * await tasks.sessions.upsertFenced({ id, status: 'active' }, { name: 'teleclaude-daemon', token: lease.token })
   * ```
   */
  async upsertFenced(input: UpsertTaskSessionInput, fence: WriterFence, options: TaskMutationOptions = {}): Promise<TaskSession> {
    return this.#upsert(input, options, fence)
  }

  async #upsert(input: UpsertTaskSessionInput, options: TaskMutationOptions, fence: WriterFence | null): Promise<TaskSession> {
    const ctx = this.#ctx
    const data = ctx.parse(UpsertTaskSessionSchema, input, 'tasks.sessions.upsert')
    ctx.parse(TaskMutationOptionsSchema, options, 'tasks.sessions.upsert')
    const who = ctx.actor(options, 'tasks.sessions.upsert')
    const checked = fence === null ? null : ctx.parse(WriterFenceSchema, fence, 'tasks.sessions.upsert')
    const row = await ctx.engine.write((x) => this.#upsertRow(x, data, who, checked))
    return this.#toSession(row)
  }

  *#upsertRow(x: TasksExecutor, data: z.output<typeof UpsertTaskSessionSchema>, who: Actor, checked: z.output<typeof WriterFenceSchema> | null): Step<SessionRow> {
    const ctx = this.#ctx
    if (checked !== null) yield* this.#checkFence(x, checked)
    const now = ctx.now()
    const current = yield* x.get(GET, { id: data.id })
    const fields = {
      ...(data.agent !== undefined ? { agent: data.agent } : {}),
      ...(data.computer !== undefined ? { computer: data.computer } : {}),
      ...(data.terminalName !== undefined ? { terminal_name: data.terminalName } : {}),
      ...(data.title !== undefined ? { title: data.title } : {}),
      ...(data.providerId !== undefined ? { provider_id: data.providerId } : {}),
      ...(data.name !== undefined ? { name: data.name } : {}),
      ...(data.nativeSessionId !== undefined ? { native_session_id: data.nativeSessionId } : {}),
      ...(data.projectPath !== undefined ? { project_path: data.projectPath } : {}),
      ...(data.thinkingMode !== undefined ? { thinking_mode: data.thinkingMode } : {}),
      ...(data.initiator !== undefined ? { initiator: data.initiator } : {}),
    }
    if (current === undefined) {
      const status = data.status ?? 'active'
      const scope = data.scope ?? { type: 'global' as const }
      if (scope.type === 'epic') yield* this.#requireEpic(x, scope.epicId)
      const created = (yield* x.get(INSERT, {
        id: data.id,
        name: data.name ?? data.title ?? data.id,
        status,
        scope_type: scope.type,
        scope_epic_id: scope.type === 'epic' ? scope.epicId : null,
        exclusive: 0,
        agent: null,
        computer: null,
        terminal_name: null,
        title: null,
        provider_id: null,
        native_session_id: null,
        project_path: null,
        thinking_mode: null,
        initiator: null,
        ...fields,
        last_activity_at: now,
        adapter_metadata_json: JSON.stringify(data.adapterMetadata ?? {}),
        current_task: null,
        task_started_at: null,
        notes_json: '[]',
        metadata_json: JSON.stringify(data.metadata ?? {}),
        handoff_json: null,
        debrief_json: null,
        previous_session_id: null,
        next_session_id: null,
        handoff_consumed_at: null,
        handoff_consumed_by: null,
        resume_count: 0,
        started_at: now,
        updated_at: now,
        suspended_at: status === 'suspended' ? now : null,
        ended_at: isEnded(status) ? (data.endedAt ?? now) : null,
      }))!
      yield* ctx.audit(x, who, { action: 'session.upsert', entityType: 'session', entityId: data.id, after: this.#toSession(created) }, now)
      return created
    }
    const next: SessionValues = { ...current, ...fields }
    if (data.metadata !== undefined) next.metadata_json = JSON.stringify({ ...this.#metadata(current), ...data.metadata })
    if (data.adapterMetadata !== undefined) {
      next.adapter_metadata_json = JSON.stringify({ ...this.#adapterMetadata(current), ...data.adapterMetadata })
    }
    if (data.status !== undefined && data.status !== current.status && !isEnded(current.status) && RANK[data.status] >= RANK[current.status]) {
      next.status = data.status
      next.suspended_at = data.status === 'suspended' ? now : null
      if (isEnded(data.status)) this.#endInPlace(next, data.endedAt ?? now)
    }
    const changed = WRITABLE.some((column) => next[column] !== current[column])
    if (!changed) return current
    next.updated_at = now
    next.last_activity_at = Math.max(now, current.last_activity_at ?? 0)
    if (isEnded(next.status) && !isEnded(current.status)) yield* x.run(CLOSE_WORK, { session: current.id, now })
    const written = (yield* x.get(WRITE, next))!
    yield* ctx.audit(
      x,
      who,
      { action: 'session.upsert', entityType: 'session', entityId: current.id, before: this.#toSession(current), after: this.#toSession(written) },
      now,
    )
    return written
  }

  /**
   * Reads a session; `NOT_FOUND` when there is none.
   *
   * @example
   * ```ts
   * const s = await tasks.sessions.get(id)
   * ```
   */
  async get(id: string): Promise<TaskSession> {
    const found = await this.find(id)
    if (found === null) throw this.#ctx.notFound('session', id)
    return found
  }

  /**
   * Reads a session, or `null`.
   *
   * @example
   * ```ts
   * const s = await tasks.sessions.find(id)
   * ```
   */
  async find(id: string): Promise<TaskSession | null> {
    const ctx = this.#ctx
    const sessionId = ctx.parse(TaskSessionIdSchema, id, 'tasks.sessions.find')
    const row = await ctx.engine.read((x) => x.get(GET, { id: sessionId }))
    return row === undefined ? null : this.#toSession(row)
  }

  /**
   * Lists sessions, newest first, a page at a time.
   *
   * @example
   * ```ts
   * const { items, nextCursor } = await tasks.sessions.list({ status: 'ended', limit: 20 })
   * ```
   */
  async list(filter: TaskSessionListFilter = {}): Promise<Page<TaskSession>> {
    const ctx = this.#ctx
    const f = ctx.parse(TaskSessionListFilterSchema, filter, 'tasks.sessions.list')
    const limit = f.limit ?? 100
    let q = ctx.engine.kysely.selectFrom('sessions').selectAll()
    if (f.status) q = q.where('status', '=', f.status)
    if (f.agent) q = q.where('agent', '=', f.agent)
    if (f.cursor) {
      const [startedAt, id] = decodeCursor(ctx, f.cursor, 'ns', 'tasks.sessions.list') as [number, string]
      q = q.where((eb) => eb.or([eb('started_at', '<', startedAt), eb.and([eb('started_at', '=', startedAt), eb('id', '<', id)])]))
    }
    const rows = await ctx.engine.read((x) => x.all(q.orderBy('started_at', 'desc').orderBy('id', 'desc').limit(limit + 1)))
    const more = rows.length > limit
    const page = more ? rows.slice(0, limit) : rows
    const last = page[page.length - 1]
    return { items: page.map((row) => this.#toSession(row)), nextCursor: more && last ? encodeCursor([last.started_at, last.id]) : null }
  }
  /**
   * Every session matching `filter`, newest first, fetched a page at a time.
   *
   * @example
   * ```ts
   * for await (const session of tasks.sessions.iterate({ agent: 'claude' })) console.log(session.id, session.status)
   * ```
   */
  iterate(filter: IterateFilter<TaskSessionListFilter> = {}): AsyncGenerator<TaskSession, void, undefined> {
    return iteratePages((cursor) => this.list(cursor === undefined ? filter : { ...filter, cursor }))
  }


  /**
   * Every open session (creating, active or suspended), oldest first: what a
   * daemon re-attaches to after a restart.
   *
   * @example
   * ```ts
   * for (const s of await tasks.sessions.listOpen()) reattach(s.id, s.terminalName)
   * ```
   */
  async listOpen(): Promise<TaskSession[]> {
    const ctx = this.#ctx
    const rows = await ctx.engine.read((x) => x.all(OPEN_SESSIONS))
    return rows.map((row) => this.#toSession(row))
  }

  /**
   * The newest active session (of one scope, if given), or `null`.
   *
   * @example
   * ```ts
   * const s = await tasks.sessions.current({ type: 'epic', epicId: 'T1' })
   * ```
   */
  async current(scope?: TaskSessionScope): Promise<TaskSession | null> {
    const ctx = this.#ctx
    const row = await ctx.engine.read((x) =>
      scope === undefined ? x.get(NEWEST_ACTIVE) : x.get(NEWEST_ACTIVE_IN_SCOPE, { scope: scopeKey(scope) }),
    )
    return row === undefined ? null : this.#toSession(row)
  }

  /**
   * Pauses an active session; `INVARIANT` from any other status. A suspended
   * session does not hold its scope.
   *
   * @example
   * ```ts
   * await tasks.sessions.suspend(id)
   * ```
   */
  async suspend(id: string, options: TaskMutationOptions = {}): Promise<TaskSession> {
    return this.#change(id, options, 'suspend', function* (x, current, now) {
      if (current.status !== 'active') throw this.#ctx.error('INVARIANT', `session ${id} is ${current.status}, not active`, { id })
      return { ...current, status: 'suspended', suspended_at: now }
    })
  }

  /**
   * Resumes a suspended session (counting resumes). `CONFLICT` when an exclusive
   * session's scope was taken meanwhile.
   *
   * @example
   * ```ts
   * await tasks.sessions.resume(id)
   * ```
   */
  async resume(id: string, options: TaskMutationOptions = {}): Promise<TaskSession> {
    return this.#change(id, options, 'resume', function* (x, current) {
      if (current.status !== 'suspended') throw this.#ctx.error('INVARIANT', `session ${id} is ${current.status}, not suspended`, { id })
      if (current.exclusive === 1) yield* this.#assertScopeFree(x, current.scope_key, current.id)
      return { ...current, status: 'active', suspended_at: null, resume_count: current.resume_count + 1 }
    })
  }

  /**
   * Ends a session: closes its work history, clears its current task, appends the
   * note, keeps the debrief and handoff. Ending an ended (or orphaned) session
   * returns it unchanged.
   *
   * @example
   * ```ts
   * await tasks.sessions.end(id, { note: 'done for today', handoff: { next: ['T7'] } })
   * ```
   */
  async end(id: string, input: EndTaskSessionInput = {}, options: TaskMutationOptions = {}): Promise<TaskSession> {
    const data = this.#ctx.parse(EndTaskSessionSchema, input, 'tasks.sessions.end')
    return this.#change(id, options, 'end', function* (x, current, now) {
      if (isEnded(current.status)) return current
      return this.#ended(current, now, data)
    })
  }

  /**
   * Ends `fromId` with a handoff and starts its successor, linked both ways, in
   * one transaction. The successor inherits the scope (and name) unless given.
   *
   * @example
   * ```ts
   * const { from, to } = await tasks.sessions.handoff(id, { handoff: { todo: ['T7'] }, to: { agent: 'codex' } })
   * ```
   */
  async handoff(fromId: string, input: TaskSessionHandoffInput, options: TaskMutationOptions = {}): Promise<{ from: TaskSession; to: TaskSession }> {
    const ctx = this.#ctx
    const id = ctx.parse(TaskSessionIdSchema, fromId, 'tasks.sessions.handoff')
    const data = ctx.parse(TaskSessionHandoffSchema, input, 'tasks.sessions.handoff')
    ctx.parse(TaskMutationOptionsSchema, options, 'tasks.sessions.handoff')
    const who = ctx.actor(options, 'tasks.sessions.handoff')
    const nextId = data.to.id ?? ctx.newId()
    const { from, to } = await ctx.engine.write((x) => this.#handoff(x, id, nextId, data, who))
    return { from: this.#toSession(from), to: this.#toSession(to) }
  }

  *#handoff(x: TasksExecutor, id: string, nextId: string, data: z.output<typeof TaskSessionHandoffSchema>, who: Actor) {
    const ctx = this.#ctx
    const now = ctx.now()
    const current = yield* this.#require(x, id)
    if (!isOpen(current.status)) throw ctx.error('INVARIANT', `session ${id} is ${current.status}; only an open session hands off`, { id })
    if (current.next_session_id !== null) throw ctx.error('CONFLICT', `session ${id} already handed off to ${current.next_session_id}`, { id })
    yield* x.run(CLOSE_WORK, { session: id, now })
    const ended = (yield* x.get(WRITE, { ...this.#ended(current, now, { handoff: data.handoff, note: data.note }), updated_at: now }))!
    yield* ctx.audit(x, who, { action: 'session.end', entityType: 'session', entityId: id, before: this.#toSession(current), after: this.#toSession(ended) }, now)
    const scope: TaskSessionScope =
      data.to.scope ?? (current.scope_type === 'epic' ? { type: 'epic', epicId: current.scope_epic_id! } : { type: 'global' })
    const started = yield* this.#start(
      x,
      who,
      nextId,
      { ...data.to, name: data.to.name ?? current.name, scope, concurrent: data.to.concurrent ?? current.exclusive === 0, status: data.to.status ?? 'active', previousSessionId: id },
      now,
    )
    return { from: (yield* x.get(GET, { id }))!, to: started }
  }

  /**
   * Marks the handoff of session `id` as consumed by `by`, and returns the
   * session with its handoff. `CONFLICT` when it was consumed already,
   * `INVARIANT` when the session has no handoff.
   *
   * @example
   * ```ts
   * const previous = await tasks.sessions.consumeHandoff(prevId, 'codex')
   * console.log(previous.handoff)
   * ```
   */
  async consumeHandoff(id: string, by: string, options: TaskMutationOptions = {}): Promise<TaskSession> {
    const consumer = this.#ctx.parse(TasksNameSchema, by, 'tasks.sessions.consumeHandoff')
    return this.#change(id, options, 'consumeHandoff', function* (x, current, now) {
      if (current.handoff_json === null) throw this.#ctx.error('INVARIANT', `session ${id} has no handoff`, { id })
      if (current.handoff_consumed_at !== null) {
        throw this.#ctx.error('CONFLICT', `the handoff of session ${id} was consumed by ${current.handoff_consumed_by}`, {
          id,
          consumedBy: current.handoff_consumed_by,
        })
      }
      return { ...current, handoff_consumed_at: now, handoff_consumed_by: consumer }
    })
  }

  /**
   * Sets (or with `null` clears) the task a session is working on: closes the
   * open work-history row, opens a new one and updates the session, in one
   * transaction (CLEO ran three separate statements).
   *
   * @example
   * ```ts
   * await tasks.sessions.setCurrentTask(id, 'T4')
   * ```
   */
  async setCurrentTask(id: string, taskId: string | null, options: TaskMutationOptions = {}): Promise<TaskSession> {
    const ctx = this.#ctx
    const task = ctx.parse(TaskIdSchema.nullable(), taskId, 'tasks.sessions.setCurrentTask')
    return this.#change(id, options, 'setCurrentTask', function* (x, current, now) {
      if (current.status !== 'active' && current.status !== 'creating') {
        throw ctx.error('INVARIANT', `session ${id} is ${current.status}; only an active session works on a task`, { id })
      }
      if (current.current_task === task) return current
      if (task !== null) {
        const row = yield* requireTaskRow(x, ctx, task)
        if (row.archived_at !== null) throw ctx.error('INVARIANT', `task ${task} is archived`, { taskId: task })
      }
      yield* x.run(CLOSE_WORK, { session: id, now })
      if (task !== null) yield* x.run(OPEN_WORK, { session: id, task, now })
      return { ...current, current_task: task, task_started_at: task === null ? null : now }
    })
  }

  /**
   * The work history of one session or of one task, oldest first.
   *
   * @example
   * ```ts
   * await tasks.sessions.workHistory({ taskId: 'T4' })
   * ```
   */
  async workHistory(of: { sessionId: string } | { taskId: string }): Promise<TaskWorkHistoryEntry[]> {
    const ctx = this.#ctx
    const rows = await ctx.engine.read((x) =>
      'sessionId' in of
        ? x.all(WORK_OF_SESSION, { id: ctx.parse(TaskSessionIdSchema, of.sessionId, 'tasks.sessions.workHistory') })
        : x.all(WORK_OF_TASK, { id: ctx.parse(TaskIdSchema, of.taskId, 'tasks.sessions.workHistory') }),
    )
    return rows.map(toWork)
  }

  /**
   * Records activity on an open session (bumps `updatedAt`, which
   * {@link markOrphaned} reads); `NOT_FOUND` unless the session exists and is open.
   * Not audited.
   *
   * @example
   * ```ts
   * setInterval(() => tasks.sessions.touch(id), 30_000)
   * ```
   */
  async touch(id: string): Promise<void> {
    const ctx = this.#ctx
    const sessionId = ctx.parse(TaskSessionIdSchema, id, 'tasks.sessions.touch')
    await ctx.engine.write(function* (x) {
      if ((yield* x.get(TOUCH, { id: sessionId, now: ctx.now() })) === undefined) throw ctx.notFound('open session', sessionId)
    })
  }

  // issue 17: the daemon's session queries, activity and fencing

  /**
   * The session with this native (agent CLI) session id, or `null`.
   *
   * @example
   * ```ts
   * const s = await tasks.sessions.findByNativeId('3f9c…')
   * ```
   */
  async findByNativeId(nativeSessionId: string): Promise<TaskSession | null> {
    const ctx = this.#ctx
    const id = ctx.parse(NativeSessionIdSchema, nativeSessionId, 'tasks.sessions.findByNativeId')
    const row = await ctx.engine.read((x) => x.get(BY_NATIVE_ID, { id }))
    return row === undefined ? null : this.#toSession(row)
  }

  /**
   * Sessions by last activity, most recent first, a page at a time; optionally of one
   * computer and one status (`sessions_activity_idx` / `sessions_computer_activity_idx`).
   *
   * @example
   * ```ts
   * const { items, nextCursor } = await tasks.sessions.listByActivity({ computer: 'mbp', status: 'active', limit: 50 })
   * ```
   */
  async listByActivity(filter: SessionActivityFilter = {}): Promise<{ items: TaskSession[]; nextCursor: string | null }> {
    const ctx = this.#ctx
    const f = ctx.parse(SessionActivityFilterSchema, filter, 'tasks.sessions.listByActivity')
    const limit = f.limit ?? 100
    let q = ctx.engine.kysely.selectFrom('sessions').selectAll()
    if (f.computer !== undefined) q = q.where('computer', '=', f.computer)
    if (f.status !== undefined) q = q.where('status', '=', f.status)
    const activity = sql<number>`coalesce(last_activity_at, -1)`
    if (f.cursor) {
      const [at, id] = decodeCursor(ctx, f.cursor, 'ns', 'tasks.sessions.listByActivity') as [number, string]
      q = q.where((eb) => eb.or([eb(activity, '<', at), eb.and([eb(activity, '=', at), eb('id', '<', id)])]))
    }
    const rows = await ctx.engine.read((x) => x.all(q.orderBy(activity, 'desc').orderBy('id', 'desc').limit(limit + 1)))
    const more = rows.length > limit
    const page = more ? rows.slice(0, limit) : rows
    const last = page[page.length - 1]
    return {
      items: page.map((row) => this.#toSession(row)),
      nextCursor: more && last ? encodeCursor([last.last_activity_at ?? -1, last.id]) : null,
    }
  }

  /**
   * Moves an open session's last activity to now, **without** an audit row (the hot
   * path). Writes are coalesced: when the last activity is less than `coalesceMs`
   * old (default 1000) nothing is written and `false` is returned. `NOT_FOUND` unless
   * the session exists and is open. With `fence`, fenced like {@link upsertFenced}.
   *
   * @example
   * ```ts
   * await tasks.sessions.touchActivity(id, { coalesceMs: 5_000 })
   * ```
   */
  async touchActivity(id: string, options: { coalesceMs?: number; fence?: WriterFence } = {}): Promise<boolean> {
    const ctx = this.#ctx
    const sessionId = ctx.parse(TaskSessionIdSchema, id, 'tasks.sessions.touchActivity')
    const opts = ctx.parse(TouchActivitySchema, options, 'tasks.sessions.touchActivity')
    return ctx.engine.write((x) => this.#touchActivity(x, sessionId, opts))
  }

  *#touchActivity(x: TasksExecutor, sessionId: string, opts: z.output<typeof TouchActivitySchema>): Step<boolean> {
    const ctx = this.#ctx
    if (opts.fence !== undefined) yield* this.#checkFence(x, opts.fence)
    const now = ctx.now()
    if ((yield* x.get(TOUCH_ACTIVITY, { id: sessionId, now, before: now - (opts.coalesceMs ?? 1000) })) !== undefined) return true
    const row = yield* x.get(GET, { id: sessionId })
    if (row === undefined || !isOpen(row.status)) throw ctx.notFound('open session', sessionId)
    return false
  }

  /**
   * Records that the writer lease `name` now has token `token` (a takeover): from
   * then on, fenced writes with a smaller token are refused with `LEASE_LOST`. A
   * smaller token than the one recorded is itself `LEASE_LOST`.
   *
   * @example
   * ```ts
   * await tasks.sessions.fence({ name: 'teleclaude-daemon', token: lease.token })
   * ```
   */
  async fence(fence: WriterFence): Promise<void> {
    const ctx = this.#ctx
    const checked = ctx.parse(WriterFenceSchema, fence, 'tasks.sessions.fence')
    await ctx.engine.write((x) => this.#checkFence(x, checked))
  }

  /**
   * Removes and returns the sessions that ended, were orphaned or were deleted since
   * the last call (recorded by triggers, whoever the writer): the daemon purges their
   * rows in other files, then calls {@link ackEndEvents}. At most `limit` (default 100).
   *
   * @example
   * ```ts
   * const ended = await tasks.sessions.endEvents()
   * ```
   */
  async endEvents(limit = 100): Promise<Array<{ sessionId: string; reason: 'ended' | 'orphaned' | 'deleted' }>> {
    const ctx = this.#ctx
    const n = ctx.parse(z.number().int().min(1).max(10_000), limit, 'tasks.sessions.endEvents')
    const rows = await ctx.engine.read((x) => x.all(END_EVENTS, { limit: n }))
    return rows.map((row) => ({ sessionId: row.session_id, reason: row.reason }))
  }

  /**
   * Forgets end events once their sessions' rows elsewhere were purged.
   *
   * @example
   * ```ts
   * await tasks.sessions.ackEndEvents(ended.map((e) => e.sessionId))
   * ```
   */
  async ackEndEvents(sessionIds: readonly string[]): Promise<void> {
    const ctx = this.#ctx
    const ids = ctx.parse(z.array(TaskSessionIdSchema).max(10_000), sessionIds, 'tasks.sessions.ackEndEvents')
    if (ids.length === 0) return
    await ctx.engine.write(function* (x) {
      yield* x.run(ctx.engine.kysely.deleteFrom('session_end_events').where('session_id', 'in', ids))
    })
  }

  *#checkFence(x: TasksExecutor, fence: { name: string; token: number }): Step<void> {
    const ctx = this.#ctx
    const seen = yield* x.get(FENCE_GET, { name: fence.name })
    if (seen !== undefined && seen.token > fence.token) {
      throw ctx.error('LEASE_LOST', `writer lease ${JSON.stringify(fence.name)} token ${fence.token} was superseded by token ${seen.token}`, {
        name: fence.name,
        token: fence.token,
        current: seen.token,
      })
    }
    if (seen === undefined || seen.token < fence.token) yield* x.run(FENCE_SET, fence)
  }

  /**
   * Marks open sessions idle for at least `idleMs` (no change, no `touch`) as
   * `orphaned`, ending them; returns their ids. Only sessions older than the
   * cutoff are touched (CLEO's `gcSessions` ignored its age argument).
   *
   * @example
   * ```ts
   * const orphaned = await tasks.sessions.markOrphaned({ idleMs: 24 * 3600_000 })
   * ```
   */
  async markOrphaned(input: { idleMs: number }, options: TaskMutationOptions = {}): Promise<string[]> {
    const ctx = this.#ctx
    const { idleMs } = ctx.parse(MarkOrphanedSchema, input, 'tasks.sessions.markOrphaned')
    ctx.parse(TaskMutationOptionsSchema, options, 'tasks.sessions.markOrphaned')
    const who = ctx.actor(options, 'tasks.sessions.markOrphaned')
    return ctx.engine.write((x) => this.#markOrphaned(x, idleMs, who))
  }

  *#markOrphaned(x: TasksExecutor, idleMs: number, who: Actor): Step<string[]> {
    const ctx = this.#ctx
    const now = ctx.now()
    const ids: string[] = []
    for (const current of yield* x.all(IDLE_OPEN, { before: now - idleMs })) {
      yield* x.run(CLOSE_WORK, { session: current.id, now })
      const next: SessionValues = { ...current, status: 'orphaned', suspended_at: null, updated_at: now }
      this.#endInPlace(next, now)
      const written = (yield* x.get(WRITE, next))!
      yield* ctx.audit(
        x,
        who,
        { action: 'session.orphan', entityType: 'session', entityId: current.id, before: this.#toSession(current), after: this.#toSession(written), details: { idleMs } },
        now,
      )
      ids.push(current.id)
    }
    return ids
  }

  // ── inside a write transaction ───────────────────────────────────────────────

  *#start(x: TasksExecutor, who: Actor, id: string, data: ReturnType<typeof StartTaskSessionSchema.parse>, now: number): Step<SessionRow> {
    const ctx = this.#ctx
    const scope = data.scope
    if (scope.type === 'epic') yield* this.#requireEpic(x, scope.epicId)
    if (!data.concurrent) yield* this.#assertScopeFree(x, scopeKey(scope), id)
    let previous: SessionRow | undefined
    if (data.previousSessionId !== undefined) {
      previous = yield* this.#require(x, data.previousSessionId)
      if (previous.next_session_id !== null && previous.next_session_id !== id) {
        throw ctx.error('CONFLICT', `session ${previous.id} already continues as ${previous.next_session_id}`, { id: previous.id })
      }
    }
    const created = (yield* x.get(INSERT, {
      id,
      name: data.name,
      status: data.status,
      scope_type: scope.type,
      scope_epic_id: scope.type === 'epic' ? scope.epicId : null,
      exclusive: data.concurrent ? 0 : 1,
      agent: data.agent ?? null,
      computer: data.computer ?? null,
      terminal_name: data.terminalName ?? null,
      title: data.title ?? null,
      provider_id: data.providerId ?? null,
      native_session_id: data.nativeSessionId ?? null,
      project_path: data.projectPath ?? null,
      thinking_mode: data.thinkingMode ?? null,
      initiator: data.initiator ?? null,
      last_activity_at: now,
      adapter_metadata_json: JSON.stringify(data.adapterMetadata ?? {}),
      current_task: null,
      task_started_at: null,
      notes_json: '[]',
      metadata_json: JSON.stringify(data.metadata ?? {}),
      handoff_json: null,
      debrief_json: null,
      previous_session_id: previous?.id ?? null,
      next_session_id: null,
      handoff_consumed_at: null,
      handoff_consumed_by: null,
      resume_count: 0,
      started_at: now,
      updated_at: now,
      suspended_at: null,
      ended_at: null,
    }))!
    if (previous !== undefined && previous.next_session_id === null) {
      yield* x.get(WRITE, { ...previous, next_session_id: id, updated_at: now })
    }
    yield* ctx.audit(x, who, { action: 'session.start', entityType: 'session', entityId: id, after: this.#toSession(created) }, now)
    return created
  }

  /** Loads, changes and writes one session in a write transaction, with its audit row. */
  async #change(id: string, options: TaskMutationOptions, verb: string, apply: SessionChange): Promise<TaskSession> {
    const ctx = this.#ctx
    const sessionId = ctx.parse(TaskSessionIdSchema, id, `tasks.sessions.${verb}`)
    ctx.parse(TaskMutationOptionsSchema, options, `tasks.sessions.${verb}`)
    const who = ctx.actor(options, `tasks.sessions.${verb}`)
    const row = await ctx.engine.write((x) => this.#changeRow(x, sessionId, who, verb, apply))
    return this.#toSession(row)
  }

  *#changeRow(x: TasksExecutor, sessionId: string, who: Actor, verb: string, apply: SessionChange): Step<SessionRow> {
    const ctx = this.#ctx
    const now = ctx.now()
    const current = yield* this.#require(x, sessionId)
    const next = yield* apply.call(this, x, current, now)
    if (next === current) return current
    if (isEnded(next.status) && !isEnded(current.status)) yield* x.run(CLOSE_WORK, { session: sessionId, now })
    const written = (yield* x.get(WRITE, { ...next, updated_at: now, last_activity_at: Math.max(now, current.last_activity_at ?? 0) }))!
    yield* ctx.audit(
      x,
      who,
      { action: `session.${verb}`, entityType: 'session', entityId: sessionId, before: this.#toSession(current), after: this.#toSession(written) },
      now,
    )
    return written
  }

  #ended(current: SessionRow, now: number, data: { note?: string | undefined; debrief?: unknown; handoff?: unknown }): SessionValues {
    const next: SessionValues = { ...current, status: 'ended', suspended_at: null }
    this.#endInPlace(next, now)
    if (data.note !== undefined) next.notes_json = JSON.stringify([...fromJson<string[]>(current.notes_json, 'sessions.notes_json'), data.note])
    if (data.debrief !== undefined) next.debrief_json = JSON.stringify(data.debrief)
    if (data.handoff !== undefined) next.handoff_json = JSON.stringify(data.handoff)
    return next
  }

  #endInPlace(next: SessionValues, at: number): void {
    next.ended_at = at
    next.suspended_at = null
    next.current_task = null
    next.task_started_at = null
  }

  *#assertScopeFree(x: TasksExecutor, scope: string, self: string): Step<void> {
    const holders = yield* x.all(HOLDERS, { scope, except: self })
    if (holders.length > 0) {
      throw this.#ctx.error(
        'CONFLICT',
        `scope ${scope} is held by open session ${holders.map((h) => h.id).join(', ')}; pass concurrent: true to run alongside it`,
        { scope, sessions: holders.map((h) => h.id) },
      )
    }
  }

  *#requireEpic(x: TasksExecutor, epicId: string): Step<void> {
    const row = yield* requireTaskRow(x, this.#ctx, epicId)
    if (row.type !== 'epic') throw this.#ctx.error('INVARIANT', `session scope ${epicId} is a ${row.type}, not an epic`, { epicId })
  }

  *#require(x: TasksExecutor, id: string): Step<SessionRow> {
    const row = yield* x.get(GET, { id })
    if (row === undefined) throw this.#ctx.notFound('session', id)
    return row
  }

  #metadata(row: SessionRow): Record<string, unknown> {
    return fromJson(row.metadata_json, 'sessions.metadata_json', this.#ctx.errorContext, JsonObject)
  }

  #adapterMetadata(row: SessionRow): Record<string, unknown> {
    return fromJson(row.adapter_metadata_json, 'sessions.adapter_metadata_json', this.#ctx.errorContext, JsonObject)
  }

  #toSession(row: SessionRow): TaskSession {
    const where = this.#ctx.errorContext
    return {
      id: row.id,
      name: row.name,
      status: row.status,
      scope: row.scope_type === 'epic' ? { type: 'epic', epicId: row.scope_epic_id! } : { type: 'global' },
      exclusive: row.exclusive === 1,
      agent: row.agent,
      computer: row.computer,
      terminalName: row.terminal_name,
      title: row.title,
      providerId: row.provider_id,
      currentTask: row.current_task,
      taskStartedAt: toIsoOrNull(row.task_started_at),
      notes: fromJson<string[]>(row.notes_json, 'sessions.notes_json', where),
      metadata: this.#metadata(row),
      handoff: fromJsonOrNull(row.handoff_json, 'sessions.handoff_json', where),
      debrief: fromJsonOrNull(row.debrief_json, 'sessions.debrief_json', where),
      previousSessionId: row.previous_session_id,
      nextSessionId: row.next_session_id,
      handoffConsumedAt: toIsoOrNull(row.handoff_consumed_at),
      handoffConsumedBy: row.handoff_consumed_by,
      resumeCount: row.resume_count,
      startedAt: toIso(row.started_at),
      updatedAt: toIso(row.updated_at),
      suspendedAt: toIsoOrNull(row.suspended_at),
      endedAt: toIsoOrNull(row.ended_at),
      nativeSessionId: row.native_session_id,
      projectPath: row.project_path,
      thinkingMode: row.thinking_mode,
      initiator: row.initiator,
      lastActivityAt: toIsoOrNull(row.last_activity_at),
      adapterMetadata: this.#adapterMetadata(row),
    }
  }
}
