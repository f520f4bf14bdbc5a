/**
 * The `Task` domain object and its mapping from a `tasks` row, plus the row reads
 * every aggregate shares (by id, inside or outside a transaction).
 *
 * @module
 */
import type { Selectable } from 'kysely'

import { toIso, toIsoOrNull } from '../sqlite/clock.js'
import { fromJson, fromJsonOrNull } from '../sqlite/json.js'
import { template } from '../sqlite/query-template.js'
import type { TasksContext } from './tasks-context.js'
import type {
  TaskArchiveReason,
  TaskPipelineStage,
  TaskPriority,
  TaskRole,
  TaskScope,
  TaskSeverity,
  TaskSize,
  TaskStatus,
  TaskType,
} from './tasks.enums.js'
import type {
  TaskVerification,
} from './tasks.types.js'
import type { TasksDatabase, TasksTable } from './tasks.tables.js'

/** A `tasks` row as read. */
export type TaskRow = Selectable<TasksTable>

/**
 * The claim currently recorded on a task (its fencing token is given only to the claimer).
 *
 * @example
 * ```ts
 * const { claim } = await tasks.get('T3')
 * const live = claim !== null && Date.parse(claim.expiresAt) > Date.now()
 * ```
 */
export interface TaskClaimState {
  /** The agent holding (or last holding, if expired) the lease. */
  readonly agent: string
  /** ISO-8601 UTC. */
  readonly claimedAt: string
  /** ISO-8601 UTC; after this instant another agent may claim the task. */
  readonly expiresAt: string
}

/**
 * A task, as returned by every method of tasks.db.
 *
 * @example
 * ```ts
 * const task: Task = await tasks.get('T1')
 * task.status // 'pending'
 * task.createdAt // '2026-01-01T00:00:00.000Z'
 * ```
 */
export interface Task {
  /** `T<n>`, allocated in the insert's transaction (no gaps, no duplicates). */
  readonly id: string
  readonly title: string
  readonly description: string | null
  readonly status: TaskStatus
  readonly priority: TaskPriority
  readonly type: TaskType
  readonly role: TaskRole
  readonly scope: TaskScope
  readonly severity: TaskSeverity | null
  readonly parentId: string | null
  readonly phase: string | null
  readonly size: TaskSize | null
  readonly labels: readonly string[]
  readonly notes: readonly string[]
  readonly acceptance: readonly string[]
  readonly files: readonly string[]
  readonly verification: TaskVerification | null
  readonly origin: string | null
  readonly blockedBy: string | null
  readonly noAutoComplete: boolean
  readonly pipelineStage: TaskPipelineStage | null
  readonly assignee: string | null
  /** The recorded claim, or `null`; compare `expiresAt` with now to know if it is live. */
  readonly claim: TaskClaimState | null
  readonly createdBy: string | null
  readonly modifiedBy: string | null
  /** The session that created the task. */
  readonly sessionId: string | null
  readonly createdAt: string
  readonly updatedAt: string
  readonly completedAt: string | null
  readonly cancelledAt: string | null
  readonly cancellationReason: string | null
  /** Set while archived (soft-deleted); the status is kept as it was. */
  readonly archivedAt: string | null
  readonly archiveReason: TaskArchiveReason | null
  /** Bumped by every change; pass it back as `expectedVersion` for optimistic concurrency. */
  readonly version: number
}

/**
 * Maps a `tasks` row to a {@link Task}.
 *
 * @internal
 */
export function toTask(row: TaskRow, ctx: TasksContext): Task {
  const where = ctx.errorContext
  return {
    id: row.id,
    title: row.title,
    description: row.description,
    status: row.status,
    priority: row.priority,
    type: row.type,
    role: row.role,
    scope: row.scope,
    severity: row.severity,
    parentId: row.parent_id,
    phase: row.phase,
    size: row.size,
    labels: fromJson<string[]>(row.labels_json, 'tasks.labels_json', where),
    notes: fromJson<string[]>(row.notes_json, 'tasks.notes_json', where),
    acceptance: fromJson<string[]>(row.acceptance_json, 'tasks.acceptance_json', where),
    files: fromJson<string[]>(row.files_json, 'tasks.files_json', where),
    verification: fromJsonOrNull<TaskVerification>(row.verification_json, 'tasks.verification_json', where),
    origin: row.origin,
    blockedBy: row.blocked_by,
    noAutoComplete: row.no_auto_complete === 1,
    pipelineStage: row.pipeline_stage,
    assignee: row.assignee,
    claim:
      row.claimed_by === null
        ? null
        : { agent: row.claimed_by, claimedAt: toIso(row.claimed_at!), expiresAt: toIso(row.claim_expires_at!) },
    createdBy: row.created_by,
    modifiedBy: row.modified_by,
    sessionId: row.session_id,
    createdAt: toIso(row.created_at),
    updatedAt: toIso(row.updated_at),
    completedAt: toIsoOrNull(row.completed_at),
    cancelledAt: toIsoOrNull(row.cancelled_at),
    cancellationReason: row.cancellation_reason,
    archivedAt: toIsoOrNull(row.archived_at),
    archiveReason: row.archive_reason,
    version: row.version,
  }
}

/** @internal Reads one task row by id. */
export const GET_TASK = template<TasksDatabase, { id: string }>()((db, p) =>
  db.selectFrom('tasks').selectAll().where('id', '=', p('id')),
)

/**
 * Reads a task row by id inside the current read or write callback; throws
 * `NOT_FOUND` when there is none.
 *
 * @internal
 */
export function requireTaskRow(ctx: TasksContext, id: string): TaskRow {
  const row = ctx.db.get(GET_TASK, { id })
  if (row === undefined) throw ctx.notFound('task', id)
  return row
}
