/**
 * `cleo-store/brain`: the brain.db repository and its types.
 *
 * @module
 */
export { BrainRepository } from './brain-repository.js'
export type { BrainRepositoryOptions } from './brain-repository.js'
export type * from './brain.tables.js'
export { BRAIN_STORE } from './brain.store.js'
