/**
 * Writing a task row by its differences: an update sets only the columns whose
 * value changed (one cached statement per set of columns), and the audit row
 * records only the fields that changed. Internal to the store.
 *
 * @module
 */
import type { CompiledQuery } from 'kysely'

import { rawQuery } from '../sqlite/database.js'
import type { Task } from './task.types.js'
import type { TaskRow } from './task-rows.js'
import type { TasksContext } from './tasks-context.js'

/** The `UPDATE … RETURNING *` text for one set of changed columns, built once per set. */
const statements = new Map<string, string>()

function updateText(columns: readonly string[]): string {
  const key = columns.join(',')
  let text = statements.get(key)
  if (text === undefined) {
    const sets = columns.map((c) => `"${c}" = ?`)
    sets.push('"version" = "version" + 1')
    text = `UPDATE "tasks" SET ${sets.join(', ')} WHERE "id" = ? AND "version" = ? RETURNING *`
    statements.set(key, text)
  }
  return text
}

/**
 * Writes `next` over `current` (read in the same transaction): only the columns of
 * `writable` whose value differs are set, the version is bumped, and the row is
 * matched on the version read. Returns the written row; `INTERNAL` when the row
 * changed under the transaction (cannot happen inside `BEGIN IMMEDIATE`).
 */
export function writeChangedColumns<C extends keyof TaskRow & string>(
  ctx: TasksContext,
  current: TaskRow,
  next: Pick<TaskRow, C | 'id' | 'version'>,
  writable: readonly C[],
): TaskRow {
  const columns: C[] = []
  const values: unknown[] = []
  for (const column of writable) {
    if (next[column] !== current[column]) {
      columns.push(column)
      values.push(next[column])
    }
  }
  values.push(current.id, current.version)
  const query: CompiledQuery<TaskRow> = rawQuery<TaskRow>(updateText(columns), values)
  const written = ctx.db.get(query)
  if (written === undefined) throw ctx.error('INTERNAL', `task ${current.id} changed inside its own transaction`)
  return written
}

function same(a: unknown, b: unknown): boolean {
  if (a === b) return true
  if (a === null || b === null || typeof a !== 'object' || typeof b !== 'object') return false
  return JSON.stringify(a) === JSON.stringify(b)
}

/**
 * The fields of two versions of a task that differ, as `{ before, after }` objects
 * holding only those fields (always with `version`): what an audit row records.
 */
export function taskDiff(before: Task, after: Task): { before: Partial<Task>; after: Partial<Task> } {
  const b: Record<string, unknown> = {}
  const a: Record<string, unknown> = {}
  for (const key of Object.keys(after) as Array<keyof Task>) {
    if (key === 'version' || !same(before[key], after[key])) {
      b[key] = before[key]
      a[key] = after[key]
    }
  }
  return { before: b as Partial<Task>, after: a as Partial<Task> }
}
