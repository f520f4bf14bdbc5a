/**
 * `cleo-store/tasks`: the tasks.db repository and its types.
 *
 * @module
 */
export { TasksRepository } from './tasks-repository.js'
export type { TasksRepositoryOptions } from './tasks-repository.js'
export type * from './tasks.tables.js'
export { TASKS_STORE } from './tasks.store.js'
