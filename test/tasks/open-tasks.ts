/**
 * Opens a fresh in-memory tasks.db with a manual clock, for the tasks suites.
 */
import { afterEach } from 'vitest'

import { manualClock } from '../../src/sqlite/clock.js'
import type { TasksRepositoryOptions } from '../../src/tasks/index.js'
import { TasksRepository } from '../../src/tasks/index.js'

const open: TasksRepository[] = []

afterEach(async () => {
  for (const repo of open.splice(0)) await repo.close()
})

/** 2026-01-01T00:00:00Z. */
export const T0 = Date.UTC(2026, 0, 1)

/** A fresh in-memory store on a manual clock starting at {@link T0}; closed after the test. */
export async function openTasks(options: TasksRepositoryOptions = {}) {
  const clock = manualClock(T0)
  const tasks = await TasksRepository.open(':memory:', { clock, ...options })
  open.push(tasks)
  return { tasks, clock }
}

/** Counts rows of a table through the repository's Kysely handle. */
export async function countRows(tasks: TasksRepository, table: 'tasks' | 'audit_log' | 'task_dependencies' | 'sessions' | 'lifecycle_pipelines' | 'lifecycle_gate_results' | 'lifecycle_evidence' | 'task_work_history'): Promise<number> {
  const row = await tasks.kysely
    .selectFrom(table)
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .executeTakeFirstOrThrow()
  return Number(row.n)
}
