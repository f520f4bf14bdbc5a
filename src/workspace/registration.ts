/**
 * Registering a workspace's project in nexus.db, as `CleoWorkspace.open` does.
 *
 * The project's stable id lives inside the project, in tasks.db
 * (`schema_meta.project_id`), so it travels with the directory:
 * - first open: the id registered at this path is reused if there is one (tasks.db was
 *   recreated), else a new UUIDv7 is written to tasks.db, then the project is registered;
 * - a later open at the same path refreshes `last_seen_at`;
 * - a project that **moved** opens with its id at a new path: the registry row is
 *   updated, id kept;
 * - a project that was **copied** (its registered path still holds a tasks.db with the
 *   same id) gets a new id, so the original and the copy are two projects;
 * - a project on a server (tasks.db in PostgreSQL) keeps the server's id whatever
 *   directory opens it: every checkout and host with the same project key is the
 *   same project.
 *
 * @module
 */
import { existsSync } from 'node:fs'
import { join } from 'node:path'

import { sql } from 'kysely'

import type { NexusRepository } from '../nexus/nexus-repository.js'
import type { NexusRegistration } from '../nexus/project-registry.js'
import type { Clock } from '../sqlite/clock.js'
import { systemClock } from '../sqlite/clock.js'
import { isCleoStoreError } from '../sqlite/errors.js'
import { uuidv7Generator } from '../sqlite/ids.js'
import { loadNodeSqlite } from '../sqlite/node-sqlite.js'
import type { TasksRepository } from '../tasks/tasks-repository.js'

/** The tasks.db `schema_meta` key holding the project's stable id. */
export const PROJECT_ID_META_KEY = 'project_id'

/** What {@link registerWorkspaceProject} needs. */
export interface RegisterWorkspaceProjectArgs {
  readonly tasks: TasksRepository
  readonly nexus: NexusRepository
  /** Real path of the project directory. */
  readonly projectDir: string
  /** In-memory workspaces skip the copy detection (there is no other tasks.db to read). */
  readonly inMemory: boolean
  readonly clock?: Clock
  /** Path of the project's brain.db (recorded in the registry's `brain_db_path`). */
  readonly brainDbPath?: string
}

/** The project id and what the registry did. */
export interface WorkspaceRegistration {
  readonly projectId: string
  readonly registration: NexusRegistration
  /** True when the id was replaced because this directory is a copy of a registered project. */
  readonly reassigned: boolean
}

/**
 * Reads the project id stored in tasks.db, or null.
 *
 * @example
 * ```ts
 * await readProjectId(ws.tasks) // '0193f1c2-…'
 * ```
 */
export async function readProjectId(tasks: TasksRepository): Promise<string | null> {
  const row = await tasks.kysely
    .selectFrom('schema_meta')
    .select('value')
    .where('key', '=', PROJECT_ID_META_KEY)
    .executeTakeFirst()
  return row?.value ?? null
}

/** Stores `candidate` unless an id is already there (another process won); returns the stored id. */
async function claimProjectId(tasks: TasksRepository, candidate: string, now: number): Promise<string> {
  return tasks.kysely.transaction().execute(async (trx) => {
    await trx
      .insertInto('schema_meta')
      .values({ key: PROJECT_ID_META_KEY, value: candidate, updated_at: now })
      .onConflict((oc) => oc.column('key').doNothing())
      .execute()
    const row = await trx.selectFrom('schema_meta').select('value').where('key', '=', PROJECT_ID_META_KEY).executeTakeFirstOrThrow()
    return row.value
  })
}

/** Replaces `previous` by `next` unless another process already replaced it; returns the stored id. */
async function replaceProjectId(tasks: TasksRepository, previous: string, next: string, now: number): Promise<string> {
  return tasks.kysely.transaction().execute(async (trx) => {
    await trx
      .updateTable('schema_meta')
      .set({ value: next, updated_at: now })
      .where('key', '=', PROJECT_ID_META_KEY)
      .where('value', '=', previous)
      .execute()
    const row = await trx.selectFrom('schema_meta').select('value').where('key', '=', PROJECT_ID_META_KEY).executeTakeFirstOrThrow()
    return row.value
  })
}

