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
import type { Step } from '../sqlite/store-engine.js'
import type { TasksContext, TasksExecutor } from './tasks-context.js'
import type {
  TaskVerification,
} from './tasks.types.js'
import type { TasksDatabase, TasksTable } from './tasks.tables.js'
import type { Task } from './task.types.js'
export type { TaskClaimState, Task } from './task.types.js'

/** A `tasks` row as read. */
export type TaskRow = Selectable<TasksTable>

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
 * Reads a task row by id inside the current read or write body; throws
 * `NOT_FOUND` when there is none.
 *
 * @internal
 */
export function* requireTaskRow(x: TasksExecutor, ctx: TasksContext, id: string): Step<TaskRow> {
  const row = yield* x.get(GET_TASK, { id })
  if (row === undefined) throw ctx.notFound('task', id)
  return row
}
