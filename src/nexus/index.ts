/**
 * `cleo-store/nexus`: the nexus.db repository and its types.
 *
 * @module
 */
export { NexusRepository } from './nexus-repository.js'
export type { NexusRepositoryOptions } from './nexus-repository.js'
export type * from './nexus.tables.js'
export { NEXUS_STORE } from './nexus.store.js'
