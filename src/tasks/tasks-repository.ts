/**
 * The tasks.db repository.
 *
 * @module
 */
import type { SqliteDatabase } from '../sqlite/database.js'
import type { RepositoryOptions } from '../sqlite/store-repository.js'
import { openStoreDatabase, StoreRepository } from '../sqlite/store-repository.js'
import { AgentCredentials } from './agent-credentials.js'
import type { TasksDatabase } from './tasks.tables.js'
import { TASKS_STORE } from './tasks.store.js'

/** Options of {@link TasksRepository.open}. */
export interface TasksRepositoryOptions extends RepositoryOptions {}

/**
 * tasks.db — tasks, dependencies, sessions, lifecycle, ADRs, audit log (project tier).
 *
 * @example
 * ```ts
 * await using tasks = await TasksRepository.open(':memory:')
 * ```
 */
export class TasksRepository extends StoreRepository<TasksDatabase> {
  /** `agent_credentials`: the local cache of sealed signaldock agent credentials. */
  readonly credentials: AgentCredentials

  private constructor(db: SqliteDatabase<TasksDatabase>, options: TasksRepositoryOptions) {
    super(db, options)
    this.credentials = new AgentCredentials(db, this.clock)
  }

  /**
   * Opens (creating and migrating if needed) tasks.db at `path`, or an in-memory
   * database with `':memory:'`.
   */
  static async open(path: string, options: TasksRepositoryOptions = {}): Promise<TasksRepository> {
    const db = await openStoreDatabase<TasksDatabase>(TASKS_STORE, path, options)
    return new TasksRepository(db, options)
  }
}
