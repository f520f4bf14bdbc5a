/**
 * Opens a fresh tasks store with a manual clock, for the tasks suites: in memory on
 * SQLite, or (the contract suites, issue 20) in a fresh schema of the run's
 * PostgreSQL server.
 */
import type { RawBuilder } from 'kysely'

import { manualClock } from '../../src/sqlite/clock.js'
import type { TasksRepositoryOptions } from '../../src/tasks/index.js'
import { TasksRepository } from '../../src/tasks/index.js'
import { dropSchemasAfterEach, freshSchema, POSTGRES_URL } from '../postgres/pg-test-schemas.js'

const open: TasksRepository[] = []

// Closes every store of the test, then drops its PostgreSQL schemas (if any).
dropSchemasAfterEach(() => Promise.allSettled(open.splice(0).map((repo) => repo.close())))

/** 2026-01-01T00:00:00Z. */
export const T0 = Date.UTC(2026, 0, 1)

/** The engines of the tasks contract suites: SQLite always, PostgreSQL when the run has a server. */
export type TasksEngineName = 'sqlite' | 'postgres'
export const TASKS_ENGINES: readonly TasksEngineName[] = POSTGRES_URL === null ? ['sqlite'] : ['sqlite', 'postgres']

/**
 * A fresh store on a manual clock starting at {@link T0}, closed after the test: in
 * memory on SQLite; in a fresh schema on PostgreSQL (the settings, clock, guard and
 * busy timeout of `options` are passed on; SQLite-only options are not).
 */
export async function openTasks(options: TasksRepositoryOptions = {}, engine: TasksEngineName = 'sqlite') {
  const clock = manualClock(T0)
  let tasks: TasksRepository
  if (engine === 'postgres') {
    const { actor, maxDepth, enforceClaims, projectHash, referenceGuard, busyTimeoutMs } = options
    tasks = await TasksRepository.openPostgres(POSTGRES_URL!, {
      schema: freshSchema('tasks'),
      clock: options.clock ?? clock,
      ...(actor === undefined ? {} : { actor }),
      ...(maxDepth === undefined ? {} : { maxDepth }),
      ...(enforceClaims === undefined ? {} : { enforceClaims }),
      ...(projectHash === undefined ? {} : { projectHash }),
      ...(referenceGuard === undefined ? {} : { referenceGuard }),
      ...(busyTimeoutMs === undefined ? {} : { busyTimeoutMs }),
    })
  } else {
    tasks = await TasksRepository.open(':memory:', { clock, ...options })
  }
  open.push(tasks)
  return { tasks, clock }
}

/**
 * `count` repositories on one fresh PostgreSQL schema, each with its own pool (as
 * separate hosts would be), on one manual clock; closed after the test.
 */
export async function openTasksSharingSchema(count: number, options: { busyTimeoutMs?: number } = {}) {
  const clock = manualClock(T0)
  const schema = freshSchema('tasks')
  const repos: TasksRepository[] = []
  // The first open creates and migrates the schema; the others find it ready.
  for (let i = 0; i < count; i++) {
    const repo = await TasksRepository.openPostgres(POSTGRES_URL!, { schema, clock, poolSize: 2, ...options })
    open.push(repo)
    repos.push(repo)
  }
  return { repos, clock, schema }
}

/** Counts rows of a table through the repository's Kysely handle. */
export async function countRows(tasks: TasksRepository, table: 'tasks' | 'audit_log' | 'task_dependencies' | 'sessions' | 'lifecycle_pipelines' | 'lifecycle_gate_results' | 'lifecycle_evidence' | 'task_work_history'): Promise<number> {
  const row = await tasks.kysely
    .selectFrom(table)
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .executeTakeFirstOrThrow()
  return Number(row.n)
}

/**
 * Runs a Kysely `sql` query (parameters allowed) on the repository's store through
 * its engine, on either engine: on PostgreSQL in the store's schema (raw SQL run on
 * `tasks.kysely` would not find the tables there), integers as numbers.
 */
export async function execSql<T = Record<string, unknown>>(tasks: TasksRepository, query: RawBuilder<T>): Promise<{ rows: T[] }> {
  const compiled = query.compile(tasks.engine.kysely)
  return { rows: await tasks.engine.write((x) => x.all(compiled)) }
}
