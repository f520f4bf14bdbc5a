/**
 * The engine's view of tasks.db: name, migrations.
 *
 * @module
 */
import { tasksMigrations } from '../../migrations/tasks/index.js'
import type { StoreDefinition } from '../sqlite/store-definition.js'

/** tasks.db — tasks, dependencies, sessions, lifecycle, ADRs, audit log (project tier). */
export const TASKS_STORE: StoreDefinition = Object.freeze({
  name: 'tasks',
  migrations: tasksMigrations,
  // CLEO's name for it (no `tasks_` prefix): the table the PostgreSQL open reads the store marker from.
  metaTable: 'schema_meta',
})
