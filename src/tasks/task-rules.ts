/**
 * The pure rules of the task tree and the task status machine. The repository
 * applies them inside its write transactions; the schema backs the tree rules with
 * triggers. Exported so callers can ask before they try.
 *
 * @module
 */
import type { TaskStatus, TaskType } from './tasks.enums.js'

/**
 * Allowed status changes (CLEO's machine, plus `proposed`). Setting the status a
 * task already has is always allowed (a no-op). The one exception the repository
 * makes itself: an epic auto-completes from any open status when its last child
 * finishes.
 *
 * @example
 * ```ts
 * TASK_STATUS_TRANSITIONS.pending // ['active', 'blocked', 'cancelled']
 * ```
 */
export const TASK_STATUS_TRANSITIONS: Readonly<Record<TaskStatus, readonly TaskStatus[]>> = Object.freeze({
  proposed: Object.freeze(['pending', 'cancelled'] as const),
  pending: Object.freeze(['active', 'blocked', 'cancelled'] as const),
  active: Object.freeze(['done', 'blocked', 'pending', 'cancelled'] as const),
  blocked: Object.freeze(['pending', 'active', 'cancelled'] as const),
  done: Object.freeze(['pending'] as const),
  cancelled: Object.freeze(['pending'] as const),
})

/**
 * True when a task may move from `from` to `to`.
 *
 * @example
 * ```ts
 * canTransitionTask('pending', 'done')  // false: start it first
 * canTransitionTask('active', 'done')   // true
 * ```
 */
export function canTransitionTask(from: TaskStatus, to: TaskStatus): boolean {
  return from === to || TASK_STATUS_TRANSITIONS[from].includes(to)
}

/**
 * True when a task of type `child` may sit under a parent of type `parent`
 * (`null`: at the root). Epics and tasks sit at the root or under an epic; a
 * subtask sits under a task; nothing sits under a subtask.
 *
 * @example
 * ```ts
 * taskParentAllowed('subtask', 'task') // true
 * taskParentAllowed('task', 'task')    // false: it would be a subtask
 * ```
 */
export function taskParentAllowed(child: TaskType, parent: TaskType | null): boolean {
  if (child === 'subtask') return parent === 'task'
  return parent === null || parent === 'epic'
}

/**
 * The type a task gets when none is given (CLEO's inference): no parent or an epic
 * parent → `task`; a task parent → `subtask`. Returns `null` under a subtask, which
 * cannot have children.
 *
 * @example
 * ```ts
 * inferTaskType(null)   // 'task'
 * inferTaskType('task') // 'subtask'
 * ```
 */
export function inferTaskType(parent: TaskType | null): TaskType | null {
  if (parent === null || parent === 'epic') return 'task'
  if (parent === 'task') return 'subtask'
  return null
}

/**
 * The type a task takes when moved under `parent`: an epic stays an epic (and may
 * only move under an epic or to the root); a task or subtask is retyped by its new
 * place. `null` when the move is not allowed.
 *
 * @example
 * ```ts
 * retypeForParent('subtask', null)  // 'task'
 * retypeForParent('task', 'task')   // 'subtask'
 * retypeForParent('epic', 'task')   // null
 * ```
 */
export function retypeForParent(current: TaskType, parent: TaskType | null): TaskType | null {
  if (current === 'epic') return taskParentAllowed('epic', parent) ? 'epic' : null
  return inferTaskType(parent)
}
