/**
 * Writing a task row by its differences: an update sets only the columns whose
 * value changed (one cached statement per set of columns), and the audit row
 * records only the fields that changed. Internal to the store.
 *
 * @module
 */
import { sql } from 'kysely'

import type { QueryTemplate } from '../sqlite/query-template.js'
import { template } from '../sqlite/query-template.js'
import type { Step } from '../sqlite/store-engine.js'
import type { Task } from './task.types.js'
import type { TaskRow } from './task-rows.js'
import type { TasksContext, TasksExecutor } from './tasks-context.js'
import type { TasksDatabase } from './tasks.tables.js'

/** The parameters of a changed-columns update: one per changed column, plus the row's id and version read. */
type UpdateParams = Record<string, unknown>

/** The `UPDATE … RETURNING *` template for one set of changed columns, built once per set. */
const statements = new Map<string, QueryTemplate<UpdateParams, TaskRow>>()

function updateTemplate(columns: readonly string[]): QueryTemplate<UpdateParams, TaskRow> {
  const key = columns.join(',')
  let query = statements.get(key)
  if (query === undefined) {
    query = template<TasksDatabase, UpdateParams>()((db, p) => {
      const sets: Record<string, unknown> = {}
      for (const column of columns) sets[column] = p(column)
      sets['version'] = sql<number>`"version" + 1`
      return db
        .updateTable('tasks')
        .set(sets)
        .where('id', '=', p('$id') as string)
        .where('version', '=', p('$version') as number)
        .returningAll()
    })
    statements.set(key, query)
  }
  return query
}

/**
 * Writes `next` over `current` (read in the same transaction): only the columns of
 * `writable` whose value differs are set, the version is bumped, and the row is
 * matched on the version read. Returns the written row; `INTERNAL` when the row
 * changed under the transaction (cannot happen inside `BEGIN IMMEDIATE`).
 */
export function* writeChangedColumns<C extends keyof TaskRow & string>(
  x: TasksExecutor,
  ctx: TasksContext,
  current: TaskRow,
  next: Pick<TaskRow, C | 'id' | 'version'>,
  writable: readonly C[],
): Step<TaskRow> {
  const columns: C[] = []
  const args: UpdateParams = { $id: current.id, $version: current.version }
  for (const column of writable) {
    if (next[column] !== current[column]) {
      columns.push(column)
      args[column] = next[column]
    }
  }
  const written = yield* x.get(updateTemplate(columns), args)
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