/**
 * The project id stored in the tasks.db of another project directory, or null when
 * there is none or it cannot be read. Never creates a file.
 */
export function projectIdAt(projectDir: string): string | null {
  const file = join(projectDir, '.cleo', 'tasks.db')
  if (!existsSync(file)) return null
  let connection
  try {
    connection = new (loadNodeSqlite().DatabaseSync)(file, { timeout: 1000 })
  } catch {
    return null
  }
  try {
    const row = connection.prepare('SELECT value FROM schema_meta WHERE key = ?').get(PROJECT_ID_META_KEY) as
      | { value: string }
      | undefined
    return row?.value ?? null
  } catch {
    return null
  } finally {
    connection.close()
  }
}

/** Rows of tasks.db's `tasks` table, or null while that table does not exist. */
async function countTasks(tasks: TasksRepository): Promise<number | null> {
  if (tasks.dialect === 'postgres') {
    // On a server the schema is always migrated; the builder names the store's schema.
    const row = await tasks.kysely.selectFrom('tasks').select((eb) => eb.fn.countAll().as('n')).executeTakeFirst()
    return Number(row?.n ?? 0)
  }
  const exists = await sql<{ n: number }>`SELECT count(*) AS n FROM sqlite_schema WHERE type = 'table' AND name = 'tasks'`.execute(
    tasks.kysely,
  )
  if (Number(exists.rows[0]?.n ?? 0) === 0) return null
  const counted = await sql<{ n: number }>`SELECT count(*) AS n FROM tasks`.execute(tasks.kysely)
  return Number(counted.rows[0]?.n ?? 0)
}

/**
 * Registers (or refreshes) the workspace's project in nexus.db and makes sure tasks.db
 * holds its stable id. Idempotent; see the module documentation for moves and copies.
 *
 * @example
 * ```ts
 * const { projectId, registration } = await registerWorkspaceProject({ tasks, nexus, projectDir, inMemory: false })
 * registration.outcome // 'registered' | 'refreshed' | 'moved'
 * ```
 */
export async function registerWorkspaceProject(args: RegisterWorkspaceProjectArgs): Promise<WorkspaceRegistration> {
  const { tasks, nexus, projectDir } = args
  const clock = args.clock ?? systemClock
  const newId = uuidv7Generator(clock)
  let projectId = await readProjectId(tasks)
  let reassigned = false
  if (projectId === null) {
    const atPath = await nexus.projects.findByPath(projectDir)
    projectId = await claimProjectId(tasks, atPath?.id ?? newId(), clock())
  } else if (!args.inMemory && tasks.dialect === 'sqlite') {
    // Copy detection is about files: on a server the id is the project's, shared by
    // every host and checkout that opens it with the same key — never reassigned here.
    const known = await nexus.projects.get(projectId).catch((error: unknown) => {
      if (isCleoStoreError(error, 'NOT_FOUND')) return null
      throw error
    })
    if (known && known.path !== projectDir && existsSync(known.path) && projectIdAt(known.path) === projectId) {
      projectId = await replaceProjectId(tasks, projectId, newId(), clock())
      reassigned = true
    }
  }
  const taskCount = await countTasks(tasks)
  const now = clock()
  const file = (path: string | undefined) => (path === undefined || path === ':memory:' ? null : path)
  const registration = await nexus.projects.register({
    projectId,
    path: projectDir,
    ...(taskCount === null ? {} : { taskCount, lastIndexed: now }),
    // CLEO's registry columns: where the project's databases are, and when this row was synchronised.
    tasksDbPath: file(tasks.path),
    ...(args.brainDbPath === undefined ? {} : { brainDbPath: file(args.brainDbPath) }),
    lastSync: now,
  })
  return { projectId, registration, reassigned }
}
