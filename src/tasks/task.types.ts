/**
 * The task record as the repository returns it (no Kysely: the root type graph imports this file).
 *
 * @module
 */
import type { TaskArchiveReason, TaskPipelineStage, TaskPriority, TaskRole, TaskScope, TaskSeverity, TaskSize, TaskStatus, TaskType } from './tasks.enums.js'
import type { TaskVerification } from './tasks.types.js'

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
